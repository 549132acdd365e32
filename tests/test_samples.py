"""The committed DATA CONTOH files are exactly what the generators in the repo produce."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kla.core.config import PROJECT_ROOT
from kla.core.rulebook import load_rulebook
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

# These tests check the SHIPPED data, so the generators run with the shipped city config, not the
# suite's test rulebook (tests/conftest.py). The score samples are regenerated with the rulebook they
# name, found among the shipped rulebook files: the city may switch to its official sheet without
# the committed DATA CONTOH files (written for the illustrative rulebook) going stale.
SHIPPED_CITY = PROJECT_ROOT / "data" / "city.toml"
SHIPPED_ENV = {**os.environ, "KLA_CITY_CONFIG": str(SHIPPED_CITY)}
SAMPLE_KEY = (
    (PROJECT_ROOT / "data/sample/kla_scores_2025.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
)
SAMPLE_RULEBOOK = next(
    p for p in sorted((PROJECT_ROOT / "data" / "rulebook").glob("*.toml")) if load_rulebook(p).key == SAMPLE_KEY
)


def test_kla_sample_scores_are_reproducible_by_the_script(tmp_path: Path) -> None:
    proc = run_kla(
        "sample", "--out-dir", str(tmp_path), "--rulebook", str(SAMPLE_RULEBOOK), env=SHIPPED_ENV, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["kla_scores_2023.csv", "kla_scores_2025.csv", "kla_scores_kecamatan_2025.csv"]
    for name in written:
        committed = (PROJECT_ROOT / "data" / "sample" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, f"{name} differs from its generator's output"
        assert b"DATA CONTOH" in committed
        # every row names the shipped rulebook (score files name the rulebook they were written for)
        header, *rows = committed.decode("utf-8").splitlines()
        assert header.split(",")[0] == "rulebook"
        assert rows and all(r.startswith(f"{SAMPLE_KEY},") for r in rows), name


def test_nutrition_sample_aggregate_is_reproducible_by_the_script(tmp_path: Path) -> None:
    """The committed aggregate comes from the full synthetic city run through the real pipeline."""
    out = tmp_path / "gizi_contoh_agregat.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "kla.ingest.sample_nutrition", "aggregate", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=SHIPPED_ENV,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (PROJECT_ROOT / "data" / "sample" / "gizi_contoh_agregat.csv").read_bytes()
