"""Jalan ke kategori berikut: the exact least-effort plan to the next band (or a chosen higher one).

The file keeps its historical name (bookmarked URL); the title follows the data: a city at Pratama
plans for Madya, at Madya for Nindya, and a city at the top is told so.
"""

import json

import streamlit as st

from kla import ui
from kla.core import fmt, planner, whatif
from kla.core.errors import KlaError
from kla.figures import charts
from kla.read.repository import points_by_code
from kla.views import analysis, overview

ui.page_setup("Jalan ke kategori berikut", "🛣️")
fp = ui.database_fingerprint()
rulebook = ui.load_rulebook_crosswalk(fp)

choice = ui.choose_scored_area_and_year(fp)
area, year, area_label = choice.area, choice.year, choice.area_label

frame = ui.load_scores(fp, year, area)
points = points_by_code(frame)
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
    ui.sidebar_footer(fp)
    st.stop()
if st.session_state.get(ui.Keys.PLAN_TARGET) not in higher:
    st.session_state[ui.Keys.PLAN_TARGET] = higher[0]
target = st.sidebar.selectbox("Kategori target", higher, key=ui.Keys.PLAN_TARGET)

# Difficulty (1-5) and locks per indicator, kept for the whole session (also across pages).
settings: dict = st.session_state.setdefault(ui.Keys.PLAN_SETTINGS, {})
with st.expander("Kesulitan (1 = mudah … 5 = sangat sulit) dan kunci per indikator", expanded=False):
    upload = st.file_uploader(
        "Unggah berkas kesulitan (CSV: kode_indikator,kesulitan; atau JSON)",
        type=["csv", "json"],
        key=ui.Keys.PLAN_UPLOAD,
    )
    if upload is not None:
        try:
            loaded = planner.parse_difficulty_bytes(upload.getvalue(), upload.name, rulebook)
        except KlaError as exc:
            st.warning(str(exc))
        else:
            for code, d in loaded.items():
                settings[code] = (d, settings.get(code, (1, False))[1])
            st.session_state.pop(ui.Keys.PLAN_BASE, None)
            st.session_state.pop(ui.Keys.PLAN_EDITOR, None)
            st.caption(f"Kesulitan dari {upload.name} dipakai untuk {len(loaded)} indikator.")
    if ui.Keys.PLAN_BASE not in st.session_state or ui.Keys.PLAN_EDITOR not in st.session_state:
        st.session_state[ui.Keys.PLAN_BASE] = analysis.difficulty_frame(rulebook, settings)
    edited = st.data_editor(
        st.session_state[ui.Keys.PLAN_BASE],
        key=ui.Keys.PLAN_EDITOR,
        hide_index=True,
        width="stretch",
        disabled=["Kode", "No", "Indikator", "OPD"],
        column_config={
            "Kesulitan": st.column_config.NumberColumn(min_value=1, max_value=5, step=1, format="%d"),
            "Kunci": st.column_config.CheckboxColumn(help="tidak bisa diubah tahun ini"),
        },
    )
    settings.update(analysis.settings_from_frame(edited))
difficulty = {c: d for c, (d, _) in settings.items() if d != planner.DEFAULT_DIFFICULTY}
locked = [c for c, (_, lock) in settings.items() if lock]

try:
    plan = planner.plan(points, rulebook, target=target, difficulty=difficulty, locked=locked, year=year, area=area)
except KlaError as exc:
    st.warning(str(exc))
    ui.sidebar_footer(fp)
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
    ui.plot(radar, key="rencana_radar")

ui.sidebar_footer(fp)
