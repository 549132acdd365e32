"""Peta: a measure per kecamatan or kelurahan, its ranking, and a drill-down for one area."""

import streamlit as st

from kla.figures import maps as map_figures
from kla.figures.charts import Stamp
from kla.ui.keys import Map, ensure_default
from kla.ui.loaders import (
    database_fingerprint,
    load_area_scores,
    load_boundaries,
    load_boundary_levels,
    load_map_inputs,
    load_meta,
    load_rulebook,
)
from kla.ui.media import media_pack_section
from kla.ui.page import fail, page_setup
from kla.ui.widgets import map_area_picker, plot, plot_selectable, sidebar_footer
from kla.views import maps

LEVEL_LABEL = {"kecamatan": "Kecamatan", "kelurahan": "Kelurahan"}
MODE_LABEL = {"nilai": "Nilai satu periode", "perubahan": "Perubahan antar-periode"}

page_setup("Peta", "🗺️")
fp = database_fingerprint()
meta = load_meta(fp)
city_name = meta.get("city_name", "")
st.title(f"Peta wilayah · {city_name}")

have = load_boundary_levels(fp)
if not have:
    st.info("Batas wilayah belum ada di basis data, jadi peta belum bisa digambar. Halaman lain tetap bisa dipakai.")
    st.markdown(
        "Unduh batas kecamatan dan kelurahan (sekali saja; setiap berkas diperiksa sha256-nya):\n\n"
        "```\npython -m kla geo fetch\n```\n"
        "Tanpa internet, pakai salinan berkas di folder lain: `python -m kla geo fetch --from FOLDER`. "
        "Punya berkas batas resmi sendiri (GeoJSON, GeoPackage, atau Shapefile .zip)? "
        "`python -m kla geo import BERKAS --level kecamatan`. Lalu muat ulang halaman ini."
    )
    sidebar_footer(fp)
    st.stop()

inputs = load_map_inputs(fp)
geo_levels = [lv for lv in ("kecamatan", "kelurahan") if have.get(lv)]
choices = maps.available_choices(inputs, geo_levels)
if not choices:
    fail(
        "Belum ada angka yang bisa dipetakan per wilayah.",
        hint="Impor data gizi: python -m kla import eppgbm BERKAS (atau rekap), lalu muat ulang.",
    )

# ---------------------------------------------------------------- selectors (sidebar)
ensure_default(Map.MEASURE, choices, choices[0])
key = st.sidebar.selectbox("Ukuran", choices, format_func=maps.choice_label, key=Map.MEASURE)
choice = maps.CHOICES[key]
levels = maps.levels_for(inputs, key, geo_levels)
ensure_default(Map.LEVEL, levels, levels[0])
level = st.sidebar.radio("Tingkat wilayah", levels, format_func=LEVEL_LABEL.get, key=Map.LEVEL, horizontal=True)
missing_levels = [LEVEL_LABEL[lv] for lv in ("kecamatan", "kelurahan") if lv not in geo_levels]
if missing_levels:
    st.sidebar.caption(f"Batas {', '.join(missing_levels).lower()} belum ada: `python -m kla geo fetch`.")

periods = maps.periods_for(inputs, key, level)
modes = ["nilai", "perubahan"] if len(periods) >= 2 else ["nilai"]
ensure_default(Map.MODE, modes, "nilai")
mode = st.sidebar.radio("Tampilkan", modes, format_func=MODE_LABEL.get, key=Map.MODE)
ensure_default(Map.PERIOD, periods, periods[-1])
period = st.sidebar.selectbox("Periode", periods[::-1], key=Map.PERIOD)
earlier = None
if mode == "perubahan":
    before = [p for p in periods if p < period] or [p for p in periods if p != period]
    ensure_default(Map.PERIOD_FROM, before, before[-1])
    earlier = st.sidebar.selectbox("Dibanding periode", before[::-1], key=Map.PERIOD_FROM)

# ---------------------------------------------------------------- values and figures
fc, areas = load_boundaries(fp, level)
measure = choice.measure
values = maps.values_for(inputs, key, level, period, areas)
sample = maps.is_sample(inputs, key, level, period)
when = period
if earlier is not None:
    values = maps.change_values(maps.values_for(inputs, key, level, earlier, areas), values)
    measure = maps.change_measure(measure)
    sample = sample or maps.is_sample(inputs, key, level, earlier)
    when = f"{earlier} → {period}"
stamp = Stamp(
    title=f"{measure.map_label}<br><sup>per {level} · {city_name} · {when}</sup>",
    source=choice.source_label,
    data_date=when,
    sample=sample,
)
if sample:
    st.warning("Angka di peta ini adalah **DATA CONTOH** (ilustratif), bukan data resmi Dinkes.")

options = map_figures.MapOptions(
    label_size=12 if level == "kecamatan" else 8,
    height=620 if level == "kecamatan" else 700,
    no_data_in_label=level == "kecamatan",
    level_label=level,
)
left, right = st.columns([3, 2])
with left:
    clicked = plot_selectable(
        map_figures.choropleth(values, fc, measure=measure, stamp=stamp, options=options), Map.CHART
    )
with right:
    plot(map_figures.ranked_bar(values, measure=measure, stamp=stamp, height=options.height), Map.BAR)
st.caption(f"**{measure.map_label}.** {measure.description}")

# ---------------------------------------------------------------- chosen area (carried across pages)
names = dict(zip(areas["code"], areas["name"], strict=True))
picked = map_area_picker(fp, areas, clicked)

if picked:
    st.subheader(f"{LEVEL_LABEL[level]} {names[picked]}")
    trend = maps.trend_for(inputs, key, level, picked, areas)
    c1, c2 = st.columns(2)
    with c1:
        if len(trend):
            trend_stamp = Stamp(
                f"{choice.measure.map_label}<br><sup>{LEVEL_LABEL[level]} {names[picked]}</sup>",
                choice.source_label,
                f"{trend['period'].iloc[0]} – {trend['period'].iloc[-1]}",
                sample=any(maps.is_sample(inputs, key, level, p) for p in trend["period"]),
            )
            plot(map_figures.trend_figure(trend, measure=choice.measure, stamp=trend_stamp), Map.TREND)
        else:
            st.info("Belum ada deret waktu untuk wilayah ini.")
    with c2:
        if level == "kecamatan" and have.get("kelurahan"):
            _, kel = load_boundaries(fp, "kelurahan")
            kel = kel[kel["parent_code"] == picked]
            kel_values = maps.values_for(inputs, key, "kelurahan", period, kel)
            st.markdown(f"**Kelurahan di {names[picked]}** ({period})")
            if kel_values["value"].notna().any():
                st.dataframe(maps.values_table(kel_values, measure=choice.measure), hide_index=True)
            else:
                st.caption("Ukuran ini belum ada per kelurahan untuk periode ini.")
        kla_years = maps.kla_years(inputs, picked)
        scores = load_area_scores(fp, kla_years[-1]) if kla_years else None
        if scores is not None and (scores["area_code"] == picked).any():
            table = maps.kla_indicator_table(scores, picked)
            kind = (
                " — DATA CONTOH" if (scores.loc[scores["area_code"] == picked, "source_kind"] == "sample").any() else ""
            )
            weights = load_rulebook(fp).weights_note  # empty once the official weights are imported
            st.markdown(f"**Indikator KLA {names[picked]}**{kind}" + (f" ({weights})" if weights else ""))
            st.dataframe(table, hide_index=True, height=260)
        elif level == "kecamatan":
            st.caption("Belum ada nilai indikator KLA untuk kecamatan ini.")
    st.caption("Wilayah ini juga terpilih di halaman lain (Klaster, Kecamatan, …).")

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
