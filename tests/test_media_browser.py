""" "Unduh gambar" end to end in Chromium: open the popover under a chart, make the PNG, download it.

Reuses the Streamlit server and Chromium fixtures of tests/test_browser.py.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from kla.figures.export import png_size, png_texts
from kla.figures.press import ASPECTS
from tests.test_browser import browser, open_page, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_png_of_a_chart_downloads_at_the_chosen_aspect(server, browser) -> None:  # noqa: F811
    url, _ = server
    context, page, external = open_page(browser, f"{url}/Sumber_Data", "sumber-data-png")
    try:
        page.get_by_role("button", name="Unduh gambar").first.click()
        page.get_by_text("4:5 tegak (1600×2000 px)").first.click()  # the popover's, not the pack's
        page.get_by_role("button", name="Buat PNG").first.click()
        button = page.get_by_role("button", name="Unduh PNG").first
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        download = info.value
        assert download.suggested_filename.endswith("-4x5.png")
        png = open(download.path(), "rb").read()  # noqa: PTH123, SIM115 - a file Playwright just wrote
        assert png_size(png) == ASPECTS["4:5"]
        assert png_texts(png)["Description"].startswith("Grafik: ")
        assert external == [], f"requests outside localhost: {external}"
    finally:
        context.close()


def test_media_pack_of_a_page_downloads_as_zip(server, browser) -> None:  # noqa: F811
    url, _ = server
    context, page, _ = open_page(browser, f"{url}/Sumber_Data", "sumber-data-paket")
    try:
        page.get_by_text("Paket media: semua gambar halaman ini").click()
        page.get_by_role("button", name="Buat paket media").click()
        button = page.get_by_role("button", name="Unduh paket media (.zip)")
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        pack = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))  # noqa: PTH123, SIM115
        names = pack.namelist()
        assert "keterangan.txt" in names
        pngs = [n for n in names if n.endswith(".png")]
        assert pngs and all(png_size(pack.read(n)) == ASPECTS["1:1"] for n in pngs)
    finally:
        context.close()
