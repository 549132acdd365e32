"""The city among the kabupaten/kota of its province (Ringkasan, folded; Riwayat, in full)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kla.core import fmt
from kla.figures import charts
from kla.figures import peers as peer_charts
from kla.ui.keys import PEERS_HISTORY, PEERS_OVERVIEW
from kla.ui.loaders import Fingerprint, load_meta, load_peer_figures
from kla.ui.widgets import plot
from kla.views import peers


def _source_list(table: pd.DataFrame, key: str) -> None:
    """The figures of one chart with their status and a link to each source."""
    st.dataframe(
        table,
        key=key,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 320),
        column_config={
            "Tautan": st.column_config.LinkColumn("Sumber (tautan)", display_text=r"https?://(?:www\.)?([^/]+)"),
            "Wilayah ini": st.column_config.CheckboxColumn("Wilayah ini", width="small"),
        },
    )


def peer_section(fp: Fingerprint, *, category_order: list[str], compact: bool) -> None:
    """The city among the kabupaten/kota of its province, and the national award distribution.

    Three figures, each followed by the list of its numbers with status and source link:
    KLA categories by year (dot matrix), survey stunting by kabupaten/kota (bars per year) and
    the national distribution of the latest awards. ``compact`` (Ringkasan): inside an
    expander, one tab per figure; otherwise (Riwayat) a full section.
    """
    meta = load_meta(fp)
    city, city_name = meta["city_code"], meta["city_name"]
    published = load_peer_figures(fp)
    province = peers.province_name(published, city) or "provinsi yang sama"
    heading = f"Di antara kabupaten/kota di {province}"
    keys = PEERS_OVERVIEW if compact else PEERS_HISTORY
    cells = peers.category_cells(published, city)
    areas = peers.peer_areas(published, city)
    survey = peers.survey_stunting(published, city)
    years = peers.comparison_years(survey)
    dist = peers.award_distribution(published, category_order=category_order)
    status_note = (
        "Status: **terverifikasi** = hasil penghargaan atau angka resmi yang dicek; **dikutip** = disebut "
        "pejabat atau berita (mis. sebelum penghargaan diumumkan), belum terverifikasi; **bertentangan** = "
        "sumber lain menyebut angka berbeda."
    )

    def matrix() -> None:
        if cells.empty:
            st.info(f"Belum ada kategori KLA terbitan untuk kabupaten/kota di {province}.")
            return
        table = peers.source_table(peers.rows_for(published, city, [peers.CATEGORY, peers.SCORE]))
        fig = peer_charts.peer_category_matrix(
            cells,
            areas,
            category_order=category_order,
            stamp=charts.Stamp(
                f"Kategori KLA kabupaten/kota di {province} per tahun",
                "angka terbitan (penghargaan KemenPPPA; pernyataan dikutip berita); URL per angka di tabel di bawah",
                str(int(cells["year"].max())),
                extra="lingkaran kosong = dikutip, belum terverifikasi; sel kosong = tidak ada angka terbitan",
            ),
        )
        plot(fig, key=keys.matrix)
        _source_list(table, keys.matrix_table)

    def survey_bars() -> None:
        if not years:
            st.info(f"Belum ada prevalensi stunting survei untuk dua kabupaten/kota atau lebih di {province}.")
            return
        prov = {y: (province, v) for y, v in peers.province_survey(published, city).items()}
        surveys = ", ".join(dict.fromkeys(survey.loc[survey["year"].isin(years), "survey"]))
        fig = peer_charts.peer_survey_bars(
            survey,
            years=years,
            province=prov,
            stamp=charts.Stamp(
                f"Prevalensi stunting balita per kabupaten/kota di {province} (survei)",
                f"angka terbitan survei {surveys}; URL per angka di tabel di bawah",
                str(max(years)),
                extra="hanya survei; data rutin e-PPGBM tidak dicampur",
            ),
        )
        plot(fig, key=keys.survey)
        rows = peers.rows_for(published, city, [peers.SURVEY_STUNTING], years=years, with_province=True)
        _source_list(peers.source_table(rows), keys.survey_table)
        st.caption(
            f"Tahun dengan angka survei untuk dua kabupaten/kota atau lebih. Seri survei {city_name} sendiri "
            "(termasuk tahun lain) ada di halaman Riwayat. Survei dan data rutin adalah pengukuran berbeda."
        )

    def awards() -> None:
        if dist is None:
            st.info("Belum ada sebaran kategori KLA nasional di angka terbitan.")
            return
        own = peers.verified_category(cells, dist.year)
        extra = f"penyebut: {fmt.integer(dist.denominator)} kabupaten/kota penerima" if dist.denominator else ""
        if not dist.adds_up:
            extra += f"; jumlah kategori {fmt.integer(dist.total)} ≠ penyebut"
        if dist.status != peers.VERIFIED:
            extra += f"; {peers.STATUS_WORDS[dist.status]}"
        fig = peer_charts.award_distribution_bar(
            dist.counts,
            denominator=dist.denominator,
            highlight=own,
            stamp=charts.Stamp(
                f"Sebaran kategori KLA {dist.year}, {dist.area_name}",
                f"angka terbitan ({peers.source_table(dist.row)['Sumber'].iloc[0]}); URL di tabel di bawah grafik",
                str(dist.year),
                extra=extra,
            ),
        )
        plot(fig, key=keys.awards)
        _source_list(peers.source_table(dist.row), keys.awards_table)
        st.caption(
            f"Kategori {city_name} {dist.year}: **{own}** (ditandai biru)."
            if own
            else f"Kategori resmi {city_name} untuk {dist.year} belum ada di angka terbitan."
        )

    parts = (
        ("Kategori KLA per tahun", matrix),
        ("Stunting (survei) per kabupaten/kota", survey_bars),
        ("Sebaran kategori nasional", awards),
    )
    if compact:
        with st.expander(heading):
            for tab, (_, draw) in zip(st.tabs([label for label, _ in parts]), parts, strict=True):
                with tab:
                    draw()
            st.caption(status_note)
        return
    st.header(heading)
    st.caption(status_note)
    for label, draw in parts:
        st.subheader(label)
        draw()
