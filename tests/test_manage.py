"""Kelola Data and the admin gate on the pages (AppTest): viewing is open, changing data needs the password.

Every test runs on a private copy of the session database and a private records folder (so the
audit log, the imports and the scenarios are the test's own), never on the repo's data/.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core.password import DISABLED_MESSAGE, ENV_VAR, hash_password
from kla.ingest import audit
from kla.read.db import connect_readonly
from kla.ui.keys import Admin, Manage, WhatIf
from kla.views import manage as view
from tests.test_rekap import GOOD, HEAD

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages/10_Kelola_Data.py")
PASSWORD = "kuda-lumping-hujan-sore-42"  # noqa: S105 - the test's own admin password
WRONG = "bukan-kata-sandinya-123"  # noqa: S105


@pytest.fixture(scope="module")
def admin_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def app_db(db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app on a private, writable database, with no admin hash unless a test sets one."""
    monkeypatch.setenv("KLA_DB", str(db_copy))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    monkeypatch.delenv(ENV_VAR, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield db_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _texts(at: AppTest, *kinds: str) -> str:
    return "\n".join(e.value for kind in kinds for e in at.get(kind))


def _frame(at: AppTest, columns: list[str]):
    """The table with these columns (AppTest does not expose a plain st.dataframe's key)."""
    found = [d.value for d in at.dataframe if list(d.value.columns) == columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _login(at: AppTest, password: str) -> AppTest:
    at.text_input(key=Admin.PASSWORD).input(password)
    at.button(key=Admin.LOGIN).click().run()
    _ok(at)
    return at


def _entries(records: Path) -> list[dict]:
    return audit.read(path=records / audit.AUDIT_FILE)


def _rekap_bytes(lines: list[str], head: str = HEAD) -> bytes:
    return ("\n".join([head, *lines]) + "\n").encode("utf-8")


def test_without_admin_hash_every_change_is_off_and_says_how_to_enable(app_db: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    assert DISABLED_MESSAGE in _texts(at, "info")
    assert "python -m kla admin hash" in DISABLED_MESSAGE and ENV_VAR in DISABLED_MESSAGE
    assert Admin.PASSWORD not in [t.key for t in at.text_input]  # no password box: nothing to check it against
    uploader = at.file_uploader[0]
    assert uploader.proto.disabled
    # viewing still works: the sources of the shipped build are listed
    sources = _frame(at, view.SOURCE_COLUMNS)
    assert len(sources) > 0


def test_wrong_password_is_refused_recorded_and_rate_limited(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch, private_records: Path
) -> None:
    monkeypatch.setenv(ENV_VAR, admin_hash)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _ok(at)
    for attempt in range(5):
        _login(at, WRONG)
        assert "Kata sandi admin salah" in _texts(at, "error"), attempt
        assert at.file_uploader[0].proto.disabled
    failed = [e for e in _entries(private_records) if e["action"] == "login_failed"]
    assert len(failed) == 5
    assert all(WRONG not in str(e) for e in _entries(private_records))  # the attempt's text is never logged
    # the sixth attempt within the window is refused before the password is even checked, the right one too
    _login(at, PASSWORD)
    assert "Terlalu banyak percobaan" in _texts(at, "error")
    assert at.file_uploader[0].proto.disabled
    assert len([e for e in _entries(private_records) if e["action"] == "login_failed"]) == 5
    assert not [e for e in _entries(private_records) if e["action"] == "login_ok"]
    # the page's audit table shows the failed attempts
    shown = _frame(at, view.AUDIT_COLUMNS)
    assert (shown["Tindakan"] == view.ACTION_LABELS["login_failed"]).sum() == 5


def test_admin_uploads_a_recap_it_is_imported_listed_and_audited(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch, private_records: Path
) -> None:
    monkeypatch.setenv(ENV_VAR, admin_hash)
    data = _rekap_bytes(GOOD)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _login(at, PASSWORD)
    assert "Masuk sebagai admin" in _texts(at, "success")
    assert at.session_state[Admin.PASSWORD] == ""  # the password is not kept in the session
    at.radio(key=Manage.UPLOAD_KIND).set_value("rekap").run()
    at.file_uploader[0].set_value(("rekap_uji.csv", data, "text/csv")).run()
    _ok(at)
    at.button(key=Manage.UPLOAD_GO).click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    success = _texts(at, "success")
    assert f"Diimpor {len(GOOD)} dari {len(GOOD)} baris" in success and "rekap_uji.csv" in success
    sha = hashlib.sha256(data).hexdigest()
    sources = _frame(at, view.SOURCE_COLUMNS)
    row = sources[sources["Berkas"] == "rekap_uji.csv"]
    assert len(row) == 1
    assert row.iloc[0]["sha256"] == sha and int(row.iloc[0]["Baris"]) == len(GOOD)
    assert row.iloc[0]["Diimpor oleh"] == "admin"
    with connect_readonly(app_db) as con:
        stored = con.execute("SELECT rows, table_name FROM provenance WHERE sha256 = ?", [sha]).fetchall()
    assert stored == [(len(GOOD), "rekap")]
    imports = [e for e in _entries(private_records) if e["action"] == "import"]
    assert len(imports) == 1
    assert imports[0]["who"] == "admin" and imports[0]["sha256"] == sha and "rekap_uji.csv" in imports[0]["what"]


def test_refused_file_shows_the_problem_table_changes_nothing_and_is_audited(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch, private_records: Path
) -> None:
    monkeypatch.setenv(ENV_VAR, admin_hash)
    before = hashlib.sha256(app_db.read_bytes()).hexdigest()
    # the second row's stunting count is not a number; the header hides a Markdown image
    bad = _rekap_bytes([GOOD[0], GOOD[1].replace(";30;9;", ";tiga puluh;9;")])
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _login(at, PASSWORD)
    at.radio(key=Manage.UPLOAD_KIND).set_value("rekap").run()
    at.file_uploader[0].set_value(("rekap_salah.csv", bad, "text/csv")).run()
    at.button(key=Manage.UPLOAD_GO).click().run()
    _ok(at)
    assert at.error, "the refusal is shown"
    table = _frame(at, view.PROBLEM_COLUMNS)
    assert list(table.columns) == view.PROBLEM_COLUMNS
    assert "3" in set(table["Baris"])  # header = row 1, so the second data row is row 3
    assert all(table["Cara memperbaiki"].str.len() > 0)
    assert at.get("download_button"), "the report can be downloaded"
    assert hashlib.sha256(app_db.read_bytes()).hexdigest() == before
    imports = [e for e in _entries(private_records) if e["action"] == "import"]
    assert len(imports) == 1 and "ditolak" in imports[0]["what"]


def test_an_eppgbm_export_sent_as_a_recap_is_refused_before_any_copy(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.fixtures.nutrition import good_rows, nik, write_csv

    monkeypatch.setenv(ENV_VAR, admin_hash)
    export = write_csv(tmp_path / "ekspor.csv", good_rows(3))
    before = hashlib.sha256(app_db.read_bytes()).hexdigest()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _login(at, PASSWORD)
    at.radio(key=Manage.UPLOAD_KIND).set_value("rekap").run()
    at.file_uploader[0].set_value(("ekspor.csv", export.read_bytes(), "text/csv")).run()
    at.button(key=Manage.UPLOAD_GO).click().run()
    _ok(at)
    assert "tampaknya ekspor e-PPGBM" in _texts(at, "error")
    assert nik(0) not in _texts(at, "error", "markdown", "caption")
    assert hashlib.sha256(app_db.read_bytes()).hexdigest() == before


SIMULASI = str(ROOT / "pages/5_Simulasi.py")


def test_simulasi_save_needs_the_admin_session(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch, private_records: Path
) -> None:
    from kla.read import analysis as analysis_data

    # no hash: saving is off, with the reason
    at = AppTest.from_file(SIMULASI, default_timeout=60)
    at.run()
    _ok(at)
    assert at.button(key=WhatIf.SCENARIO_SAVE).disabled
    assert DISABLED_MESSAGE in _texts(at, "info")
    # a hash but no login: still off
    monkeypatch.setenv(ENV_VAR, admin_hash)
    at.run()
    assert at.button(key=WhatIf.SCENARIO_SAVE).disabled
    # logged in: the button works, until the session ends; a click after that saves nothing
    _login(at, PASSWORD)
    assert not at.button(key=WhatIf.SCENARIO_SAVE).disabled
    at.text_input(key=WhatIf.SCENARIO_NAME).input("Sesudah habis").run()
    at.session_state[Admin.UNTIL] = datetime.now(UTC) - timedelta(seconds=1)
    at.button(key=WhatIf.SCENARIO_SAVE).click().run()
    _ok(at)
    assert "Sesudah habis" not in set(analysis_data.scenarios()["name"])
    assert at.button(key=WhatIf.SCENARIO_SAVE).disabled
    assert Admin.PASSWORD in [t.key for t in at.text_input]  # asked for the password again
    # logged in again: saved and recorded
    _login(at, PASSWORD)
    at.text_input(key=WhatIf.SCENARIO_NAME).input("Dengan admin").run()
    at.button(key=WhatIf.SCENARIO_SAVE).click().run()
    _ok(at)
    assert any("disimpan" in s.value for s in at.success)
    assert "Dengan admin" in set(analysis_data.scenarios()["name"])
    saves = [e for e in _entries(private_records) if e["action"] == "scenario_save"]
    assert len(saves) == 1 and "Dengan admin" in saves[0]["what"] and saves[0]["who"] == "admin"


def test_problem_report_is_plain_text_with_formulas_defused() -> None:
    from kla.core import fmt
    from kla.core.errors import Problem

    header = "![x](http://contoh.invalid/a.png)"
    frame = view.problem_frame(
        [
            Problem("f.csv", 1, fmt.plain(header, 80), "kolom wajib tidak ada"),
            Problem("f.csv", 7, "Berat", "=HYPERLINK(1) bukan angka"),
            Problem("f.csv", None, None, "tanda kutip tidak ditutup"),
        ]
    )
    assert frame.loc[0, "Kolom"] == header  # shown as the characters, in a table cell (never Markdown)
    assert frame.loc[2, "Baris"] == ""
    assert "kutip" in frame.loc[2, "Cara memperbaiki"]
    text = view.problems_csv(frame).decode("utf-8-sig")
    assert ";'=HYPERLINK(1) bukan angka;" in text


def test_admin_uploads_a_kla_score_sheet_with_the_clis_importer(
    app_db: Path, admin_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kla.core.config import load_city
    from kla.core.rulebook import load_rulebook
    from kla.ingest.scores_io import template_frame

    monkeypatch.setenv(ENV_VAR, admin_hash)
    rb = load_rulebook(load_city().rulebook)
    # the importer's own template, every indicator at its maximum
    maxima = template_frame(rb)["poin_maks"].astype(float).astype(str)
    frame = template_frame(rb).assign(poin_maks=maxima, poin=maxima, status_bukti="lengkap")
    data = frame.to_csv(index=False).encode("utf-8")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _login(at, PASSWORD)
    at.radio(key=Manage.UPLOAD_KIND).set_value("kla-scores").run()
    at.number_input(key=Manage.YEAR).set_value(2026).run()
    at.file_uploader[0].set_value(("nilai_2026.csv", data, "text/csv")).run()
    at.button(key=Manage.UPLOAD_GO).click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    assert f"Diimpor {len(rb.indicators)} nilai indikator dari nilai_2026.csv untuk tahun 2026" in _texts(at, "success")
    with connect_readonly(app_db) as con:
        points = con.execute("SELECT sum(points) FROM kla_score WHERE year = 2026").fetchone()[0]
    assert points == pytest.approx(sum(i.max_points for i in rb.indicators))
    # the same file again: nothing changes, and the page says so
    at.file_uploader[0].set_value(("nilai_2026.csv", data, "text/csv")).run()
    at.button(key=Manage.UPLOAD_GO).click().run()
    assert "sudah pernah diimpor untuk tahun 2026" in _texts(at, "success")
