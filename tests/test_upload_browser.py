"""Real browser: the e-PPGBM upload on the Kelola Data page (behind the admin password), end to end in
headless Chromium.

An import writes to the database, so this module starts its OWN `streamlit run` (via
:func:`tests.test_browser.streamlit_server`) on a private copy of the session database instead of
sharing the module-scoped ``server`` the other browser tests read from.

Covers: the upload is off until the admin password is given; a small e-PPGBM export (one bad row
among good ones) uploaded, imported and reported in Indonesian with the rejected row listed,
recorded in ``provenance``, shown by the Gizi Anak page afterwards, and no name or NIK of the
file on screen or sent to the browser; a file with a wrong delimiter or missing columns gets an
Indonesian error and leaves the database file byte-for-byte unchanged; and no request leaves
localhost.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest
from playwright.sync_api import expect

from kla.core.password import ENV_VAR, hash_password
from tests.fixtures.nutrition import HEADER, child_name, good_rows, nik, parent_name, row, write_csv
from tests.test_browser import ARTIFACTS, LOCAL_HOSTS, browser, streamlit_server  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

PANEL = "Impor berkas"  # the Kelola Data section that holds the upload (was the Gizi Anak expander)
ADMIN_PASSWORD = "kuda-lumping-hujan-sore-42"  # noqa: S105 - the test server's own admin password
GOOD = 30  # good rows in the happy-path file, plus one bad row
TIMEOUT = 60_000
IMPORTED_MONTH = re.compile(r"^Jun 2024")  # the fixture rows are measured on 2024-06-10
SAMPLE_NOTE = "Angka rutin di bawah ini adalah DATA CONTOH"  # the page's warning over sample routine data


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def upload_server(built_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """Streamlit on a private, writable copy of the session database: yields (url, db path)."""
    db = tmp_path_factory.mktemp("upload_browser") / "kla.duckdb"
    shutil.copyfile(built_db, db)
    # No file watcher: other work saving files under kla/ mid-test must not hot-reload the app.
    env = {
        **os.environ,
        "KLA_DB": str(db),
        "KLA_AUTO_BUILD": "0",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        ENV_VAR: hash_password(ADMIN_PASSWORD),
    }
    with streamlit_server(env) as (url, _):
        yield url, db


def open_panel(browser, url: str, frames: list[bytes] | None = None):  # noqa: F811
    """Kelola Data logged in as admin, upload ready: (context, page, external request URLs).

    With ``frames``, every websocket message from the server is recorded there: everything the
    app sends, including the data of canvas-drawn tables no DOM text shows.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    external: list[str] = []

    def note(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme not in ("data", "blob", "about") and parsed.hostname not in LOCAL_HOSTS:
            external.append(request.url)

    page.on("request", note)
    if frames is not None:
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda p: frames.append(p if isinstance(p, bytes) else p.encode())),
        )
    page.goto(f"{url}/Kelola_Data", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=TIMEOUT)
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    dropzone.wait_for(state="attached", timeout=TIMEOUT)
    assert dropzone.is_disabled()  # viewing needs no login; uploading does
    page.get_by_label("Kata sandi admin").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Masuk sebagai admin").click()
    page.get_by_role("button", name="Keluar dari mode admin").wait_for(timeout=TIMEOUT)
    expect(dropzone).to_be_enabled(timeout=TIMEOUT)
    return context, page, external


def open_gizi(page) -> None:
    """The Gizi Anak page through the sidebar menu (same Streamlit session, so still admin), drawn."""
    page.get_by_role("link", name="Gizi anak").click()
    page.wait_for_url("**/Gizi_Anak", timeout=TIMEOUT)
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)


def upload_and_import(page, path: Path) -> None:
    """Choose ``path`` in the uploader and click "Impor sekarang"."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    # the chip shortens long names ("ekspor_...bm_uji.csv"); its title keeps the whole name
    page.locator(f'[data-testid="stFileChipName"][title="{path.name}"]').wait_for(timeout=TIMEOUT)
    go = page.get_by_role("button", name="Impor sekarang")
    go.wait_for(timeout=TIMEOUT)
    go.click()


def alert(page, kind: str):
    """The Streamlit alert of ``kind`` ("Success", "Error", "Info") of an import (not of the login)."""
    found = page.locator(f'[data-testid="stAlertContent{kind}"]')
    return found.filter(has_text="Diimpor") if kind == "Success" else found


def test_upload_imports_a_small_export_without_showing_identifiers(upload_server, browser, tmp_path: Path) -> None:  # noqa: F811
    url, db = upload_server
    rows = good_rows(GOOD)
    rows.insert(10, row(999, berat="300"))  # 300 kg: rejected and listed, the rest imported
    export = write_csv(tmp_path / "ekspor_eppgbm_uji.csv", rows)
    secrets = [s for i in [*range(GOOD), 999] for s in (nik(i), child_name(i), parent_name(i))]
    secrets += [child_name(i).split()[1] for i in range(GOOD)]  # the unique middle token ("Zq0007x")
    frames: list[bytes] = []
    context, page, external = open_panel(browser, url, frames)
    try:
        # before: the routine figures are the sample, which has later months than the file
        open_gizi(page)
        assert SAMPLE_NOTE in page.inner_text("body")
        assert not IMPORTED_MONTH.match(page.get_by_role("combobox", name="Bulan").input_value())
        assert "Impor data ada di halaman Kelola Data" in page.inner_text("body")
        page.get_by_role("link", name="Kelola data").click()
        page.get_by_role("button", name="Keluar dari mode admin").wait_for(timeout=TIMEOUT)  # still admin
        upload_and_import(page, export)
        success = alert(page, "Success")
        success.wait_for(timeout=TIMEOUT)
        text = success.inner_text()
        assert re.search(rf"Diimpor {GOOD} dari {GOOD + 1} baris \(1 ditolak\)", text), text
        # A small file imports in well under a second, so whether the progress bar ever reaches
        # the browser depends on timing (Streamlit coalesces its updates); it must be gone after.
        assert page.locator('[data-testid="stProgress"]').count() == 0
        assert alert(page, "Error").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        report = page.get_by_text("Laporan validasi", exact=True)
        report.wait_for(timeout=TIMEOUT)  # the rejected row is listed (sent just after the message)
        problems = page.locator('[data-testid="stDataFrame"]')
        assert problems.count() == 3  # the validation report, the sources and the audit log
        problems = problems.first
        problems.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "gizi_impor_berhasil.png"), full_page=False)
        body = page.inner_text("body")
        html = page.content()
        leaked = [s for s in secrets if s in body or s in html]
        assert leaked == [], f"identifiers from the file on the page: {leaked[:5]}"
        # The problem table is drawn on a canvas, so check what the server sent: the rejected
        # row's reason did reach the browser, and no identifier did.
        sent = b"".join(frames)
        assert b"300 kg di luar rentang" in sent
        leaked = [s for s in secrets if s.encode() in sent]
        assert leaked == [], f"identifiers sent to the browser: {leaked[:5]}"

        # The success message is shown after the swap: the database file now records the file.
        con = duckdb.connect(str(db), read_only=True)
        try:
            prov = con.execute(
                "SELECT rows, kind, table_name, sha256 FROM provenance WHERE path = ?", [export.name]
            ).fetchall()
            stored = con.execute(
                "SELECT count(*) FROM measurement JOIN provenance USING (source_id) WHERE path = ?", [export.name]
            ).fetchone()[0]
        finally:
            con.close()
        assert prov == [(GOOD, "imported", "measurement", digest(export))]
        assert stored == GOOD

        # Gizi Anak reads the new database: real data replace the sample, so the routine figures
        # are the imported month alone and no longer carry the sample warning.
        open_gizi(page)
        expect(page.get_by_role("combobox", name="Bulan")).to_have_value(IMPORTED_MONTH, timeout=TIMEOUT)
        assert page.locator('[data-testid="stException"]').count() == 0
        body = page.inner_text("body")
        assert SAMPLE_NOTE not in body
        assert [s for s in secrets if s in body] == []
        assert external == [], f"requests outside localhost: {external}"
    finally:
        context.close()


BAD_FILES = {
    "wrong delimiter": (dict(sep=","), "pemisah kolomnya koma"),
    "missing columns": (dict(header=HEADER[:21]), "kolom wajib tidak ditemukan: Berat, Tinggi"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_shows_an_indonesian_error_and_changes_nothing(
    case: str,
    upload_server,
    browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    url, db = upload_server
    kw, message = BAD_FILES[case]
    rows = good_rows(3, start=500)
    if "header" in kw:
        rows = [r[: len(kw["header"])] for r in rows]
    bad = write_csv(tmp_path / f"salah_{case.replace(' ', '_')}.csv", rows, **kw)
    before = digest(db)
    context, page, external = open_panel(browser, url)
    try:
        upload_and_import(page, bad)
        error = alert(page, "Error")
        error.wait_for(timeout=TIMEOUT)
        text = error.inner_text()
        assert message in text, text
        assert "tidak ada yang diubah" in text.lower(), text  # "nothing was changed"
        assert alert(page, "Success").count() == 0
        assert page.locator('[data-testid="stProgress"]').count() == 0  # the bar is cleared on failure
        assert page.locator('[data-testid="stException"]').count() == 0
        assert digest(db) == before
        body = page.inner_text("body")
        assert [s for i in range(500, 503) for s in (nik(i), child_name(i), parent_name(i)) if s in body] == []
        assert external == [], f"requests outside localhost: {external}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        error.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"gizi_impor_gagal_{case.replace(' ', '_')}.png"), full_page=False)
    finally:
        context.close()
