"""Generate the illustrative (DATA CONTOH) KLA self-assessment scores shipped in ``data/sample/``.

These are NOT Kota Serang's real scores (none are public, domain.md §9). They are shaped so the
total lands in the Pratama band (500–600) and the weakest achievement falls where domain.md §4
says the city is weak, numbered as KemenPPPA numbers the 24 indicators: child marriage (#7),
child-friendly infrastructure and play spaces (#11), nutrition (#13), drinking water and sanitation
(#16) and child victims of violence (#21).

Run ``python -m kla sample kla-scores`` to regenerate; the output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kla.core.rulebook import Indicator, Rulebook

# Achievement share of the maximum per indicator, per year. Chosen by hand, not measured.
_SHARE_2023 = {
    "I01": 0.75,
    "I02": 0.50,
    "I03": 0.50,
    "I04": 0.75,
    "I05": 0.50,
    "I06": 0.75,
    "I07": 0.25,  # perkawinan anak
    "I08": 0.50,
    "I09": 0.75,
    "I10": 0.50,
    "I11": 0.25,  # infrastruktur ramah anak / ruang bermain
    "I12": 0.75,
    "I13": 0.25,  # prevalensi gizi balita
    "I14": 0.50,
    "I15": 0.50,
    "I16": 0.25,  # air minum dan sanitasi
    "I17": 0.50,
    "I18": 0.75,
    "I19": 0.50,
    "I20": 0.50,
    "I21": 0.25,  # anak korban kekerasan
    "I22": 0.50,
    "I23": 0.50,
    "I24": 0.75,
}
_SHARE_2025 = {**_SHARE_2023, "I02": 0.75, "I05": 0.75, "I14": 0.75, "I19": 0.75, "I17": 0.75}

_NOTE = "DATA CONTOH: nilai ilustratif untuk demonstrasi"


def _evidence(share: float) -> str:
    return "lengkap" if share >= 0.75 else "sebagian" if share >= 0.5 else "belum"


def _template_row(ind: Indicator, share: float, *, note: str, area: str, rulebook_key: str) -> dict:
    """One row of the self-assessment template at ``share`` of the indicator's maximum, snapped
    to the nearest scoring level so the planner's steps line up with the data."""
    return {
        "rulebook": rulebook_key,
        "kode_indikator": ind.code,
        "nama_indikator": ind.name,
        "poin_maks": ind.max_points,
        "poin": min(ind.levels, key=lambda lv: abs(lv - share * ind.max_points)),
        "status_bukti": _evidence(share),
        "catatan": note,
        "kode_wilayah": area,
    }


def sample_scores(rulebook: Rulebook, year: int) -> pd.DataFrame:
    """Scores for ``year`` (2023 or 2025) on the rulebook's own scoring levels."""
    shares = {2023: _SHARE_2023, 2025: _SHARE_2025}[year]
    return pd.DataFrame(
        [
            _template_row(ind, shares[ind.code], note=_NOTE, area="", rulebook_key=rulebook.key)
            for ind in rulebook.indicators
        ]
    )


def write_samples(rulebook: Rulebook, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in (2023, 2025):
        path = out_dir / f"kla_scores_{year}.csv"
        sample_scores(rulebook, year).to_csv(path, index=False)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- Kecamatan Layak Anak (DATA CONTOH)

KECAMATAN_SAMPLE_YEAR = 2025


def _wobble(area: str, code: str) -> float:
    """A deterministic −0.25 / 0 / +0.25 shift per kecamatan and indicator (not random, not measured)."""
    import hashlib

    return (int(hashlib.sha256(f"{area}|{code}".encode()).hexdigest()[:8], 16) % 3 - 1) * 0.25


def sample_kecamatan_scores(
    rulebook: Rulebook, kecamatan_codes: list[str], year: int = KECAMATAN_SAMPLE_YEAR
) -> pd.DataFrame:
    """Per-kecamatan scores (Kecamatan Layak Anak) in the same template, with ``kode_wilayah`` filled in.

    Each kecamatan starts from the city's sample shares and moves one level up or down on some
    indicators (a fixed hash, so the file is reproducible). Illustrative only.
    """
    base = {2023: _SHARE_2023, 2025: _SHARE_2025}[year]
    note = _NOTE + " (Kecamatan Layak Anak)"
    return pd.DataFrame(
        [
            _template_row(
                ind,
                min(1.0, max(0.0, base[ind.code] + _wobble(area, ind.code))),
                note=note,
                area=area,
                rulebook_key=rulebook.key,
            )
            for area in kecamatan_codes
            for ind in rulebook.indicators
        ]
    )


def write_kecamatan_sample(rulebook: Rulebook, out_dir: Path, kecamatan_codes: list[str]) -> Path:
    path = out_dir / f"kla_scores_kecamatan_{KECAMATAN_SAMPLE_YEAR}.csv"
    sample_kecamatan_scores(rulebook, kecamatan_codes).to_csv(path, index=False)
    return path


def sample_like(rulebook: Rulebook, year: int, areas: list[str]) -> pd.DataFrame:
    """DATA CONTOH scores for ``areas`` ("" = the city) on another rulebook's indicators and levels.

    Used by the build when a shipped sample file was written for a different rulebook (an official
    sheet was imported, or a test rulebook is active): the sample is regenerated from the same
    shares, keyed by indicator number, instead of reading one rulebook's points as another's.
    """
    base = {2023: _SHARE_2023, 2025: _SHARE_2025}.get(year, _SHARE_2025)
    rows = []
    for area in areas:
        for ind in rulebook.indicators:
            share = base.get(f"I{ind.number:02d}", 0.5)
            if area:
                share = min(1.0, max(0.0, share + _wobble(area, ind.code)))
            note = _NOTE + (" (Kecamatan Layak Anak)" if area else "")
            rows.append(_template_row(ind, share, note=note, area=area, rulebook_key=rulebook.key))
    return pd.DataFrame(rows)
