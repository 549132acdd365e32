"""Klaster: achievement per group on the radar, the indicators behind it, and where the points go."""

import streamlit as st

from kla.core import fmt
from kla.figures import analysis as analysis_charts
from kla.figures import charts
from kla.ui.keys import Clusters, group_bars
from kla.ui.loaders import database_fingerprint, load_rulebook_crosswalk, load_scores
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.widgets import choose_scored_area_and_year, comparison_picker, plot, sidebar_footer
from kla.views import analysis, overview

page_setup("Klaster", "🧭")
fp = database_fingerprint()
rulebook = load_rulebook_crosswalk(fp)

st.title("Klaster dan indikator KLA")
choice = choose_scored_area_and_year(fp)
area, year, area_label, names = choice.area, choice.year, choice.area_label, choice.names

frame = load_scores(fp, year, area)
summary = overview.summary_for(frame, rulebook, year=year, area=area)
source, sample = overview.score_stamp_source(frame, rulebook)
if sample:
    st.warning(f"Nilai {area_label} {year} adalah **DATA CONTOH** (ilustratif), bukan hasil evaluasi resmi.")

# Comparison: another year of the same area, or another area in the same year.
compare = comparison_picker(fp, choice)

c1, c2, c3 = st.columns(3)
c1.metric(f"Nilai {area_label} {year}", f"{fmt.number(summary.total)} / {fmt.number(rulebook.bands[-1].max)}")
c2.metric("Kategori", summary.category)
if summary.next_category:
    c3.metric(f"Kurang ke {summary.next_category}", f"{fmt.number(summary.points_to_next)} poin")

series = [(f"{area_label} {year}", summary.groups)]
if compare is not None:
    scores = load_scores(fp, compare.year, compare.area)
    other = overview.summary_for(scores, rulebook, year=compare.year, area=compare.area)
    if other:
        series.append((f"{names.get(compare.area, compare.area)} {compare.year}", other.groups))

left, right = st.columns(2)
with left:
    radar = charts.cluster_radar(
        series,
        rings=analysis.rings_above(rulebook, summary.total, 2),
        stamp=charts.Stamp(f"Capaian per klaster, {area_label} {year}", source, str(year), sample),
    )
    plot(radar, key=Clusters.RADAR)
with right:
    fall = analysis_charts.waterfall(
        analysis.waterfall_steps(summary, rulebook.bands[-1].max),
        total=summary.total,
        stamp=charts.Stamp(
            f"Dari {fmt.number(rulebook.bands[-1].max)} ke nilai sekarang: poin hilang per klaster",
            source,
            str(year),
            sample,
        ),
    )
    plot(fall, key=Clusters.WATERFALL)

st.subheader("Indikator per klaster")
st.caption(
    "Diurutkan dari poin hilang terbesar. Nomor indikator mengikuti penomoran KemenPPPA. 'Teks indikator' = "
    "status rumusan indikator (#1–#6 terverifikasi; yang lain label dari paparan KemenPPPA sampai lembar resmi "
    "diimpor); 'Sumber indikator' = tempat nomor dan label itu dibaca."
)
table = analysis.indicator_table(frame, rulebook)
tabs = st.tabs([f"{g.label} ({fmt.percent(g.pct, 0)})" for g in summary.groups])
for tab, group in zip(tabs, rulebook.groups, strict=True):
    with tab:
        rows = table[table["group"] == group.code].sort_values(["Hilang", "No"], ascending=[False, True])
        st.markdown(f"**{group.label}: {group.title}**")
        fig = analysis_charts.group_indicator_bars(
            rows.to_dict("records"),
            stamp=charts.Stamp(f"{group.label}: poin per indikator, {area_label} {year}", source, str(year), sample),
        )
        plot(fig, key=group_bars(group.code))
        st.dataframe(
            rows[["No", "Indikator", "OPD", "Poin", "Maks", "Hilang", "Bukti", "Teks indikator", "Sumber indikator"]],
            hide_index=True,
            width="stretch",
            column_config={"Sumber indikator": st.column_config.LinkColumn("Sumber indikator", display_text="sumber")},
        )

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
