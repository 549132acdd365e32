"""Ringkasan: the Walikota's one-screen briefing. Entry point: ``streamlit run app.py``."""

import streamlit as st

from kla.core import fmt
from kla.figures import charts
from kla.figures import overview as overview_figures
from kla.ui.keys import Overview
from kla.ui.loaders import (
    database_fingerprint,
    load_meta,
    load_published_stunting,
    load_rulebook,
    load_score_years,
    load_scores,
)
from kla.ui.media import media_pack_section
from kla.ui.page import fail_without_scores, page_setup
from kla.ui.peers import peer_section
from kla.ui.widgets import plot, sidebar_footer, year_picker
from kla.views import analysis, overview

page_setup("Ringkasan", "🏙️")
fp = database_fingerprint()
meta = load_meta(fp)
rulebook = load_rulebook(fp)
city, city_name = meta["city_code"], meta["city_name"]

st.title(f"Kota Layak Anak · {city_name}")
years = load_score_years(fp, city)["year"].tolist()
if not years:
    fail_without_scores()
year = year_picker(years)
previous = [y for y in years if y < year]

frame = load_scores(fp, year, city)
summary = overview.summary_for(frame, rulebook, year=year, area=city)
source, sample = overview.score_stamp_source(frame, rulebook)
published = load_published_stunting(fp, city)
latest = overview.latest_published(published)

c1, c2, c3, c4 = st.columns(4)
c1.metric(
    f"Nilai KLA {year}" + (" · DATA CONTOH" if sample else ""),
    f"{fmt.number(summary.total)} / {fmt.number(rulebook.bands[-1].max)}",
    help=(f"Bobot: {rulebook.weights_note}. " if rulebook.weights_note else "")
    + ("Nilai ilustratif, bukan hasil evaluasi resmi." if sample else "")
    or None,
)
c2.metric("Kategori", summary.category)
if summary.next_category:
    c3.metric(f"Kurang ke {summary.next_category}", f"{fmt.number(summary.points_to_next)} poin")
if "stunting_prevalence_survey" in latest:
    fig = latest["stunting_prevalence_survey"]
    c4.metric(fig.label, fmt.percent(fig.value, None), help=f"{fig.period} · {fig.note} · {fig.source_url}")
    c4.caption(f"{fig.period}, [sumber]({fig.source_url})")

left, right = st.columns(2)
with left:
    series = [(f"{year}", summary.groups)]
    if previous:
        prev = overview.summary_for(load_scores(fp, previous[-1], city), rulebook, year=previous[-1], area=city)
        if prev:
            series.append((f"{previous[-1]}", prev.groups))
    radar = charts.cluster_radar(
        series,
        rings=analysis.band_rings(rulebook, [summary.next_category]),
        stamp=charts.Stamp(f"Capaian per klaster KLA, {city_name} {year}", source, str(year), sample),
    )
    plot(radar, key=Overview.RADAR)
with right:
    bar = charts.lost_points_bar(
        summary.lost, stamp=charts.Stamp(f"Indikator dengan poin hilang terbesar, {year}", source, str(year), sample)
    )
    plot(bar, key=Overview.LOST_POINTS)

with st.expander("Angka stunting terbitan terbaru (survei dan rutin dipisah)"):
    for item in latest.values():
        value = fmt.percent(item.value, None) if item.unit == "%" else f"{fmt.number(item.value)} {item.unit}"
        st.markdown(f"- **{item.label}**: {value} ({item.period}) — {item.note}")
        st.caption(f"[sumber]({item.source_url})")
    chart = overview_figures.survey_chart(published, city_name)
    if chart is not None:
        plot(chart, key=Overview.SURVEY)

# The city among the kabupaten/kota of its province (issue 9 §7): below the first screen, folded
peer_section(fp, category_order=[b.name for b in rulebook.bands], compact=True)

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
