"""Pure builders for the KLA analysis pages: indicator tables, OPD and kecamatan views, history.

No Streamlit and no database: frames in (from :mod:`kla.read.analysis` / :mod:`kla.read.repository`),
frames, dataclasses and text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from kla.core import crosswalk, fmt, scoring
from kla.core.catalog import CROSSWALK, ROUTINE, SURVEY
from kla.core.rulebook import Rulebook

EVIDENCE_LABEL = {"lengkap": "lengkap", "sebagian": "sebagian (dokumen kurang)", "belum": "belum ada dokumen"}


# --------------------------------------------------------------------------- indicators


def indicator_table(frame: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """One row per indicator: points, maximum, points lost, OPD, evidence and verification status."""
    rows = []
    for r in frame.itertuples(index=False):
        pts = 0.0 if pd.isna(r.points) else float(r.points)
        rows.append(
            {
                "No": int(r.number),
                "Kode": r.code,
                "Indikator": r.name,
                "group": r.group_code,
                "Klaster": rulebook.group(r.group_code).label,
                "OPD": r.opd,
                "Poin": pts,
                "Maks": float(r.max_points),
                "Hilang": float(r.max_points) - pts,
                "Bukti": EVIDENCE_LABEL.get(str(r.evidence_status), "belum dinilai")
                if not pd.isna(r.points)
                else "belum dinilai",
                "Teks indikator": r.verification,
                "Sumber indikator": getattr(r, "indicator_source", "") or None,
            }
        )
    return pd.DataFrame(rows)


def waterfall_steps(summary: scoring.ScoreSummary, total_max: float) -> list[tuple[str, float]]:
    """From the maximum down to the current score: ``[("Maksimum", 1000), ("Kelembagaan", -x), ...]``."""
    steps = [("Maksimum", float(total_max))]
    steps += [(g.label, -(g.max - g.points)) for g in summary.groups]
    return steps


def band_rings(rulebook: Rulebook, names: Sequence[str | None]) -> list[tuple[str, float]]:
    """Achievement % (of the maximum) a band's lower bound needs, drawn as radar rings."""
    total = rulebook.bands[-1].max
    return [(f"{b.name} (≥{fmt.number(b.min)})", 100.0 * b.min / total) for b in rulebook.bands if b.name in names]


def rings_above(rulebook: Rulebook, total: float, n: int = 1) -> list[tuple[str, float]]:
    """:func:`band_rings` of the ``n`` categories just above ``total`` (none at the top category)."""
    return band_rings(rulebook, [b.name for b in rulebook.bands if b.min > total][:n])


def higher_bands(summary: scoring.ScoreSummary, rulebook: Rulebook) -> list[str]:
    """Bands above the current one, nearest first (empty at the top category)."""
    current = next(i for i, b in enumerate(rulebook.bands) if b.name == summary.category)
    return [b.name for b in rulebook.bands[current + 1 :]]


def plan_title(summary: scoring.ScoreSummary) -> str:
    """'Jalan ke Madya' from Pratama, "Jalan ke Nindya" from Madya; at the top, says so."""
    if summary.next_category is None:
        return f"Sudah di kategori tertinggi: {summary.category}"
    return f"Jalan ke {summary.next_category}: rencana upaya terkecil"


# --------------------------------------------------------------------------- OPD


def opd_names(cell: str) -> list[str]:
    """``"DP3AKB (UPTD PPA); Bappeda"`` → ``["DP3AKB", "Bappeda"]`` (the part before a bracket)."""
    out = []
    for part in str(cell or "").split(";"):
        name = re.sub(r"\s*\(.*?\)\s*", " ", part).strip()
        if name and name not in out:
            out.append(name)
    return out


def opd_list(rulebook: Rulebook) -> list[str]:
    names: dict[str, int] = {}
    for ind in rulebook.indicators:
        for n in opd_names(ind.opd):
            names[n] = names.get(n, 0) + 1
    return sorted(names, key=lambda n: (-names[n], n.lower()))


def opd_indicators(table: pd.DataFrame, opd: str) -> pd.DataFrame:
    """The rows of :func:`indicator_table` an OPD is responsible for (alone or shared)."""
    mask = table["OPD"].map(lambda cell: opd in opd_names(cell))
    return table[mask].sort_values(["Hilang", "No"], ascending=[False, True]).reset_index(drop=True)


@dataclass(frozen=True)
class OpdSummary:
    opd: str
    n_indicators: int
    points: float
    max_points: float
    missing_evidence: tuple[str, ...]
    worst_areas: tuple[str, ...]

    @property
    def lost(self) -> float:
        return self.max_points - self.points

    def lines(self, *, year: int, weights_label: str) -> list[str]:
        """Meeting summary lines; ``weights_label`` is shown only when not empty (pass ``Rulebook.weights_note``)."""
        label = f"; {weights_label}" if weights_label else ""
        out = [
            f"{self.opd}: {self.n_indicators} indikator KLA, {fmt.number(self.points)} dari "
            f"{fmt.number(self.max_points)} poin pada {year} (hilang {fmt.number(self.lost)} poin{label}).",
        ]
        if self.missing_evidence:
            out.append(
                "Dokumen data dukung yang perlu dilengkapi sebelum verifikasi: "
                + "; ".join(self.missing_evidence)
                + "."
            )
        else:
            out.append("Semua dokumen data dukung berstatus lengkap.")
        if self.worst_areas:
            out.append("Kecamatan dengan ukuran terkait terburuk: " + "; ".join(self.worst_areas) + ".")
        return out


def opd_summary(opd: str, rows: pd.DataFrame, worst: pd.DataFrame) -> OpdSummary:
    missing = tuple(f"{r.No}. {r.Indikator} ({r.Bukti})" for r in rows.itertuples() if r.Bukti != "lengkap")
    worst_txt = tuple(
        f"{r.area_name} — {r.label} {r.value_text} ({r.period}, {r.source})" for r in worst.head(3).itertuples()
    )
    return OpdSummary(opd, len(rows), float(rows["Poin"].sum()), float(rows["Maks"].sum()), missing, worst_txt)


# --------------------------------------------------------------------------- measures


def latest_measures(values: pd.DataFrame, *, level: str | None = None) -> pd.DataFrame:
    """The latest value per measure, area and series (survey and routine kept apart)."""
    if values.empty:
        return values.assign(label=[], value_text=[])
    frame = values if level is None else values[values["area_level"] == level]
    frame = frame.sort_values("period").groupby(["measure", "area_code", "series", "source"], as_index=False).tail(1)
    frame = frame.assign(
        label=frame["measure"].map(lambda m: CROSSWALK[m].label),
        value_text=[CROSSWALK[m].fmt(v) for m, v in zip(frame["measure"], frame["value"], strict=True)],
    )
    return frame.sort_values(["measure", "area_code", "series"]).reset_index(drop=True)


def current_value(
    latest: pd.DataFrame, area: str, measure: str, prefer: Sequence[str] = (SURVEY, ROUTINE)
) -> pd.Series | None:
    """The value the crosswalk uses for an area: the survey figure when there is one, else routine."""
    rows = latest[(latest["area_code"] == area) & (latest["measure"] == measure)]
    for series in prefer:
        hit = rows[rows["series"] == series]
        if not hit.empty:
            return hit.sort_values("period").iloc[-1]
    return None


def readings_for(latest: pd.DataFrame, area: str, measures: Sequence[str]) -> dict[str, crosswalk.Reading]:
    """The value each measure has for ``area`` and where it comes from (survey first, else routine).

    The city usually has a survey figure and the kecamatan only routine e-PPGBM ones: the reading
    says which, so a sentence never passes one off as the other.
    """
    out = {}
    for m in measures:
        row = current_value(latest, area, m)
        if row is not None:
            # "angka terbitan: survey SKI 2023" → "SKI 2023"; the series already says survei / rutin
            source = str(row["source"]).removeprefix("angka terbitan: ").removeprefix("survey ")
            out[m] = crosswalk.Reading(float(row["value"]), str(row["series"]), source, str(row["period"]))
    return out


def crosswalk_scenarios(
    rulebook: Rulebook, latest: pd.DataFrame, area: str, measure: str, value: float, scored: Mapping[str, float]
) -> list[crosswalk.Scenario]:
    """For each indicator ``measure`` feeds: what ``value`` would do to it and to ``area``'s total."""
    readings = readings_for(latest, area, list(dict.fromkeys(r.measure for r in rulebook.crosswalk)))
    return [
        crosswalk.scenario(
            rulebook.crosswalk,
            indicator=code,
            indicator_number=rulebook.indicator(code).number,
            measure=measure,
            new_value=value,
            readings=readings,
            current_points=float(scored.get(code, 0.0)),
            current_total=scoring.total_score(scored),
        )
        for code in dict.fromkeys(r.indicator for r in rulebook.crosswalk if r.measure == measure)
    ]


def worst_areas_for(
    latest: pd.DataFrame, rules: Sequence[crosswalk.CrosswalkRule], codes: Sequence[str]
) -> pd.DataFrame:
    """Kecamatan ranked worst-first on the measures linked to ``codes`` (routine series)."""
    measures = {r.measure for r in rules if r.indicator in codes}
    rows = latest[(latest["measure"].isin(measures)) & (latest["area_level"] == "kecamatan")]
    if rows.empty:
        return rows
    frames = []
    for m, part in rows.groupby("measure"):
        asc = not CROSSWALK[m].lower_is_better
        frames.append(part.sort_values("value", ascending=asc))
    return pd.concat(frames).reset_index(drop=True)


@dataclass(frozen=True)
class CrosswalkRow:
    indicator: str
    number: int
    measure: str
    label: str
    series: str
    period: str
    value: float | None
    value_text: str
    source: str
    rule_points: float | None
    scored_points: float | None
    flags: str


def crosswalk_rows(
    rulebook: Rulebook, latest: pd.DataFrame, area: str, scored: Mapping[str, float]
) -> list[CrosswalkRow]:
    """For one area: each linked indicator, the measures behind it and the points the rule gives."""
    out = []
    for rule in rulebook.crosswalk:
        ind = rulebook.indicator(rule.indicator)
        rows = latest[(latest["area_code"] == area) & (latest["measure"] == rule.measure)]
        m = CROSSWALK[rule.measure]
        same = dict(
            indicator=rule.indicator,
            number=ind.number,
            measure=rule.measure,
            label=m.label,
            scored_points=scored.get(rule.indicator),
        )
        if rows.empty:
            out.append(
                CrosswalkRow(
                    **same,
                    series="—",
                    period="—",
                    value=None,
                    value_text="belum ada data",
                    source="—",
                    rule_points=None,
                    flags="",
                )
            )
            continue
        for r in rows.itertuples(index=False):
            value = float(r.value)
            out.append(
                CrosswalkRow(
                    **same,
                    series=r.series,
                    period=str(r.period),
                    value=value,
                    value_text=m.fmt(value),
                    source=str(r.source),
                    rule_points=crosswalk.points_for(rule, value),
                    flags=str(r.flags or ""),
                )
            )
    return out


# --------------------------------------------------------------------------- kecamatan


def group_pct_table(area_scores: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Achievement % per group (columns) for each area with a full set of scores (rows), plus total."""
    rows = []
    for (code, name, level), part in area_scores.groupby(["area_code", "area_name", "area_level"], sort=True):
        points = dict(zip(part["code"], part["points"].astype(float), strict=True))
        s = scoring.summarise(points, rulebook, year=0, area=code)
        row = {"area_code": code, "Wilayah": name, "level": level, "Total": s.total, "Kategori": s.category}
        row.update({g.label: round(g.pct, 1) for g in s.groups})
        rows.append(row)
    return pd.DataFrame(rows)


def pull_down(table: pd.DataFrame, rulebook: Rulebook, reference: str) -> pd.DataFrame:
    """Per group, the kecamatan below the reference area (the city) and by how many percentage points."""
    ref = table[table["area_code"] == reference]
    kec = table[table["level"] == "kecamatan"]
    rows = []
    for g in rulebook.groups:
        base = float(ref[g.label].iloc[0]) if not ref.empty else float(kec[g.label].mean())
        below = kec[kec[g.label] < base - 1e-9].sort_values(g.label)
        rows.append(
            {
                "Klaster": g.label,
                "Acuan (%)": round(base, 1),
                "Kecamatan di bawah acuan": ", ".join(
                    f"{r['Wilayah']} ({fmt.percent(r[g.label], 1)})" for r in below.to_dict("records")
                )
                or "—",
                "Terendah": below["Wilayah"].iloc[0] if not below.empty else "—",
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryPoint:
    year: int
    category: str | None  # published award
    source_url: str | None
    total: float | None  # from a score file
    total_category: str | None
    sample: bool


def history(published: pd.DataFrame, totals: pd.DataFrame, rulebook: Rulebook) -> list[HistoryPoint]:
    """Published KLA category by year, with the score where a score file exists (sample flagged)."""
    cats = published[published["indicator"] == "kla_category"]
    by_year: dict[int, dict] = {}
    for r in cats.itertuples(index=False):
        by_year.setdefault(int(str(r.period)[:4]), {})["cat"] = (r.value_text, r.source_url)
    for r in totals.itertuples(index=False):
        by_year.setdefault(int(r.year), {})["total"] = (float(r.total), bool(r.sample))
    out = []
    for year in sorted(by_year):
        d = by_year[year]
        cat, url = d.get("cat", (None, None))
        total, sample = d.get("total", (None, False))
        out.append(
            HistoryPoint(
                year, cat, url, total, scoring.category(total, rulebook) if total is not None else None, sample
            )
        )
    return out


NUTRITION_SERIES = {
    "stunting_prevalence_survey": ("Prevalensi stunting, survei SSGI/SKI (%)", "percent", SURVEY),
    "stunting_prevalence_routine": ("Prevalensi stunting, rutin e-PPGBM (%)", "percent", ROUTINE),
    "stunting_cases_routine": ("Balita stunting tercatat, rutin (anak)", "count", ROUTINE),
    "severe_wasting_cases": ("Kasus gizi buruk, rutin Dinkes (anak)", "count", ROUTINE),
}


def nutrition_series(
    published: pd.DataFrame, routine: pd.DataFrame | None = None
) -> list[tuple[str, str, str, list[str], list[float]]]:
    """``(label, kind: percent|count, series, periods, values)`` per series, never merged across series.

    ``routine`` (optional): monthly e-PPGBM stunting prevalence for the same area from
    :func:`kla.read.analysis.measure_values` (rows of measure ``stunting_prevalence``, series rutin).
    """
    out = []
    for ind, (label, kind, series) in NUTRITION_SERIES.items():
        rows = published[(published["indicator"] == ind) & published["value"].notna()].sort_values("period")
        periods = rows["period"].astype(str)
        # A year's total ("2021") and a count quoted for one month ("2021-06") are different
        # measures: drawing one line through both would invent a trend, so they are two series.
        for granularity, suffix in ((4, ", total tahunan"), (7, ", angka sesaat per bulan")):
            part = rows[periods.str.len() == granularity]
            if part.empty:
                continue
            mixed = periods.str.len().nunique() > 1
            name = label.replace(" (", f"{suffix} (", 1) if mixed else label
            out.append((name, kind, series, part["period"].astype(str).tolist(), part["value"].astype(float).tolist()))
    if routine is not None and not routine.empty:
        for (source, sample), part in routine.sort_values("period").groupby(["source", "sample"]):
            tag = " — DATA CONTOH" if sample else ""
            out.append(
                (
                    f"Prevalensi stunting, rutin {source} per bulan (%){tag}",
                    "percent",
                    ROUTINE,
                    part["period"].astype(str).tolist(),
                    part["value"].astype(float).tolist(),
                )
            )
    return out


# --------------------------------------------------------------------------- planner page


def difficulty_frame(rulebook: Rulebook, settings: Mapping[str, tuple[int, bool]]) -> pd.DataFrame:
    """The editable difficulty/lock table, filled from the session's settings."""
    return pd.DataFrame(
        [
            {
                "Kode": i.code,
                "No": i.number,
                "Indikator": i.name,
                "OPD": i.opd,
                "Kesulitan": int(settings.get(i.code, (1, False))[0]),
                "Kunci": bool(settings.get(i.code, (1, False))[1]),
            }
            for i in rulebook.indicators
        ]
    )


def settings_from_frame(frame: pd.DataFrame) -> dict[str, tuple[int, bool]]:
    """Back from the edited table; empty or out-of-range difficulty falls back into 1–5."""
    out = {}
    for r in frame.itertuples(index=False):
        d = 1 if pd.isna(r.Kesulitan) else int(min(5, max(1, round(float(r.Kesulitan)))))
        out[r.Kode] = (d, bool(r.Kunci))
    return out


def plan_table(plan) -> pd.DataFrame:  # noqa: ANN001 - kla.core.planner.Plan (imported lazily by callers)
    return pd.DataFrame(
        [
            {
                "No": s.number,
                "Indikator": s.name,
                "OPD": s.opd,
                "Dari": s.from_points,
                "Ke": s.to_points,
                "Naik": s.gained,
                "Kesulitan": s.difficulty,
                "Upaya": s.effort,
                "Syarat ukuran kesehatan": "; ".join(s.requirements),
            }
            for s in plan.steps
        ],
        columns=["No", "Indikator", "OPD", "Dari", "Ke", "Naik", "Kesulitan", "Upaya", "Syarat ukuran kesehatan"],
    )
