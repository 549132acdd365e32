"""Real browser: every page's link restores its view (issue 11 §1).

For each page: open it, change a selection as a user does, copy the link from the "Salin tautan"
box, check it names the address bar's view, open it in a fresh browser context (no shared session,
cookies or storage), and check that the same selection and the same headline numbers are shown.
Reuses the Streamlit server and Chromium fixtures of tests/test_browser.py.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_browser import ARTIFACTS, browser, open_page, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Change:
    """On ``slug``: pick ``option`` (text, or position in the list) in the selectbox labelled ``label``."""

    slug: str
    label: str | None  # None: the page has no selection (its link is the bare page)
    option: str | int = 0
    param: str = ""


CHANGES = [
    Change("", "Tahun penilaian", "2023", "tahun"),
    Change("Klaster", "Wilayah", "Kasemen", "wilayah"),
    Change("Peta", "Periode", 3, "periode"),
    Change("Gizi_Anak", "Wilayah", 1, "wilayah"),  # a long list (virtual rows): by position
    Change("Jalan_ke_Madya", "Wilayah", "Kasemen", "wilayah"),
    Change("Simulasi", "Wilayah", "Kasemen", "wilayah"),
    Change("OPD", "OPD", 2, "opd"),
    Change("Kecamatan", "Wilayah", "Kasemen", "wilayah"),
    Change("Riwayat", None),
    Change("Sumber_Data", None),
]


def _selectbox(page, label: str):
    return (
        page.locator('[data-testid="stSelectbox"]')
        .filter(has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{label}$")))
        .first
    )


def _open(page, box):
    """Open a selectbox's list (a click; the arrow key when a rerun closed it again); its options.
    Long lists are virtual (only the rows in view exist): pick near the top."""
    field = box.locator('input[role="combobox"]').first
    options = page.get_by_role("option")
    for _ in range(5):
        field.click()
        try:
            options.first.wait_for(timeout=3000)
            return options
        except Exception:  # noqa: BLE001 - playwright's timeout: try the keyboard
            field.press("ArrowDown")
            try:
                options.first.wait_for(timeout=3000)
                return options
            except Exception:  # noqa: BLE001
                page.keyboard.press("Escape")
    raise AssertionError("the selectbox did not open")


def _value(box) -> str:
    """The option a selectbox shows (its combobox input's value)."""
    return box.locator('input[role="combobox"]').first.input_value()


def _settle(page, seconds: float = 2.0) -> None:
    """Wait until the script run is over (no "running" status), then a little for plotly."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(int(seconds * 1000))


def _headline(page) -> dict[str, list[str]]:
    """What a reader quotes: metrics, and the titles drawn inside the first charts."""
    return {
        "metrics": [t.strip() for t in page.locator('[data-testid="stMetric"]').all_inner_texts()],
        "charts": page.locator(".js-plotly-plot .gtitle").all_text_contents()[:3],
        "subheaders": [t.strip() for t in page.locator("h3").all_inner_texts()],
    }


def _copied_link(page) -> str | None:
    """The link in the sidebar's "Salin tautan" box."""
    page.locator('[data-testid="stSidebar"] summary', has_text="Salin tautan").first.click()
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    if code.count() == 0:
        return None
    return code.first.inner_text().strip()


def _query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


@pytest.mark.parametrize("change", CHANGES, ids=[c.slug or "ringkasan" for c in CHANGES])
def test_the_copied_link_opens_the_same_view_in_a_fresh_browser(server, browser, change: Change) -> None:  # noqa: F811
    url, _ = server
    name = change.slug or "ringkasan"
    context, page, external = open_page(browser, f"{url}/{change.slug}", name)
    try:
        _settle(page)
        assert urlsplit(page.url).query == "", "a plain visit (all defaults) leaves the address bar alone"
        if change.label is None:
            assert urlsplit(page.url).query == ""
            assert _copied_link(page) == page.url.rstrip("/")  # the bare page
            expected = _headline(page)
            selection = None
        else:
            before = page.url
            box = _selectbox(page, change.label)
            options = _open(page, box)
            pick = (
                options.nth(change.option) if isinstance(change.option, int) else options.filter(has_text=change.option)
            )
            pick.first.click()
            page.wait_for_function("(b) => location.href !== b", arg=before, timeout=30_000)
            _settle(page)
            assert change.param in _query(page.url), page.url
            selection = _value(box)
            if isinstance(change.option, str):
                assert change.option in selection
            expected = _headline(page)
        link = _copied_link(page)
        if change.label is not None:
            assert link is not None and link.startswith(url), link
            assert (urlsplit(link).path or "/") == urlsplit(page.url).path
            # the box pins every selection; the address bar holds those that differ from the defaults
            bar, pinned = _query(page.url), _query(link)
            assert bar.items() <= pinned.items(), (link, page.url)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert external == [], f"requests outside localhost: {external}"
    finally:
        context.close()

    fresh, again, external = open_page(browser, link or f"{url}/{change.slug}", name + "_tautan")
    try:
        _settle(again)
        got = _headline(again)
        deadline = time.monotonic() + 30
        while got != expected and time.monotonic() < deadline:  # a late chart or metric
            again.wait_for_timeout(500)
            got = _headline(again)
        assert got == expected
        assert expected["metrics"] or expected["charts"], "a headline to compare"
        if selection is not None:
            assert _value(_selectbox(again, change.label)) == selection
            assert _query(again.url) == _query(link), "the opened page keeps the link in its address"
        assert again.locator('[data-testid="stException"]').count() == 0
        assert [i for i in again.locator('[data-testid="stAlert"]').all_inner_texts() if "tautan" in i] == []
        assert external == [], f"requests outside localhost: {external}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        again.screenshot(path=str(ARTIFACTS / f"tautan_{name}.png"), full_page=False)
    finally:
        fresh.close()


def test_a_bad_link_shows_the_notice_and_the_default_view(server, browser) -> None:  # noqa: F811
    url, _ = server
    bad = "?tahun=1999&wilayah=%27%3B%20DROP%20TABLE%20kla_score%3B--&x=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    context, page, external = open_page(browser, f"{url}/Klaster{bad}", "klaster_buruk")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        _settle(page)
        notices = [t for t in page.locator('[data-testid="stAlert"]').all_inner_texts() if "tautan" in t]
        assert len(notices) >= 3, notices
        assert dialogs == [], "no script from the link ran"
        assert page.locator("script", has_text="alert(1)").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        query = _query(page.url)
        assert "x" not in query and query["tahun"] != ["1999"] and "DROP" not in page.url
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "tautan_buruk.png"), full_page=False)
        assert external == []
    finally:
        context.close()
