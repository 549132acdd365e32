"""Kecamatan: Kecamatan Layak Anak comparison, and the health crosswalk per kecamatan."""

import streamlit as st

from kla.core import catalog, fmt
from kla.core import links as url
from kla.core.catalog import CROSSWALK
from kla.figures import analysis as analysis_charts
from kla.figures import charts
from kla.ui.keys import Kecamatan, ensure_default
from kla.ui.loaders import (
    database_fingerprint,
    load_area_scores,
    load_areas,
    load_measure_values,
    load_meta,
    load_rulebook_crosswalk,
    load_score_years,
)
from kla.ui.media import media_pack_section
from kla.ui.page import fail_without_scores, page_setup
from kla.ui.widgets import plot, sidebar_footer, year_picker
from kla.views import analysis, kecamatan

page_setup("Kecamatan", "🏘️")
fp = database_fingerprint()
meta = load_meta(fp)
rulebook = load_rulebook_crosswalk(fp)
city, city_name = meta["city_code"], meta["city_name"]
areas = load_areas(fp)
names = areas.set_index("code")["name"].to_dict()

st.title("Kecamatan Layak Anak dan data kesehatan")
years = load_score_years(fp, city)["year"].tolist()
if not years:
    fail_without_scores()
kec_years = [y for y in years if (load_area_scores(fp, y)["area_level"] == "kecamatan").any()] or years
year = year_picker(kec_years, key=Kecamatan.YEAR)

scores = load_area_scores(fp, year)
table = analysis.group_pct_table(scores, rulebook)
sample = bool((scores["source_kind"] == "sample").any())
source = f"penilaian mandiri KLA ({scores['source_path'].nunique()} berkas, lihat Sumber Data)" + (
    f"; {rulebook.weights_note}" if rulebook.weights_note else ""
)
if sample:
    st.warning(f"Nilai per kecamatan {year} adalah **DATA CONTOH** (ilustratif), bukan hasil evaluasi resmi.")

st.subheader(f"Perbandingan kecamatan, {year}")
kec = table[table["level"] == "kecamatan"]
if kec.empty:
    st.info("Belum ada nilai per kecamatan untuk tahun ini. Impor dengan templat yang sama dan kolom kode_wilayah.")
groups = [g.label for g in rulebook.groups]
left, right = st.columns([3, 2])
with left:
    shown = table.sort_values(["level", "Total"], ascending=[False, False])
    heat = analysis_charts.area_heatmap(
        shown["Wilayah"].tolist(),
        groups,
        shown[groups].values.tolist(),
        stamp=charts.Stamp(f"Capaian per klaster per wilayah, {year}", source, str(year), sample),
    )
    plot(heat, key=Kecamatan.HEATMAP)
with right:
    st.dataframe(shown[["Wilayah", "Total", "Kategori", *groups]], hide_index=True, width="stretch")
    if not kec.empty:
        st.markdown(f"**Kecamatan yang menarik {city_name} ke bawah, per klaster** (acuan: nilai kota)")
        st.dataframe(analysis.pull_down(table, rulebook, city), hide_index=True, width="stretch")

st.divider()
st.subheader("Crosswalk: dari data kesehatan ke indikator KLA")
st.caption(
    "Aturan ambang → poin ada di berkas rulebook dan **ilustratif** sampai ada panduan resmi. Angka survei "
    "(SSGI/SKI) dan angka rutin (e-PPGBM) ditampilkan terpisah; angka rutin biasanya jauh lebih rendah."
)
if not rulebook.crosswalk:
    st.info("Rulebook ini belum memuat aturan crosswalk.")
    sidebar_footer(fp)
    st.stop()

xw_areas = [city, *areas.loc[areas["level"] == "kecamatan", "code"].tolist()]
ensure_default(Kecamatan.XWALK_AREA, xw_areas, xw_areas[0])
measures = list(dict.fromkeys(r.measure for r in rulebook.crosswalk))
ensure_default(Kecamatan.XWALK_MEASURE, measures, measures[0])
a, b, c = st.columns(3)
xw_area = a.selectbox("Wilayah", xw_areas, key=Kecamatan.XWALK_AREA, format_func=lambda x: names.get(x, x))
measure = b.selectbox("Ukuran", measures, key=Kecamatan.XWALK_MEASURE, format_func=lambda m: CROSSWALK[m].label)
latest = analysis.latest_measures(load_measure_values(fp))
now = analysis.current_value(latest, xw_area, measure)
# start from the measure's published target (kla.core.catalog)
value_range = url.NumberRange(0.0, 100.0, decimals=2)
ensure_default(Kecamatan.XWALK_VALUE, value_range, catalog.latest_target(measure) or 0.0, token=value_range.token)
value = c.number_input(
    f"Jika {CROSSWALK[measure].label.lower()} menjadi ({CROSSWALK[measure].unit})",
    min_value=0.0,
    max_value=100.0,
    step=0.5,
    format="%.1f",
    key=Kecamatan.XWALK_VALUE,
)

scored, from_city = kecamatan.scored_points(scores, xw_area, city)
if from_city:
    st.caption(f"{names.get(xw_area, xw_area)} belum punya nilai KLA {year}; poin indikator memakai nilai kota.")
scenarios = analysis.crosswalk_scenarios(rulebook, latest, xw_area, measure, value, scored)
for sc in scenarios:
    st.success(("DATA CONTOH: " if sample else "") + sc.sentence())
    if (note := sc.combination_note()) is not None:
        st.caption(note)
    if sc.rule_points_now is not None and abs(sc.rule_points_now - sc.current_points) > 1e-9:
        st.caption(
            f"Catatan: menurut aturan, nilai ukuran sekarang setara {fmt.number(sc.rule_points_now)} poin untuk "
            f"indikator {sc.indicator_number}, sedangkan penilaian mandiri mencatat {fmt.number(sc.current_points)}."
        )

left, right = st.columns([1, 1])
with left:
    sc = scenarios[0]
    rule = next(r for r in rulebook.crosswalk if r.measure == measure and r.indicator == sc.indicator)
    reading = sc.reading
    fig = analysis_charts.crosswalk_rule_chart(
        rule,
        sc,
        max_points=rulebook.indicator(rule.indicator).max_points,
        stamp=charts.Stamp(
            f"Aturan {CROSSWALK[measure].label} → indikator {sc.indicator_number}",
            ("aturan ilustratif" if rule.illustrative else "aturan rulebook")
            + "; ukuran: "
            + (reading.describe() if reading else "belum ada data"),
            reading.period if reading else "-",
            bool(now is not None and now["sample"]),
        ),
    )
    plot(fig, key=Kecamatan.XWALK_RULE)
with right:
    rows = analysis.crosswalk_rows(rulebook, latest, xw_area, scored)
    st.markdown(f"**Ukuran di balik tiap indikator terkait — {names.get(xw_area, xw_area)}**")
    st.dataframe(
        kecamatan.crosswalk_table(rows),
        hide_index=True,
        width="stretch",
    )

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
