"""Kecamatan: Kecamatan Layak Anak comparison, and the health crosswalk per kecamatan."""

import streamlit as st

from kla import ui
from kla.core import catalog, fmt
from kla.core.catalog import CROSSWALK
from kla.figures import analysis as analysis_charts
from kla.figures import charts
from kla.views import analysis

ui.page_setup("Kecamatan", "🏘️")
fp = ui.database_fingerprint()
meta = ui.load_meta(fp)
rulebook = ui.load_rulebook_crosswalk(fp)
city, city_name = meta["city_code"], meta["city_name"]
areas = ui.load_areas(fp)
names = areas.set_index("code")["name"].to_dict()

st.title("Kecamatan Layak Anak dan data kesehatan")
years = ui.load_score_years(fp, city)["year"].tolist()
if not years:
    ui.fail(
        "Belum ada nilai KLA di basis data.", hint="Impor dengan: python -m kla import kla-scores BERKAS --year TAHUN"
    )
kec_years = [y for y in years if (ui.load_area_scores(fp, y)["area_level"] == "kecamatan").any()] or years
if st.session_state.get(ui.Keys.KEC_YEAR) not in kec_years:
    st.session_state[ui.Keys.KEC_YEAR] = kec_years[-1]
year = st.sidebar.selectbox("Tahun penilaian", kec_years[::-1], key=ui.Keys.KEC_YEAR)

scores = ui.load_area_scores(fp, year)
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
    ui.plot(heat, key="kecamatan_heatmap")
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
    ui.sidebar_footer(fp)
    st.stop()

xw_areas = [city, *areas.loc[areas["level"] == "kecamatan", "code"].tolist()]
if st.session_state.get(ui.Keys.XWALK_AREA) not in xw_areas:
    st.session_state[ui.Keys.XWALK_AREA] = xw_areas[0]
measures = list(dict.fromkeys(r.measure for r in rulebook.crosswalk))
a, b, c = st.columns(3)
xw_area = a.selectbox("Wilayah", xw_areas, key=ui.Keys.XWALK_AREA, format_func=lambda x: names.get(x, x))
measure = b.selectbox("Ukuran", measures, key=ui.Keys.XWALK_MEASURE, format_func=lambda m: CROSSWALK[m].label)
latest = analysis.latest_measures(ui.load_measure_values(fp))
now = analysis.current_value(latest, xw_area, measure)
if ui.Keys.XWALK_VALUE not in st.session_state:  # start from the measure's published target (kla.core.catalog)
    st.session_state[ui.Keys.XWALK_VALUE] = catalog.latest_target(measure) or 0.0
value = c.number_input(
    f"Jika {CROSSWALK[measure].label.lower()} menjadi ({CROSSWALK[measure].unit})",
    min_value=0.0,
    max_value=100.0,
    step=0.5,
    format="%.1f",
    key=ui.Keys.XWALK_VALUE,
)

area_rows = scores[scores["area_code"] == xw_area]
if area_rows.empty:  # no Kecamatan Layak Anak score: fall back to the city's points, and say so
    area_rows = scores[scores["area_code"] == city]
    st.caption(f"{names.get(xw_area, xw_area)} belum punya nilai KLA {year}; poin indikator memakai nilai kota.")
scored = dict(zip(area_rows["code"], area_rows["points"].astype(float), strict=True))
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
    ui.plot(fig, key="crosswalk_aturan")
with right:
    rows = analysis.crosswalk_rows(rulebook, latest, xw_area, scored)
    st.markdown(f"**Ukuran di balik tiap indikator terkait — {names.get(xw_area, xw_area)}**")
    st.dataframe(
        [
            {
                "Indikator": r.number,
                "Ukuran": r.label,
                "Seri": r.series,
                "Periode": r.period,
                "Nilai": r.value_text,
                "Sumber": r.source,
                "Poin menurut aturan": r.rule_points,
                "Poin dinilai": r.scored_points,
                "Catatan mutu": r.flags,
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )

ui.sidebar_footer(fp)
