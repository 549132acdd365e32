"""Jalan ke kategori berikut: the exact least-effort plan to the next band (or a chosen higher one).

The file keeps its historical name (bookmarked URL); the title follows the data: a city at Pratama
plans for Madya, at Madya for Nindya, and a city at the top is told so.
"""

import json

import streamlit as st

from kla.core import fmt, planner, whatif
from kla.core.errors import KlaError
from kla.figures import charts
from kla.ui.keys import Plan, ensure_default
from kla.ui.loaders import database_fingerprint, load_points, load_rulebook_crosswalk, load_scores
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.widgets import choose_scored_area_and_year, difficulty_settings, plot, sidebar_footer
from kla.views import analysis, overview

page_setup("Jalan ke kategori berikut", "🛣️")
fp = database_fingerprint()
rulebook = load_rulebook_crosswalk(fp)

choice = choose_scored_area_and_year(fp)
area, year, area_label = choice.area, choice.year, choice.area_label

frame = load_scores(fp, year, area)
points = load_points(fp, year, area)
summary = overview.summary_for(frame, rulebook, year=year, area=area)
source, sample = overview.score_stamp_source(frame, rulebook)
st.title(analysis.plan_title(summary))
if sample:
    st.warning(f"Nilai {area_label} {year} adalah **DATA CONTOH** (ilustratif); rencana ini hanya peragaan.")

higher = analysis.higher_bands(summary, rulebook)
if not higher:
    st.success(
        f"{area_label} {year} sudah di kategori tertinggi ({summary.category}, nilai {fmt.number(summary.total)}). "
        "Tidak ada kategori berikut; pertahankan nilai setiap indikator."
    )
    sidebar_footer(fp)
    st.stop()
ensure_default(Plan.TARGET, higher, higher[0])
target = st.sidebar.selectbox("Kategori target", higher, key=Plan.TARGET)

settings = difficulty_settings(rulebook)
difficulty = {c: d for c, (d, _) in settings.items() if d != planner.DEFAULT_DIFFICULTY}
locked = [c for c, (_, lock) in settings.items() if lock]

try:
    plan = planner.plan(points, rulebook, target=target, difficulty=difficulty, locked=locked, year=year, area=area)
except KlaError as exc:
    st.warning(str(exc))
    sidebar_footer(fp)
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Nilai {year}", fmt.number(plan.current_total), help=f"kategori {plan.current_category}")
c2.metric(f"Perlu ke {plan.target}", f"{fmt.number(plan.need)} poin")
c3.metric(
    "Total setelah rencana", fmt.number(plan.new_total), delta=fmt.metric_delta(plan.new_total - plan.current_total)
)
c4.metric("Sisa di atas batas" if plan.reachable else "Masih kurang", f"{fmt.number(abs(plan.slack))} poin")
if plan.reachable:
    st.success(plan.message())
else:
    st.warning(plan.message())

# the plan table is wide (indicator, OPD, steps, points): full width, the radar under it
st.dataframe(analysis.plan_table(plan), hide_index=True, width="stretch")
st.caption(
    f"Upaya = poin naik × kesulitan. Total upaya {fmt.number(plan.total_effort)}. Langkah mengikuti tingkat poin "
    f"rulebook{'; ' + rulebook.weights_note if rulebook.weights_note else ''}. "
    "Syarat ukuran kesehatan dari aturan crosswalk (ilustratif)."
)
st.download_button(
    "Unduh rencana (JSON)",
    json.dumps(plan.to_dict(), ensure_ascii=False, indent=2),
    file_name=f"rencana_{area}_{year}_{plan.target}.json",
    mime="application/json",
)
after = whatif.evaluate(planner.apply(points, plan), rulebook, year=year, area=area)
radar = charts.cluster_radar(
    [("sekarang", summary.groups), (f"setelah rencana ({fmt.number(after.total)})", after.groups)],
    rings=analysis.band_rings(rulebook, [plan.target]),
    stamp=charts.Stamp(f"Sebelum dan sesudah rencana ke {plan.target}, {area_label}", source, str(year), sample),
)
_, middle, _ = st.columns([1, 4, 1])
with middle:
    plot(radar, key=Plan.RADAR)

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
