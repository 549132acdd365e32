"""OPD: one agency's KLA indicators, points lost, missing evidence and its worst kecamatan."""

import streamlit as st

from kla.core import fmt
from kla.figures import analysis as analysis_charts
from kla.figures import charts
from kla.ui.keys import Opd, ensure_default
from kla.ui.loaders import (
    database_fingerprint,
    load_measure_values,
    load_meta,
    load_rulebook_crosswalk,
    load_score_years,
    load_scores,
)
from kla.ui.media import media_pack_section
from kla.ui.page import fail_without_scores, page_setup
from kla.ui.widgets import plot, sidebar_footer, year_picker
from kla.views import analysis, overview

page_setup("OPD", "🏛️")
fp = database_fingerprint()
meta = load_meta(fp)
rulebook = load_rulebook_crosswalk(fp)
city = meta["city_code"]

st.title("Tampilan OPD")
years = load_score_years(fp, city)["year"].tolist()
if not years:
    fail_without_scores()
year = year_picker(years)
opds = analysis.opd_list(rulebook)
ensure_default(Opd.OPD, opds, opds[0])
opd = st.selectbox("OPD", opds, key=Opd.OPD)

frame = load_scores(fp, year, city)
source, sample = overview.score_stamp_source(frame, rulebook)
table = analysis.indicator_table(frame, rulebook)
rows = analysis.opd_indicators(table, opd)
latest = analysis.latest_measures(load_measure_values(fp), level="kecamatan")
worst = analysis.worst_areas_for(latest, rulebook.crosswalk, rows["Kode"].tolist())
summary = analysis.opd_summary(opd, rows, worst)

if sample:
    st.warning(f"Nilai {year} adalah **DATA CONTOH** (ilustratif), bukan hasil evaluasi resmi.")
c1, c2, c3 = st.columns(3)
c1.metric("Indikator", summary.n_indicators)
c2.metric(f"Poin {year}", f"{fmt.number(summary.points)} / {fmt.number(summary.max_points)}")
c3.metric("Dokumen belum lengkap", len(summary.missing_evidence))

st.subheader("Ringkasan satu layar untuk rapat")
lines = summary.lines(year=year, weights_label=rulebook.weights_note)
st.info("\n\n".join(lines))
note = ("DATA CONTOH (ilustratif). " if sample else "") + "Sumber: " + source
st.download_button(
    "Unduh ringkasan (teks)",
    "\n".join([*lines, "", note]),
    file_name=f"ringkasan_kla_{year}.txt",
    mime="text/plain",
    key=Opd.DOWNLOAD,
)

left, right = st.columns([3, 2])
with left:
    fig = analysis_charts.group_indicator_bars(
        rows.to_dict("records"),
        stamp=charts.Stamp(f"Indikator KLA {opd}: poin didapat dan hilang, {year}", source, str(year), sample),
    )
    plot(fig, key=Opd.BAR)
    st.dataframe(
        rows[["No", "Indikator", "Klaster", "Poin", "Maks", "Hilang", "Bukti", "Teks indikator"]],
        hide_index=True,
        width="stretch",
    )
with right:
    st.markdown("**Kecamatan dengan ukuran terkait terburuk** (data rutin, per bulan terakhir)")
    if worst.empty:
        st.caption("Indikator OPD ini belum terhubung ke ukuran kesehatan, atau belum ada data per kecamatan.")
    else:
        show = worst[["label", "area_name", "value_text", "period", "source", "flags"]].rename(
            columns={
                "label": "Ukuran",
                "area_name": "Kecamatan",
                "value_text": "Nilai",
                "period": "Periode",
                "source": "Sumber",
                "flags": "Catatan mutu",
            }
        )
        st.dataframe(show, hide_index=True, width="stretch")
        if worst["sample"].any():
            st.caption("Sebagian nilai di atas adalah **DATA CONTOH** gizi anak.")

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
