"""Riwayat: KLA category by year next to the nutrition series, evaluation years marked."""

import streamlit as st

from kla.core import fmt
from kla.figures import analysis as analysis_charts
from kla.figures import charts
from kla.ui.keys import History
from kla.ui.loaders import (
    database_fingerprint,
    load_area_totals,
    load_measure_values,
    load_meta,
    load_published_all,
    load_rulebook_crosswalk,
)
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.peers import peer_section
from kla.ui.widgets import plot, sidebar_footer
from kla.views import analysis

page_setup("Riwayat", "📜")
fp = database_fingerprint()
meta = load_meta(fp)
rulebook = load_rulebook_crosswalk(fp)
city, city_name = meta["city_code"], meta["city_name"]

st.title(f"Riwayat KLA dan gizi anak, {city_name}")
published = load_published_all(fp, city)
totals = load_area_totals(fp, city)
points = analysis.history(published, totals, rulebook)
values = load_measure_values(fp)
routine = values[
    (values["area_code"] == city)
    & (values["measure"] == "stunting_prevalence")
    & (values["series"] == "rutin")
    & (values["source"].isin(["e-PPGBM", "rekap bulanan"]))
]
series = analysis.nutrition_series(published, routine)
sample = any(p.sample for p in points) or bool(routine["sample"].any())

fig = analysis_charts.history_timeline(
    points,
    series,
    category_order=[b.name for b in rulebook.bands],
    stamp=charts.Stamp(
        f"Kategori KLA dan gizi anak, {city_name}",
        "angka terbitan (KemenPPPA, SSGI/SKI, Dinkes; URL di tabel) dan penilaian mandiri",
        max([str(p.year) for p in points] + [s[3][-1] for s in series if s[3]]),
        sample,
        extra="survei dan rutin = garis terpisah",
    ),
)
plot(fig, key=History.TIMELINE)
st.caption(
    "Bintang = kategori resmi yang diterbitkan; lingkaran = kategori dari nilai penilaian mandiri "
    "(DATA CONTOH bila ditandai). Survei (SSGI/SKI) dan data rutin (e-PPGBM, laporan Dinkes) adalah "
    "pengukuran berbeda dan tidak pernah digabung menjadi satu garis."
)

st.dataframe(
    [
        {
            "Tahun": p.year,
            "Kategori resmi": p.category or "—",
            "Sumber": p.source_url or "—",
            "Nilai (penilaian mandiri)": "—"
            if p.total is None
            else fmt.number(p.total) + (" (DATA CONTOH)" if p.sample else ""),
            "Kategori dari nilai": p.total_category or "—",
        }
        for p in points
    ],
    hide_index=True,
    width="stretch",
    column_config={"Sumber": st.column_config.LinkColumn()},
)

peer_section(fp, category_order=[b.name for b in rulebook.bands], compact=False)
sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
