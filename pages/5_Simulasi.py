"""Simulasi (what-if): change indicator points, see total, category and radar at once; save a scenario."""

import streamlit as st

from kla.core import crosswalk, fmt, whatif
from kla.core.catalog import CROSSWALK
from kla.core.errors import KlaError
from kla.figures import charts
from kla.ui import scenarios
from kla.ui.admin import admin_login
from kla.ui.keys import WhatIf, ensure_default, whatif_measure, whatif_points, whatif_use_measure
from kla.ui.loaders import database_fingerprint, load_measure_values, load_points, load_rulebook_crosswalk, load_scores
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.widgets import choose_scored_area_and_year, plot, sidebar_footer
from kla.views import analysis, overview

page_setup("Simulasi", "🎛️")
fp = database_fingerprint()
rulebook = load_rulebook_crosswalk(fp)

st.title("Simulasi nilai KLA (what-if)")
choice = choose_scored_area_and_year(fp, year_label="Tahun awal")
area, year, area_label = choice.area, choice.year, choice.area_label

frame = load_scores(fp, year, area)
base = whatif.clamp(load_points(fp, year, area), rulebook)
actual = whatif.evaluate(base, rulebook, year=year, area=area)
source, sample = overview.score_stamp_source(frame, rulebook)


linked_measures = list(dict.fromkeys(r.measure for r in rulebook.crosswalk))
latest = analysis.latest_measures(load_measure_values(fp))


def _measure_default(m: str) -> float:
    row = analysis.current_value(latest, area, m)
    if row is not None:
        return round(float(row["value"]), 1)
    return float(next(r for r in rulebook.crosswalk if r.measure == m).steps[0][0])


def _reset() -> None:
    for code, value in base.items():
        st.session_state[whatif_points(code)] = float(value)
    for m in linked_measures:
        st.session_state[whatif_use_measure(m)] = False
        st.session_state[whatif_measure(m)] = _measure_default(m)


if st.session_state.get(WhatIf.BASE) != (year, area) or any(whatif_points(c) not in st.session_state for c in base):
    _reset()
    st.session_state[WhatIf.BASE] = (year, area)

measure_inputs = {
    m: float(st.session_state[whatif_measure(m)])
    for m in linked_measures
    if st.session_state.get(whatif_use_measure(m))
}
typed = {code: float(st.session_state[whatif_points(code)]) for code in base}
scenario = whatif.with_measures(typed, rulebook, measure_inputs)
result = whatif.evaluate(scenario, rulebook, year=year, area=area)
from_measure = {
    c
    for c in crosswalk.linked_indicators(rulebook.crosswalk)
    if any(r.measure in measure_inputs for r in crosswalk.rules_for(rulebook.crosswalk, c))
}


if sample:
    st.warning(f"Titik awal: nilai {area_label} {year} = **DATA CONTOH** (ilustratif). Skenario bukan nilai resmi.")
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Nilai skenario",
    fmt.number(result.total),
    # no delta until something changes: a green "up 0" arrow reads as progress
    delta=f"{fmt.metric_delta(result.total - actual.total)} dari {year}" if result.total != actual.total else None,
)
c2.metric("Kategori skenario", result.category)
c3.metric(f"Kategori {year} sebenarnya", actual.category)
if result.next_category:
    c4.metric(f"Kurang ke {result.next_category}", f"{fmt.number(result.points_to_next)} poin")
st.button("Kembali ke nilai sebenarnya", key=WhatIf.RESET, on_click=_reset)

left, right = st.columns([3, 2])
with left:
    for group in rulebook.groups:
        inds = [i for i in rulebook.indicators if i.group == group.code]
        g = next(x for x in result.groups if x.code == group.code)
        with st.expander(
            f"{group.label}: {group.title} — {fmt.number(g.points)}/{fmt.number(g.max)} ({fmt.percent(g.pct, 0)})",
            expanded=group.code == "K3",
        ):
            cols = st.columns(2)
            for n, ind in enumerate(inds):
                cols[n % 2].number_input(
                    f"{ind.number}. {ind.name[:60]} "
                    f"(maks {fmt.number(ind.max_points)}; asli {fmt.number(base[ind.code])})",
                    min_value=0.0,
                    max_value=float(ind.max_points),
                    step=whatif.step_for(ind),
                    format="%.2f",
                    key=whatif_points(ind.code),
                    disabled=ind.code in from_measure,
                    help=f"OPD: {ind.opd}"
                    + (" · dihitung dari ukuran kesehatan di bawah" if ind.code in from_measure else ""),
                )
    if linked_measures:
        with st.expander("Hitung indikator dari ukuran kesehatan (crosswalk, aturan ilustratif)", expanded=False):
            for m in linked_measures:
                info = CROSSWALK[m]
                inds = sorted({r.indicator for r in rulebook.crosswalk if r.measure == m})
                a, b = st.columns([1, 1])
                a.checkbox(
                    f"Pakai {info.label.lower()} untuk indikator {', '.join(inds)}",
                    key=whatif_use_measure(m),
                )
                b.number_input(
                    f"{info.label} ({info.unit})",
                    min_value=0.0,
                    max_value=100.0,
                    step=0.5,
                    format="%.1f",
                    key=whatif_measure(m),
                )
            st.caption("Jika beberapa ukuran dipakai untuk satu indikator, ukuran terlemah yang menentukan poinnya.")
with right:
    radar = charts.cluster_radar(
        [
            (f"skenario ({fmt.number(result.total)})", result.groups),
            (f"{year} sebenarnya ({fmt.number(actual.total)})", actual.groups),
        ],
        rings=analysis.rings_above(rulebook, actual.total),
        stamp=charts.Stamp(f"Skenario vs {year}, {area_label}", f"{source}; skenario what-if", str(year), sample),
    )
    plot(radar, key=WhatIf.RADAR)
    changed = whatif.comparison(base, whatif.clamp(scenario, rulebook), rulebook)
    if changed.empty:
        st.caption("Belum ada indikator yang diubah.")
    else:
        st.dataframe(
            changed[["No", "Indikator", "Nilai sebenarnya", "Skenario", "Selisih"]], hide_index=True, width="stretch"
        )

    st.markdown("**Simpan skenario** (disimpan terpisah; nilai sebenarnya tidak pernah ditimpa)")
    admin = admin_login(compact=True)  # saving, renaming and deleting need the admin password
    name = st.text_input("Nama skenario", key=WhatIf.SCENARIO_NAME, max_chars=scenarios.NAME_MAX, disabled=not admin)
    if st.button("Simpan", key=WhatIf.SCENARIO_SAVE, disabled=not admin):
        try:
            saved = scenarios.save_scenario(
                name,
                year=year,
                area=area,
                points=whatif.clamp(scenario, rulebook),
                base=base,
                rulebook=rulebook,
            )
        except KlaError as exc:
            st.warning(str(exc))
        else:
            st.success(f"Skenario '{fmt.plain(saved)}' disimpan.")

    message = st.session_state.pop(WhatIf.SCENARIO_MESSAGE, None)
    if message:
        (st.success if message[0] == "ok" else st.warning)(message[1])
    sfp = scenarios.scenarios_fingerprint()
    saved_list = scenarios.load_scenarios(sfp)
    mine = saved_list[(saved_list["year"] == year) & (saved_list["area_code"] == area)]
    if not mine.empty:
        ensure_default(WhatIf.SCENARIO_PICK, mine["name"].tolist(), mine["name"].iloc[0])
        pick = st.selectbox(
            "Bandingkan skenario tersimpan dengan nilai sebenarnya", mine["name"].tolist(), key=WhatIf.SCENARIO_PICK
        )
        pts = scenarios.load_scenario_points(sfp, pick, year, area)
        res = whatif.evaluate(pts, rulebook, year=year, area=area)
        st.markdown(
            f"Skenario **{fmt.plain(pick)}**: {fmt.number(res.total)} poin, **{res.category}** "
            f"(sebenarnya {fmt.number(actual.total)}, {actual.category})."
        )
        st.dataframe(
            whatif.comparison(base, pts, rulebook)[["No", "Indikator", "Nilai sebenarnya", "Skenario", "Selisih"]],
            hide_index=True,
            width="stretch",
        )
        with st.expander(f"Ubah nama atau hapus skenario '{fmt.plain(pick)}'"):
            if not admin:
                st.caption(scenarios.NOT_ADMIN)
            st.text_input("Nama baru", key=WhatIf.SCENARIO_NEW_NAME, max_chars=scenarios.NAME_MAX, disabled=not admin)
            st.button(
                "Ubah nama",
                key=WhatIf.SCENARIO_RENAME,
                on_click=scenarios.manage_scenario,
                args=("rename", pick, year, area),
                disabled=not admin,
            )
            st.checkbox(
                "Ya, hapus skenario ini (tidak bisa dibatalkan)", key=WhatIf.SCENARIO_DELETE_CONFIRM, disabled=not admin
            )
            st.button(
                "Hapus skenario",
                key=WhatIf.SCENARIO_DELETE,
                on_click=scenarios.manage_scenario,
                args=("delete", pick, year, area),
                disabled=not (admin and st.session_state.get(WhatIf.SCENARIO_DELETE_CONFIRM)),
            )

sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
