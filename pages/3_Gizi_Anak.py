"""Gizi Anak: survey stunting against targets, routine (e-PPGBM / recap) trends and rankings with
coverage and data-quality flags, and the published figures with their sources."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kla.core import catalog, fmt
from kla.core import links as url
from kla.figures import nutrition as nu_figures
from kla.ui.keys import Nutrition, ensure_default
from kla.ui.loaders import database_fingerprint, load_areas, load_meta, load_nutrition_agg, load_nutrition_published
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.widgets import plot, sidebar_footer
from kla.views import nutrition as nu
from kla.views import published

page_setup("Gizi Anak", "🥗")
st.title("Gizi Anak")
st.caption(
    "Dua jenis angka yang **tidak boleh dicampur**: survei (SSGI/SKI, resmi, tingkat kota) dan data rutin "
    "(e-PPGBM atau rekap puskesmas, per kelurahan, bergantung pada cakupan pengukuran)."
)
fp = database_fingerprint()
meta = load_meta(fp)
agg = load_nutrition_agg(fp)
pub = load_nutrition_published(fp)

st.subheader("Survei: prevalensi stunting dan target")
plot(
    nu_figures.survey_trend_figure(pub, city_code=meta.get("city_code", ""), city_name=meta.get("city_name", "Kota")),
    key=Nutrition.SURVEY,
)

st.subheader("Data rutin per bulan")
if agg.empty:
    st.info(
        "Belum ada data rutin gizi anak. Impor ekspor e-PPGBM dengan `python -m kla import eppgbm BERKAS` "
        "atau rekap bulanan dengan `python -m kla import rekap BERKAS`, atau lewat halaman Kelola Data."
    )
    sidebar_footer(fp)
    st.stop()

sources = [s for s in nu.SOURCE_LABELS if s in set(agg["source_type"])]
c1, c2, c3, c4 = st.columns([1, 2, 1, 2])
ensure_default(Nutrition.SOURCE, sources, sources[0])
source = c1.radio("Sumber rutin", sources, format_func=nu.SOURCE_LABELS.get, key=Nutrition.SOURCE)
ensure_default(Nutrition.MEASURE, list(catalog.RATES), next(iter(catalog.RATES)))
measure = c2.selectbox(
    "Ukuran", list(catalog.RATES), format_func=lambda m: catalog.rate(m).rate_label, key=Nutrition.MEASURE
)
month_opts = nu.period_options(agg, source)
month_labels = dict(month_opts)
periods = [p for p, _ in month_opts]
ensure_default(Nutrition.PERIOD, periods, nu.default_period(agg, source), token=url.month_token)
period = c3.selectbox("Bulan", periods, format_func=month_labels.get, key=Nutrition.PERIOD)
options = nu.area_options(agg, source)
labels = dict(options)
ensure_default(Nutrition.AREA, [c for c, _ in options], options[0][0])
area = c4.selectbox("Wilayah", [c for c, _ in options], format_func=lambda c: labels[c].strip(" ·"), key=Nutrition.AREA)

rows = nu.series(agg, source, area)
sample = bool((rows["source_kind"] == "sample").any())
if sample:
    st.warning(
        "Angka rutin di bawah ini adalah **DATA CONTOH** (sintetis, dari `kla/ingest/sample_nutrition.py`), "
        "bukan data Dinkes. Impor ekspor e-PPGBM untuk menggantinya."
    )
notice = nu.month_notice(agg, source, period)
if notice:
    st.warning(notice)
src_label = nu.SOURCE_LABELS[source] + (" — DATA CONTOH" if sample else "")
area_name = labels[area].strip(" ·")
month = fmt.month_label(period)

left, right = st.columns([3, 2])
with left:
    plot(
        nu_figures.routine_trend_figure(
            rows, measure=measure, area_name=area_name, source_label=src_label, sample=sample
        ),
        key=Nutrition.TREND,
    )
with right:
    if nu.has_sasaran(rows):
        plot(
            nu_figures.coverage_figure(rows, area_name=area_name, source_label=src_label, sample=sample),
            key=Nutrition.COVERAGE,
        )
    else:
        st.info(nu.NO_SASARAN_TEXT)

now = rows[rows["period"] == period]
if not now.empty:
    hidden = nu.area_masks(agg, source_type=source, period=period, measure=measure, area=area)
    for col, m in zip(
        st.columns(4), nu.headline(now.iloc[0], measure=measure, period=period, masks=hidden), strict=True
    ):
        col.metric(m.label, m.value, help=m.help or None)

level_choices = nu.rank_levels(agg, source, period)
st.subheader(f"Peringkat wilayah, {month}")
if not level_choices:
    st.info("Tidak ada data wilayah untuk bulan ini.")
else:
    ensure_default(Nutrition.RANK_LEVEL, level_choices, level_choices[0])
    level = st.radio(
        "Peringkat menurut",
        level_choices,
        format_func=nu.LEVEL_LABELS.get,
        horizontal=True,
        key=Nutrition.RANK_LEVEL,
    )
    ranked = nu.rank_areas(agg, source_type=source, period=period, measure=measure, level=level, areas=load_areas(fp))
    scope = nu.rank_scope(
        ranked,
        level=level,
        area_code=area,
        area_level=nu.area_level(agg, area),
        area_name=area_name,
        area_parent=nu.parent_map(agg).get(area),
    )
    if scope.position:
        st.markdown(f"**{scope.position}**")
    plot(
        nu_figures.ranking_figure(
            scope.rows,
            measure=measure,
            level_label=scope.title,
            month=month,
            source_label=src_label,
            sample=sample,
            highlight=scope.highlight,
        ),
        key=Nutrition.RANKING,
    )
    table = nu.ranking_table(scope.rows, measure=measure)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key=Nutrition.TABLE,
        column_config={
            "Wilayah": st.column_config.TextColumn("Wilayah", width="medium"),
            **{c: st.column_config.TextColumn(c, alignment="right") for c in nu.NUMBER_COLUMNS},
        },
    )
    st.caption(nu.table_caption(scope.title, measure=measure, month=month, source_label=src_label))
    if not nu.has_sasaran(scope.rows) and nu.has_sasaran(rows):  # not said above already
        st.caption(nu.NO_SASARAN_TEXT)
    st.download_button(
        f"Unduh tabel untuk dibagikan (angka 1–{nu.SUPPRESS_BELOW - 1} disamarkan)",
        nu.ranking_csv(table, month=month, source_label=src_label),
        file_name=f"gizi_{measure}_{level}_{pd.Timestamp(period):%Y-%m}{'_DATA-CONTOH' if sample else ''}.csv",
        mime="text/csv",
        key=Nutrition.DOWNLOAD,
    )
    st.markdown("**Catatan mutu data bulan ini** (ditampilkan, tidak disembunyikan)")
    st.dataframe(nu.flag_summary(scope.rows, measure), hide_index=True, key=Nutrition.FLAGS)

st.caption("Impor data ada di halaman Kelola Data.")

st.subheader("Angka terbitan dan sumbernya")
st.dataframe(
    published.published_table(pub),
    hide_index=True,
    width="stretch",
    key=Nutrition.PUBLISHED,
    column_config={"Tautan": st.column_config.LinkColumn("Tautan", display_text="buka sumber")},
)
sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
