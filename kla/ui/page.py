"""The frame of every page: its config and sidebar menu, and the clear stop when it cannot go on."""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from kla.ui import links
from kla.ui.keys import Shared, ensure_default
from kla.ui.media import start_page

log = logging.getLogger("kla.ui")

# Sidebar menu in Indonesian, with Material icons (bundled with Streamlit: no emoji font or CDN
# needed). Streamlit's own pages/ menu would label the entry page "app"
# (its file name), so it is switched off in .streamlit/config.toml and drawn here instead;
# the pages/ mechanism itself is unchanged (no st.navigation).
NAV: tuple[tuple[str, str, str], ...] = (
    ("app.py", "Ringkasan", ":material/dashboard:"),
    ("pages/1_Klaster.py", "Klaster KLA", ":material/radar:"),
    ("pages/2_Peta.py", "Peta wilayah", ":material/map:"),
    ("pages/3_Gizi_Anak.py", "Gizi anak", ":material/child_care:"),
    ("pages/4_Jalan_ke_Madya.py", "Jalan ke kategori berikut", ":material/route:"),
    ("pages/5_Simulasi.py", "Simulasi (what-if)", ":material/tune:"),
    ("pages/6_OPD.py", "Per OPD", ":material/apartment:"),
    ("pages/7_Kecamatan.py", "Per kecamatan", ":material/holiday_village:"),
    ("pages/8_Riwayat.py", "Riwayat", ":material/timeline:"),
    ("pages/9_Sumber_Data.py", "Sumber data", ":material/receipt_long:"),
    ("pages/10_Kelola_Data.py", "Kelola data", ":material/upload_file:"),
)


def page_setup(title: str, icon: str = "📊") -> None:
    """First call of every page: config, the values of a newly opened link, and the sidebar menu."""
    st.set_page_config(page_title=f"{title} · Dasbor KLA", page_icon=icon, layout="wide")
    ensure_default(Shared.AREA, None, None)
    start_page(title)  # the page's media pack lists the charts this run plots
    links.start()  # its notices go at the top of the page; the link is written by sidebar_footer
    with st.sidebar:
        try:
            for path, label, nav_icon in NAV:
                st.page_link(path, label=label, icon=nav_icon)
        except StreamlitPageNotFoundError:
            log.info("page started on its own, not through app.py: no menu")
        st.divider()


def fail(message: str, *, hint: str | None = None) -> None:
    """Show a clear Indonesian message and stop the page (no traceback reaches the browser)."""
    st.error(message)
    if hint:
        st.info(hint)
    st.stop()


def fail_without_scores() -> None:
    """Stop a KLA page that has no scores to show, saying how to import them."""
    fail("Belum ada nilai KLA di basis data.", hint="Impor dengan: python -m kla import kla-scores BERKAS --year TAHUN")
