"""The city among its peers: the other kabupaten/kota of its province, from the published figures.

Peers come from data, not code. A peer is any area in ``published_figure`` whose Kemendagri code
is a kabupaten/kota code (two levels, ``"PP.KK"``) with the same province prefix ``PP`` as the
configured city (``data/city.toml`` ``[city] code``). The city itself is one of them, flagged
``is_city``. A second city gets its own peers without a code change.

Three views, each a plain DataFrame (no Streamlit, no database):

* :func:`category_cells`: the KLA category of every peer by year (award, or a quoted statement),
  for the dot matrix;
* :func:`survey_stunting`: survey (SSGI/SKI) stunting prevalence by peer and year. Only the
  *survey* indicator: routine e-PPGBM figures measure something else and never go here;
* :func:`award_distribution`: the national count of awards per category in one year, parsed from
  a ``kla_category_count`` value such as ``"Utama 22; Nindya 69; Madya 125; Pratama 139"``.

:func:`source_table` lists every figure a chart shows with its source URL and an Indonesian
status, so a figure quoted before the award (status ``as quoted``) or in conflict with another
report is never presented as verified. Indicator names, source descriptions and notes are
translated by :mod:`kla.core.labels`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kla.core import fmt
from kla.core.labels import indicator_label, note_label, source_kind_label
from kla.core.suppression import is_missing

CATEGORY = "kla_category"
SCORE = "kla_score"
SURVEY_STUNTING = "stunting_prevalence_survey"
CATEGORY_COUNT = "kla_category_count"
#: Every published indicator this module reads (the loader asks the database for these only).
INDICATORS: tuple[str, ...] = (CATEGORY, SCORE, SURVEY_STUNTING, CATEGORY_COUNT)

_KABKOTA = re.compile(r"^(\d{2})\.(\d{2})$")
_COUNT_PART = re.compile(r"^(?P<name>\S.*?)\s+(?P<n>\d+)$")

VERIFIED, QUOTED, CONFLICT, UNKNOWN = "verified", "quoted", "conflict", "unknown"
#: What a reader sees for each status group (the words the whole section uses).
STATUS_WORDS = {
    VERIFIED: "terverifikasi",
    QUOTED: "dikutip (belum terverifikasi)",
    CONFLICT: "bertentangan",
    UNKNOWN: "status tidak diketahui",
}


# --------------------------------------------------------------------------- codes and peers


def is_kabkota(code: object) -> bool:
    """Whether ``code`` is a kabupaten/kota code of two levels (``"36.73"``; not ``"36"`` or ``"36.73.01"``)."""
    return bool(_KABKOTA.match(str(code).strip()))


def province_of(city_code: str) -> str:
    """The province prefix of a kabupaten/kota code: ``"36.73"`` → ``"36"``.

    Raises
    ------
    ValueError
        when ``city_code`` is not a two-level kabupaten/kota code.
    """
    m = _KABKOTA.match(str(city_code).strip())
    if not m:
        raise ValueError(f"kode wilayah {city_code!r} bukan kode kabupaten/kota (bentuk PP.KK)")
    return m.group(1)


def peer_rows(published: pd.DataFrame, city_code: str) -> pd.DataFrame:
    """The published rows of the city's peers: kabupaten/kota codes in the city's province.

    Parameters
    ----------
    published:
        rows of ``published_figure`` with at least ``area_code`` (as :func:`kla.read.repository.peer_figures`).
    city_code:
        the configured city's code, ``"PP.KK"``.

    Returns
    -------
    the matching rows with an added boolean ``is_city`` (the city's own rows are included).
    """
    prefix = province_of(city_code)
    codes = published["area_code"].astype(str).str.strip()
    mask = codes.map(is_kabkota) & codes.str.startswith(prefix + ".")
    out = published[mask].copy()
    out["is_city"] = out["area_code"].astype(str).str.strip() == city_code.strip()
    return out.reset_index(drop=True)


def peer_areas(published: pd.DataFrame, city_code: str) -> pd.DataFrame:
    """One row per peer (``area_code, area_name, is_city``) in code order, the city always included."""
    rows = peer_rows(published, city_code)
    areas = rows.sort_values("area_code").drop_duplicates("area_code")[["area_code", "area_name", "is_city"]]
    return areas.reset_index(drop=True)


def province_name(published: pd.DataFrame, city_code: str) -> str | None:
    """The province's name as the published figures spell it (its one-level code row), if any."""
    prefix = province_of(city_code)
    rows = published[published["area_code"].astype(str).str.strip() == prefix]
    return str(rows["area_name"].iloc[0]) if not rows.empty else None


def status_group(status: object) -> str:
    """``verified`` / ``quoted`` (any "as quoted …") / ``conflict`` / ``unknown``."""
    text = "" if status is None or (isinstance(status, float) and status != status) else str(status).strip().lower()
    if text == "verified":
        return VERIFIED
    if text.startswith("as quoted"):
        return QUOTED
    if text == "conflict":
        return CONFLICT
    return UNKNOWN


def _year(period: object) -> int:
    return int(str(period)[:4])


def rows_for(
    published: pd.DataFrame,
    city_code: str,
    indicators: Sequence[str],
    *,
    years: Sequence[int] | None = None,
    with_province: bool = False,
) -> pd.DataFrame:
    """The peer rows a chart shows (``indicators``, optionally only ``years``), for :func:`source_table`.

    ``with_province`` adds the province-wide rows (one-level code) of the same indicators, e.g. the
    province prevalence drawn as a reference line.
    """
    rows = peer_rows(published, city_code)
    if with_province:
        prefix = province_of(city_code)
        prov = published[published["area_code"].astype(str).str.strip() == prefix].assign(is_city=False)
        rows = pd.concat([rows, prov], ignore_index=True)
    rows = rows[rows["indicator"].isin(list(indicators))]
    if years is not None:
        rows = rows[[_year(p) in set(years) for p in rows["period"]]]
    return rows.reset_index(drop=True)


# --------------------------------------------------------------------------- categories by year


CELL_COLUMNS = ["area_code", "area_name", "is_city", "year", "category", "score", "status", "label", "source_url"]


def category_cells(published: pd.DataFrame, city_code: str) -> pd.DataFrame:
    """One cell per peer and year that has a KLA category or score in the published figures.

    Returns
    -------
    frame with :data:`CELL_COLUMNS`: ``category`` (None when only a score was published),
    ``score`` (NaN when none), ``status`` (:func:`status_group`; ``conflict`` also when two
    sources give different categories for the same year) and ``label``, the cell text
    (``"Madya"``, ``"Madya (dikutip)"``, ``"nilai 700 (dikutip)"``).
    """
    rows = peer_rows(published, city_code)
    rows = rows[rows["indicator"].isin([CATEGORY, SCORE])]
    if rows.empty:
        return pd.DataFrame(columns=CELL_COLUMNS)
    rows = rows.assign(year=[_year(p) for p in rows["period"]], group=[status_group(s) for s in rows["status"]])
    out = []
    for (code, year), part in rows.groupby(["area_code", "year"], sort=True):
        cats = part[part["indicator"] == CATEGORY]
        scores = part[part["indicator"] == SCORE]
        names = list(dict.fromkeys(cats["value_text"].astype(str).str.strip()))
        category = " / ".join(names) if names else None
        score = float(scores["value"].iloc[0]) if not scores.empty and pd.notna(scores["value"].iloc[0]) else None
        shown = cats if not cats.empty else scores
        groups = set(shown["group"])
        if len(names) > 1 or CONFLICT in groups:
            status = CONFLICT
        elif groups == {VERIFIED}:
            status = VERIFIED
        elif QUOTED in groups:
            status = QUOTED
        else:
            status = UNKNOWN
        label = category if category is not None else f"nilai {fmt.number(score)}"
        if status == QUOTED:
            label += " (dikutip)"
        elif status == CONFLICT:
            label += " (bertentangan)"
        out.append(
            {
                "area_code": code,
                "area_name": str(part["area_name"].iloc[0]),
                "is_city": bool(part["is_city"].iloc[0]),
                "year": int(year),
                "category": category,
                "score": score,
                "status": status,
                "label": label,
                "source_url": str(shown["source_url"].iloc[0]),
            }
        )
    return pd.DataFrame(out, columns=CELL_COLUMNS)


def verified_category(cells: pd.DataFrame, year: int) -> str | None:
    """The city's own verified (awarded) category in ``year`` from :func:`category_cells`, if published."""
    rows = cells[cells["is_city"] & (cells["year"] == year) & (cells["status"] == VERIFIED)]
    rows = rows[rows["category"].notna()]
    return str(rows["category"].iloc[0]) if not rows.empty else None


# --------------------------------------------------------------------------- survey stunting


SURVEY_COLUMNS = ["area_code", "area_name", "is_city", "year", "value", "survey", "status", "source_url"]


def survey_stunting(published: pd.DataFrame, city_code: str) -> pd.DataFrame:
    """Survey (SSGI/SKI) stunting prevalence, % of children under five, per peer and year.

    Only ``stunting_prevalence_survey``: routine counts and e-PPGBM prevalences are different
    measurements and are never mixed in. ``survey`` is the survey's name (``"SSGI 2021"``).
    """
    rows = peer_rows(published, city_code)
    rows = rows[(rows["indicator"] == SURVEY_STUNTING) & rows["value"].notna()]
    out = pd.DataFrame(
        {
            "area_code": rows["area_code"].astype(str),
            "area_name": rows["area_name"].astype(str),
            "is_city": rows["is_city"].astype(bool),
            "year": [_year(p) for p in rows["period"]],
            "value": rows["value"].astype(float),
            "survey": [re.sub(r"^survey\s+", "", str(k)) for k in rows["source_kind"]],
            "status": [status_group(s) for s in rows["status"]],
            "source_url": rows["source_url"].astype(str),
        },
        columns=SURVEY_COLUMNS,
    )
    return out.sort_values(["year", "value"], ascending=[True, False]).reset_index(drop=True)


def comparison_years(survey: pd.DataFrame, *, min_areas: int = 2) -> list[int]:
    """Years in which at least ``min_areas`` peers have a survey figure (a one-bar year compares nothing)."""
    counts = survey.groupby("year")["area_code"].nunique()
    return sorted(int(y) for y, n in counts.items() if n >= min_areas)


def province_survey(published: pd.DataFrame, city_code: str) -> dict[int, float]:
    """``{year: prevalence}`` of the province as a whole (its one-level code), for a reference line."""
    prefix = province_of(city_code)
    rows = published[
        (published["area_code"].astype(str).str.strip() == prefix)
        & (published["indicator"] == SURVEY_STUNTING)
        & published["value"].notna()
    ]
    return {_year(r.period): float(r.value) for r in rows.itertuples(index=False)}


# --------------------------------------------------------------------------- national distribution


def parse_category_count(text: str) -> list[tuple[str, int]]:
    """``"Utama 22; Nindya 69"`` → ``[("Utama", 22), ("Nindya", 69)]``, in the order written.

    Raises
    ------
    ValueError
        (Indonesian message) for an empty text, a part without a trailing whole number, or a
        category named twice.
    """
    out: list[tuple[str, int]] = []
    parts = [p.strip() for p in str(text).split(";")]
    if not any(parts):
        raise ValueError("sebaran kategori kosong")
    for part in parts:
        if not part:
            continue
        m = _COUNT_PART.match(part)
        if not m:
            raise ValueError(f"bagian {part!r} bukan 'Kategori jumlah' (mis. 'Madya 125')")
        name = m.group("name").strip()
        if any(name == n for n, _ in out):
            raise ValueError(f"kategori {name!r} disebut dua kali")
        out.append((name, int(m.group("n"))))
    return out


@dataclass(frozen=True)
class AwardDistribution:
    """How many kabupaten/kota received each KLA category in one award year."""

    year: int
    area_name: str
    counts: pd.DataFrame  # category, count, share (% of the denominator, or of the sum without one)
    denominator: float | None  # as published (e.g. 355 awarded)
    status: str  # status_group
    source_url: str
    row: pd.DataFrame  # the published row itself, for the source table

    @property
    def total(self) -> int:
        return int(self.counts["count"].sum())

    @property
    def adds_up(self) -> bool:
        """Whether the categories sum to the published denominator (True when none was published)."""
        return self.denominator is None or self.total == int(self.denominator)


def award_distribution(
    published: pd.DataFrame, *, category_order: Sequence[str] = (), year: int | None = None
) -> AwardDistribution | None:
    """The ``kla_category_count`` figure of ``year`` (default: the latest), parsed; None when absent.

    ``category_order`` (lowest band first, e.g. the rulebook's bands) orders the bars; categories
    it does not know keep their written order after the known ones.
    """
    rows = published[published["indicator"] == CATEGORY_COUNT]
    if rows.empty:
        return None
    rows = rows.assign(year=[_year(p) for p in rows["period"]])
    if year is not None:
        rows = rows[rows["year"] == year]
        if rows.empty:
            return None
    row = rows.sort_values(["year", "period"]).iloc[[-1]]
    r = row.iloc[0]
    text = r["value_text"] if "value_text" in row.columns else r["value"]
    parsed = parse_category_count(str(text))
    rank = {name: n for n, name in enumerate(category_order)}
    parsed = [item for _, item in sorted(enumerate(parsed), key=lambda e: (rank.get(e[1][0], len(rank)), e[0]))]
    denominator = float(r["denominator"]) if pd.notna(r.get("denominator")) else None
    counts = pd.DataFrame(parsed, columns=["category", "count"])
    base = denominator or float(counts["count"].sum()) or 1.0
    counts["share"] = counts["count"] / base * 100
    return AwardDistribution(
        year=int(r["year"]),
        area_name=str(r["area_name"]),
        counts=counts,
        denominator=denominator,
        status=status_group(r["status"]),
        source_url=str(r["source_url"]),
        row=row.drop(columns=["year"]).reset_index(drop=True),
    )


# --------------------------------------------------------------------------- where every number comes from


def _value_text(indicator: str, value_text: object, value: object, unit: object) -> str:
    if indicator == SURVEY_STUNTING and pd.notna(value):
        raw = str(value_text)
        decimals = len(raw.split(".", 1)[1]) if re.fullmatch(r"-?\d+\.\d+", raw) else 0
        return fmt.percent(value, decimals)
    if indicator == SCORE and pd.notna(value):
        return f"{fmt.number(value)} poin"
    return str(value_text)


def source_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Every figure of ``rows`` (published rows, e.g. from :func:`peer_rows`) with its source, in Indonesian.

    Columns: ``Wilayah``, ``Wilayah ini`` (the city's rows, when ``is_city`` is present),
    ``Indikator``, ``Tahun``, ``Nilai``, ``Status`` (``terverifikasi`` / ``dikutip (belum
    terverifikasi)`` / ``bertentangan``), ``Tautan`` (URL, next to the status so it is seen without
    scrolling), ``Sumber`` and ``Catatan``; a
    ``Catatan (bahasa sumber)`` column holds notes without a translation. The city's rows come first.
    """
    if rows.empty:
        return pd.DataFrame(columns=["Wilayah", "Indikator", "Tahun", "Nilai", "Status", "Tautan", "Sumber"])
    rows = rows.copy()
    if "is_city" not in rows.columns:
        rows["is_city"] = False
    value_text = rows["value_text"] if "value_text" in rows.columns else rows["value"].astype(str)
    rows = rows.assign(_value_text=value_text.astype(str))
    rows = rows.sort_values(["is_city", "indicator", "period", "area_code"], ascending=[False, True, True, True])
    notes = rows["note"] if "note" in rows.columns else pd.Series([None] * len(rows), index=rows.index)
    known = [note_label(n) for n in notes]
    raw = ["" if (k or is_missing(n)) else str(n).strip() for n, k in zip(notes, known, strict=True)]
    out = pd.DataFrame(
        {
            "Wilayah": rows["area_name"].astype(str).to_numpy(),
            "Wilayah ini": rows["is_city"].astype(bool).to_numpy(),
            "Indikator": [indicator_label(i) for i in rows["indicator"]],
            "Tahun": [str(p) for p in rows["period"]],
            "Nilai": [
                _value_text(i, t, v, u)
                for i, t, v, u in zip(rows["indicator"], rows["_value_text"], rows["value"], rows["unit"], strict=True)
            ],
            "Status": [STATUS_WORDS[status_group(s)] for s in rows["status"]],
            "Tautan": rows["source_url"].astype(str).to_numpy(),
            "Sumber": [source_kind_label(k) for k in rows["source_kind"]],
            "Catatan": known,
        }
    )
    if not out["Wilayah ini"].any():
        out = out.drop(columns=["Wilayah ini"])
    if any(raw):
        out["Catatan (bahasa sumber)"] = raw
    return out.reset_index(drop=True)
