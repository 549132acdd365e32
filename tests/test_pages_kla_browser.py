"""Real browser: the what-if page reacts to a number input (category changes), offline.

Reuses the Streamlit server and Chromium fixtures of tests/test_browser.py (its own module-scoped
server instance). Every KLA analysis page is already opened by test_browser.py's page list.
"""

from __future__ import annotations

import re

import pytest

from kla.core.config import load_city
from kla.core.rulebook import load_rulebook
from tests.test_browser import ARTIFACTS, browser, open_page, server  # noqa: F401 - fixtures

RB = load_rulebook(load_city().rulebook)

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_whatif_number_input_changes_category(server, browser) -> None:  # noqa: F811
    url, _ = server
    context, page, external = open_page(browser, f"{url}/Simulasi", "simulasi")
    try:
        assert _metric(page, "Kategori skenario") == "Pratama"
        # #13 (nutrition, KemenPPPA numbering) to its maximum: on the suite's rulebook that reaches Madya
        box = page.get_by_label(re.compile(r"^13\. Prevalensi gizi balita"))  # Klaster III is open
        box.fill(f"{RB.indicator('I13').max_points:g}")
        box.press("Enter")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
            ".some(m => m.innerText.includes('Kategori skenario') && m.innerText.includes('Madya'))",
            timeout=30_000,
        )
        assert _metric(page, "Kategori skenario") == "Madya"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert external == [], f"requests outside localhost: {external}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "simulasi_madya.png"), full_page=False)
    finally:
        context.close()


def test_scenario_save_is_off_without_the_admin_password(server, browser) -> None:  # noqa: F811
    """Simulasi in a real browser: without an admin session the save button cannot be used, and says why."""
    url, _ = server
    context, page, external = open_page(browser, f"{url}/Simulasi", "simulasi_tanpa_admin")
    try:
        save = page.get_by_role("button", name="Simpan", exact=True)
        save.scroll_into_view_if_needed()
        assert save.is_disabled()
        assert page.get_by_label("Nama skenario").is_disabled()
        body = page.inner_text("body")
        # no hash on the test server: the page says how to enable; with one, it asks for the password
        assert "python -m kla admin hash" in body or "Kata sandi admin" in body
        assert page.locator('[data-testid="stException"]').count() == 0
        assert external == [], f"requests outside localhost: {external}"
    finally:
        context.close()
