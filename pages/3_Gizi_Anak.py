"""Gizi Anak: survey stunting against targets, routine (e-PPGBM / recap) trends and rankings with
coverage and data-quality flags, and the published figures with their sources."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kla import nutrition_view as nu
from kla import ui

ui.page_setup("Gizi Anak", "🥗")
st.title("Gizi Anak")
st.caption(
    "Dua jenis angka yang **tidak boleh dicampur**: survei (SSGI/SKI, resmi, tingkat kota) dan data rutin "
    "(e-PPGBM atau rekap puskesmas, per kelurahan, bergantung pada cakupan pengukuran)."
)
fp = ui.database_fingerprint()
ui.sidebar_footer(fp)
meta = ui.load_meta(fp)
agg = ui.load_nutrition_agg(fp)
pub = ui.load_nutrition_published(fp)

st.subheader("Survei: prevalensi stunting dan target")
ui.plot(
    nu.survey_trend_figure(pub, city_code=meta.get("city_code", ""), city_name=meta.get("city_name", "Kota")),
    key="gizi_survei",
)

st.subheader("Data rutin per bulan")
if agg.empty:
    st.info(
        "Belum ada data rutin gizi anak. Impor ekspor e-PPGBM dengan `python -m kla import eppgbm BERKAS` "
        "atau rekap bulanan dengan `python -m kla import rekap BERKAS`, atau lewat panel di bawah."
    )
    ui.nutrition_import_panel(fp)
    st.stop()

sources = [s for s in nu.SOURCE_LABELS if s in set(agg["source_type"])]
c1, c2, c3, c4 = st.columns([1, 2, 1, 2])
source = c1.radio("Sumber rutin", sources, format_func=nu.SOURCE_LABELS.get, key=ui.GiziKeys.SOURCE)
measure = c2.selectbox("Ukuran", list(nu.MEASURES), format_func=lambda m: nu.MEASURES[m][2], key=ui.GiziKeys.MEASURE)
periods = sorted(agg.loc[agg["source_type"] == source, "period"].unique(), reverse=True)
period = c3.selectbox("Bulan", periods, format_func=nu.month_label, key=ui.GiziKeys.PERIOD)
options = nu.area_options(agg, source)
labels = dict(options)
area = c4.selectbox(
    "Wilayah", [c for c, _ in options], format_func=lambda c: labels[c].strip(" ·"), key=ui.GiziKeys.AREA
)

rows = nu.series(agg, source, area)
sample = bool((rows["source_kind"] == "sample").any())
if sample:
    st.warning(
        "Angka rutin di bawah ini adalah **DATA CONTOH** (sintetis, dari `kla/sample_nutrition.py`), "
        "bukan data Dinkes. Impor ekspor e-PPGBM untuk menggantinya."
    )
src_label = nu.SOURCE_LABELS[source] + (" — DATA CONTOH" if sample else "")
area_name = labels[area].strip(" ·")

left, right = st.columns([3, 2])
with left:
    ui.plot(
        nu.routine_trend_figure(rows, measure=measure, area_name=area_name, source_label=src_label, sample=sample),
        key="gizi_tren",
    )
with right:
    ui.plot(nu.coverage_figure(rows, area_name=area_name, source_label=src_label, sample=sample), key="gizi_cakupan")

now = rows[rows["period"] == period]
if not now.empty:
    r = now.iloc[0]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        f"{nu.MEASURES[measure][2].split(' (')[0]}, {nu.month_label(period)}",
        f"{r[f'{measure}_pct']:.1f}%" if pd.notna(r[f"{measure}_pct"]) else "–",
        help=f"IK 95%: {r[f'{measure}_lo']:.1f}–{r[f'{measure}_hi']:.1f}%",
    )
    m2.metric("Anak diukur", f"{int(r['measured']):,}")
    m3.metric("Cakupan", f"{r['coverage_pct']:.0f}%" if pd.notna(r["coverage_pct"]) else "tanpa sasaran")
    excluded = int(r["implausible_haz"] + r["implausible_whz"] + r["implausible_waz"])
    m4.metric("Dikeluarkan (tak masuk akal)", f"{excluded:,}")

level, kids = nu.children(agg, source, area, period)
month = nu.month_label(period)
st.subheader(f"Peringkat {level}, {month}")
if kids.empty:
    st.info("Tidak ada data wilayah di bawahnya untuk bulan ini.")
else:
    ui.plot(
        nu.ranking_figure(kids, measure=measure, level_label=level, month=month, source_label=src_label, sample=sample),
        key="gizi_peringkat",
    )
    table = nu.ranking_table(kids, measure=measure)
    st.dataframe(table, hide_index=True, width="stretch", key="gizi_tabel")
    st.download_button(
        "Unduh tabel untuk dibagikan (angka < 5 disamarkan)",
        nu.shareable(table).to_csv(index=False).encode("utf-8"),
        file_name=f"gizi_{measure}_{pd.Timestamp(period):%Y-%m}{'_DATA-CONTOH' if sample else ''}.csv",
        mime="text/csv",
        key="gizi_unduh",
    )
    st.markdown("**Catatan mutu data bulan ini** (ditampilkan, tidak disembunyikan)")
    st.dataframe(nu.flag_summary(kids), hide_index=True, key="gizi_mutu")

ui.nutrition_import_panel(fp)

st.subheader("Angka terbitan dan sumbernya")
st.dataframe(
    nu.published_table(pub),
    hide_index=True,
    width="stretch",
    key="gizi_terbitan",
    column_config={"Tautan": st.column_config.LinkColumn("Tautan", display_text="buka sumber")},
)
