"""AppTest smoke tests: app.py and every page run without exceptions or st.error on good data,
and show a clear Indonesian message (no traceback) when the database is missing, empty or not DuckDB."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.cli import run_kla

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_errors(app_env: Path, page: str) -> None:
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"


def test_overview_shows_score_category_and_gap(app_env: Path) -> None:
    at = run_page("app.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kategori"] == "Pratama"
    assert any(label.startswith("Kurang ke Madya") for label in metrics)
    # Indonesian numbers (kla.core.fmt): decimal comma, no thousands dot below 10.000
    score = next(v for label, v in metrics.items() if label.startswith("Nilai KLA 2025"))
    assert re.fullmatch(r"\d{1,4}(,\d+)? / 1000", score), score
    gap = next(v for label, v in metrics.items() if label.startswith("Kurang ke Madya"))
    assert re.fullmatch(r"\d{1,4}(,\d+)? poin", gap), gap
    assert any("DATA CONTOH" in w.value for w in at.warning)
    charts = at.get("plotly_chart")
    assert len(charts) >= 2


def _expect_clear_message(at: AppTest, needle: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.error, "a clear error is shown"
    text = " ".join(e.value for e in at.error) + " ".join(i.value for i in at.info)
    assert needle in text
    assert "Traceback" not in text


@pytest.mark.parametrize("page", PAGES)
def test_missing_database_gives_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setenv("KLA_DB", str(tmp_path / "tidak_ada.duckdb"))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.run()
    _expect_clear_message(at, "python -m kla build")


def test_empty_and_non_duckdb_files_give_clear_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    empty = tmp_path / "kosong.duckdb"
    duckdb.connect(str(empty)).close()
    fake = tmp_path / "palsu.duckdb"
    fake.write_bytes(b"bukan basis data" * 64)
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    for path, needle in ((empty, "kosong"), (fake, "bukan basis data DuckDB")):
        monkeypatch.setenv("KLA_DB", str(path))
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        _expect_clear_message(at, needle)


def test_first_start_builds_the_missing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "baru.duckdb"
    monkeypatch.setenv("KLA_DB", str(target))
    monkeypatch.setenv("KLA_AUTO_BUILD", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert target.exists()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Kategori"] == "Pratama"


def test_rebuilt_database_is_noticed_without_restart(
    db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import new scores while the 'app' holds a connection: the next run shows them."""

    import pandas as pd

    from kla.core.config import load_city
    from kla.core.rulebook import load_rulebook

    rb = load_rulebook(load_city().rulebook)
    monkeypatch.setenv("KLA_DB", str(db_copy))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert "2026" not in [str(o) for o in at.selectbox[0].options]
    # a self-assessment for the active rulebook with every indicator at its maximum: 1000 points, KLA
    frame = pd.DataFrame(
        {
            "rulebook": rb.key,
            "kode_indikator": [i.code for i in rb.indicators],
            "nama_indikator": [i.name for i in rb.indicators],
            "poin_maks": [str(float(i.max_points)) for i in rb.indicators],
            "poin": [str(float(i.max_points)) for i in rb.indicators],
            "status_bukti": "lengkap",
            "catatan": "",
            "kode_wilayah": "",
        }
    )
    src = tmp_path / "nilai_2026.csv"
    frame.to_csv(src, index=False)
    proc = run_kla("import", "kla-scores", str(src), "--year", "2026", "--db", str(db_copy), timeout=120)
    assert proc.returncode == 0, proc.stderr
    at.run()
    assert "2026" in [str(o) for o in at.selectbox[0].options]
    at.selectbox[0].select(2026).run()
    assert {m.label: m.value for m in at.metric}["Kategori"] == "KLA"


def test_upload_outcome_reports_export_zscores_that_disagree() -> None:
    from kla.ingest.nutrition import export_zscore_check

    stats = {
        "export_zscore_disagreement": {
            "haz": {"compared": 12000, "over_0_1": 37, "max_abs_diff": 0.8},
            "waz": {"compared": 0, "over_0_1": 0, "max_abs_diff": None},
            "whz": {"compared": 12000, "over_0_1": 5, "max_abs_diff": 0.2},
        }
    }
    assert (
        export_zscore_check(stats)
        == "Z-skor di berkas vs hitung ulang WHO: TB/U 37 dari 12.000; BB/TB 5 dari 12.000 berbeda > 0,1."
    )
    assert export_zscore_check({}) == ""


def _chart_titles(at: AppTest) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _city() -> tuple[str, str]:
    from kla.core import config

    city = config.load_city()
    return city.code, city.name


def test_overview_keeps_its_first_screen_and_folds_the_peers_below(app_env: Path) -> None:
    """Ringkasan: score, category, radar and losses first; the peers section after them, in an expander."""
    at = run_page("app.py")
    assert not at.exception and not at.error
    titles = _chart_titles(at)
    assert titles[0].startswith("Capaian per klaster KLA") and titles[1].startswith("Indikator dengan poin hilang")
    peers_expander = [e for e in at.expander if e.label.startswith("Di antara kabupaten/kota di")]
    assert len(peers_expander) == 1
    assert [t.label for t in at.tabs] == [
        "Kategori KLA per tahun",
        "Stunting (survei) per kabupaten/kota",
        "Sebaran kategori nasional",
    ]
    assert any(t.startswith("Kategori KLA kabupaten/kota di") for t in titles)
    assert any(t.startswith("Prevalensi stunting balita per kabupaten/kota") for t in titles)
    assert any(t.startswith("Sebaran kategori KLA 2025") for t in titles)


def test_history_page_lists_every_peer_figure_with_its_source_and_status(app_env: Path) -> None:
    """Riwayat: the full section; every number in the peer charts is listed with a link and a status."""
    import pandas as pd

    _, name = _city()
    at = run_page("pages/8_Riwayat.py")
    assert not at.exception and not at.error
    assert sum(h.value.startswith("Di antara kabupaten/kota di") for h in at.header) == 1
    assert len(_chart_titles(at)) == 4  # the timeline and the three peer figures
    tables = [d.value for d in at.dataframe if "Tautan" in getattr(d.value, "columns", [])]
    assert len(tables) == 3
    everything = pd.concat(tables, ignore_index=True)
    assert everything["Tautan"].str.match(r"https?://").all()
    assert set(everything["Status"]) <= {"terverifikasi", "dikutip (belum terverifikasi)", "bertentangan"}
    # the shipped data holds a category quoted before the 2025 award: it must not read as verified
    assert "dikutip (belum terverifikasi)" in set(everything["Status"])
    assert name in set(everything["Wilayah"])  # the city is among its own peers
    assert everything["Wilayah ini"].fillna(False).astype(bool).any()
