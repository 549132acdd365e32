"""Peta: a measure per kecamatan or kelurahan, its ranking, and a drill-down for one area."""

import streamlit as st

from kla import ui
from kla.figures import maps as map_figures
from kla.figures.charts import Stamp
from kla.ui import Keys, MapKeys
from kla.views import maps

LEVEL_LABEL = {"kecamatan": "Kecamatan", "kelurahan": "Kelurahan"}
MODE_LABEL = {"nilai": "Nilai satu periode", "perubahan": "Perubahan antar-periode"}

ui.page_setup("Peta", "🗺️")
fp = ui.database_fingerprint()
meta = ui.load_meta(fp)
city_name = meta.get("city_name", "")
st.title(f"Peta wilayah · {city_name}")

have = ui.load_boundary_levels(fp)
if not have:
    st.info("Batas wilayah belum ada di basis data, jadi peta belum bisa digambar. Halaman lain tetap bisa dipakai.")
    st.markdown(
        "Unduh batas kecamatan dan kelurahan (sekali saja; setiap berkas diperiksa sha256-nya):\n\n"
        "```\npython -m kla geo fetch\n```\n"
        "Tanpa internet, pakai salinan berkas di folder lain: `python -m kla geo fetch --from FOLDER`. "
        "Punya berkas batas resmi sendiri (GeoJSON, GeoPackage, atau Shapefile .zip)? "
        "`python -m kla geo import BERKAS --level kecamatan`. Lalu muat ulang halaman ini."
    )
    ui.sidebar_footer(fp)
    st.stop()

inputs = ui.load_map_inputs(fp)
geo_levels = [lv for lv in ("kecamatan", "kelurahan") if have.get(lv)]
choices = maps.available_choices(inputs, geo_levels)
if not choices:
    ui.fail(
        "Belum ada angka yang bisa dipetakan per wilayah.",
        hint="Impor data gizi: python -m kla import eppgbm BERKAS (atau rekap), lalu muat ulang.",
    )

# ---------------------------------------------------------------- selectors (sidebar)
if st.session_state.get(MapKeys.MEASURE) not in choices:
    st.session_state[MapKeys.MEASURE] = choices[0]
key = st.sidebar.selectbox("Ukuran", choices, format_func=maps.choice_label, key=MapKeys.MEASURE)
choice = maps.CHOICES[key]
levels = maps.levels_for(inputs, key, geo_levels)
if st.session_state.get(MapKeys.LEVEL) not in levels:
    st.session_state[MapKeys.LEVEL] = levels[0]
level = st.sidebar.radio("Tingkat wilayah", levels, format_func=LEVEL_LABEL.get, key=MapKeys.LEVEL, horizontal=True)
missing_levels = [LEVEL_LABEL[lv] for lv in ("kecamatan", "kelurahan") if lv not in geo_levels]
if missing_levels:
    st.sidebar.caption(f"Batas {', '.join(missing_levels).lower()} belum ada: `python -m kla geo fetch`.")

periods = maps.periods_for(inputs, key, level)
modes = ["nilai", "perubahan"] if len(periods) >= 2 else ["nilai"]
if st.session_state.get(MapKeys.MODE) not in modes:
    st.session_state[MapKeys.MODE] = "nilai"
mode = st.sidebar.radio("Tampilkan", modes, format_func=MODE_LABEL.get, key=MapKeys.MODE)
if st.session_state.get(MapKeys.PERIOD) not in periods:
    st.session_state[MapKeys.PERIOD] = periods[-1]
period = st.sidebar.selectbox("Periode", periods[::-1], key=MapKeys.PERIOD)
earlier = None
if mode == "perubahan":
    before = [p for p in periods if p < period] or [p for p in periods if p != period]
    if st.session_state.get(MapKeys.PERIOD_FROM) not in before:
        st.session_state[MapKeys.PERIOD_FROM] = before[-1]
    earlier = st.sidebar.selectbox("Dibanding periode", before[::-1], key=MapKeys.PERIOD_FROM)

# ---------------------------------------------------------------- values and figures
fc, areas = ui.load_boundaries(fp, level)
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
    clicked = ui.plot_selectable(
        map_figures.choropleth(values, fc, measure=measure, stamp=stamp, options=options), MapKeys.CHART
    )
with right:
    ui.plot(map_figures.ranked_bar(values, measure=measure, stamp=stamp, height=options.height), MapKeys.BAR)
st.caption(f"**{measure.map_label}.** {measure.description}")

# ---------------------------------------------------------------- chosen area (carried across pages)
codes = areas["code"].tolist()
names = dict(zip(areas["code"], areas["name"], strict=True))
click = maps.selected_code(clicked, codes)
if click and click != st.session_state.get(MapKeys.LAST_CLICK):
    st.session_state[Keys.AREA] = click
st.session_state[MapKeys.LAST_CLICK] = click
parents = ui.load_areas(fp).set_index("code")["parent_code"].to_dict()
current = maps.area_for_level(st.session_state.get(Keys.AREA), codes, parents)
st.session_state[MapKeys.AREA_PICK] = current


def _pick() -> None:
    st.session_state[Keys.AREA] = st.session_state[MapKeys.AREA_PICK]


picked = st.selectbox(
    "Rincian wilayah (atau klik wilayah di peta)",
    [None, *codes],
    format_func=lambda c: "— pilih wilayah —" if c is None else f"{names[c]} ({c})",
    key=MapKeys.AREA_PICK,
    on_change=_pick,
)

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
            ui.plot(map_figures.trend_figure(trend, measure=choice.measure, stamp=trend_stamp), "peta_tren")
        else:
            st.info("Belum ada deret waktu untuk wilayah ini.")
    with c2:
        if level == "kecamatan" and have.get("kelurahan"):
            _, kel = ui.load_boundaries(fp, "kelurahan")
            kel = kel[kel["parent_code"] == picked]
            kel_values = maps.values_for(inputs, key, "kelurahan", period, kel)
            st.markdown(f"**Kelurahan di {names[picked]}** ({period})")
            if kel_values["value"].notna().any():
                st.dataframe(maps.values_table(kel_values, measure=choice.measure), hide_index=True)
            else:
                st.caption("Ukuran ini belum ada per kelurahan untuk periode ini.")
        kla_years = maps.kla_years(inputs, picked)
        scores = ui.load_area_scores(fp, kla_years[-1]) if kla_years else None
        if scores is not None and (scores["area_code"] == picked).any():
            table = maps.kla_indicator_table(scores, picked)
            kind = (
                " — DATA CONTOH" if (scores.loc[scores["area_code"] == picked, "source_kind"] == "sample").any() else ""
            )
            weights = ui.load_rulebook(fp).weights_note  # empty once the official weights are imported
            st.markdown(f"**Indikator KLA {names[picked]}**{kind}" + (f" ({weights})" if weights else ""))
            st.dataframe(table, hide_index=True, height=260)
        elif level == "kecamatan":
            st.caption("Belum ada nilai indikator KLA untuk kecamatan ini.")
    st.caption("Wilayah ini juga terpilih di halaman lain (Klaster, Kecamatan, …).")

ui.sidebar_footer(fp)
