"""What the Gizi Anak page shows from the routine nutrition figures, computed without Streamlit.

Month choice and notices, the headline metrics, rankings (with the selected area's place) and
their shared table, the area picker and the data-quality summary. Elsewhere: the frames are read
by :mod:`kla.read.nutrition`; the survey and routine trend, coverage and ranking charts are drawn
by :mod:`kla.figures.nutrition` (survey SSGI/SKI prevalence and routine e-PPGBM/recap prevalence
stay separate series: they measure different things, domain.md §5.2); the published-figures
table is :mod:`kla.views.published`. The import machinery and the rate arithmetic live in
:mod:`kla.ingest.nutrition` and :mod:`kla.core.rates`.

Everything here that the page shows goes through two rules:

* **One suppression rule** (:mod:`kla.core.suppression`). A count from 1 to ``SUPPRESS_BELOW - 1``
  (:mod:`kla.core.privacy`) is shown as "< 5", and a rate resting on such a count is not shown at
  all (rate, its interval and the denominator together would give the count away):
  :func:`~kla.core.suppression.is_small`, :func:`~kla.core.suppression.fmt_count`,
  :func:`~kla.core.suppression.fmt_rate`. Metrics, tables, the CSV download and the charts all
  use them.
* **Indonesian numbers.** Decimal comma and thousands dot (``4,2%``, ``58.623``,
  ``IK 95%: 4,0–4,4%``) by the dashboard's one rule in :mod:`kla.core.fmt`. Figures get
  ``separators=",."`` from :func:`kla.figures.charts.apply_stamp`, so plotly's own hover numbers
  agree.

Data-quality flags are named by :mod:`kla.core.quality`, the same words on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kla.core import catalog
from kla.core.fmt import month_label
from kla.core.privacy import SUPPRESS_BELOW
from kla.core.puskesmas import puskesmas_label
from kla.core.quality import FLAG_LABELS, flag_text, incomplete_text, measure_flags
from kla.core.suppression import (
    HIDDEN_RATE_TEXT,
    fmt_ci,
    fmt_count,
    fmt_pct,
    fmt_rate,
)
from kla.core.suppression import is_missing as _missing
from kla.views.nutrition_privacy import (
    WITHHELD_TEXT,
    count_text,
    coverage_hidden,
    month_suppression,
    rate_hidden,
    row_masks,
)
from kla.views.nutrition_privacy import area_masks as area_masks  # the page's headline uses it


# ----------------------------------------------------------------------------- flags
def flag_summary(rows: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """How many areas carry each data-quality flag."""
    flags = measure_flags(rows, measure)
    out = pd.DataFrame(
        {
            "Catatan mutu data": list(FLAG_LABELS.values()),
            "Jumlah wilayah": [int(flags[c].sum()) for c in FLAG_LABELS],
        }
    )
    if "no_data" in rows.columns:
        out.loc[len(out)] = [NO_DATA_TEXT, int(rows["no_data"].astype(bool).sum())]
    return out


# ----------------------------------------------------------------------------- months
def _city_rows(agg: pd.DataFrame, source_type: str) -> pd.DataFrame:
    return agg[(agg["source_type"] == source_type) & (agg["level"] == "kota")].sort_values("period")


def _month_ok(rows: pd.DataFrame) -> pd.Series:
    flags = measure_flags(rows)
    return ~(flags["flag_incomplete"] | flags["flag_zero"])


def default_period(agg: pd.DataFrame, source_type: str) -> pd.Timestamp | None:
    """The latest month whose city total is complete (every kecamatan and kelurahan reports, not
    zero-filled); the latest month of all when none is (it then carries its flag)."""
    city = _city_rows(agg, source_type)
    if city.empty:
        periods = agg.loc[agg["source_type"] == source_type, "period"]
        return periods.max() if len(periods) else None
    ok = city[_month_ok(city)]
    return (ok if len(ok) else city)["period"].max()


def period_options(agg: pd.DataFrame, source_type: str) -> list[tuple[pd.Timestamp, str]]:
    """(month, label) newest first; incomplete or zero-filled months say so in their label."""
    city = _city_rows(agg, source_type)
    flags = measure_flags(city)
    note = dict(
        zip(
            city["period"],
            np.where(flags["flag_incomplete"], " — belum lengkap", np.where(flags["flag_zero"], " — terisi nol", "")),
            strict=True,
        )
    )
    periods = sorted(agg.loc[agg["source_type"] == source_type, "period"].unique(), reverse=True)
    return [(pd.Timestamp(p), month_label(p) + note.get(pd.Timestamp(p), "")) for p in periods]


def month_notice(agg: pd.DataFrame, source_type: str, period: pd.Timestamp) -> str | None:
    """A warning for a month whose city total is incomplete, naming the latest complete month."""
    city = _city_rows(agg, source_type)
    now = city[city["period"] == period]
    if now.empty or bool(_month_ok(now).iloc[0]):
        return None
    r = now.iloc[0]
    what = incomplete_text(r) if bool(r.get("flag_incomplete", False)) else FLAG_LABELS["flag_zero"]
    ok = city[_month_ok(city)]
    last = f" Bulan lengkap terakhir: {month_label(ok['period'].max())}." if len(ok) else ""
    return (
        f"{month_label(period)}: {what}. Angka kota dan kecamatan bulan ini hanya mencakup wilayah yang "
        f"sudah melapor; jangan dibandingkan langsung dengan bulan yang lengkap.{last}"
    )


# ----------------------------------------------------------------------------- headline metrics
@dataclass(frozen=True)
class Metric:
    """One ``st.metric``: label, value text and help text (all already suppressed/formatted)."""

    label: str
    value: str
    help: str = ""


def short_label(measure: str) -> str:
    """``"Stunting"`` from ``"Stunting (TB/U < −2 SD)"``."""
    return catalog.rate(measure).rate_label.split(" (")[0].split(":")[0]


def headline(row: pd.Series, *, measure: str, period: pd.Timestamp, masks: pd.Series | None = None) -> list[Metric]:
    """The four metrics above the ranking, through the one suppression rule.

    ``masks`` (:func:`kla.views.nutrition_privacy.area_masks`): the cells the month's shared tables
    hide for this area (a kecamatan total hidden to protect a kelurahan stays hidden here too);
    without it, the primary rule of this row alone.
    """
    num, den = catalog.rate(measure).nutrition
    m = masks if masks is not None else row_masks(row.to_frame().T, measure).iloc[0]
    cases = row[num]
    if bool(m["hide_cases"] or m["hide_valid"]):
        rate, helptext = (
            HIDDEN_RATE_TEXT,
            f"1–{SUPPRESS_BELOW - 1} kasus, atau angka yang bisa membukanya: angka dan IK 95% tidak ditampilkan "
            "agar anak tidak dapat dikenali.",
        )
    else:
        rate = fmt_pct(row[f"{measure}_pct"])
        ci = fmt_ci(row[f"{measure}_lo"], row[f"{measure}_hi"])
        helptext = f"{ci}; {fmt_count(cases)} kasus dari {fmt_count(row[den])} anak dengan z-score sah" if ci else ""
    excluded = sum(int(row[c]) for c in ("implausible_haz", "implausible_whz", "implausible_waz"))
    cov = row.get("coverage_pct")
    cov_text = fmt_pct(cov, 0) if not _missing(cov) else "tanpa sasaran"
    if bool(m["hide_measured"] or m["hide_sasaran"]) and not _missing(cov):
        cov_text = WITHHELD_TEXT
    return [
        Metric(f"{short_label(measure)}, {month_label(period)}", rate, helptext),
        Metric("Anak diukur", count_text(row["measured"], hide=m["hide_measured"], small=m["small_measured"])),
        Metric(
            "Cakupan",
            cov_text,
            "anak diukur / sasaran balita" if not _missing(cov) else "sumber ini tidak memuat sasaran balita",
        ),
        Metric(
            "Dikeluarkan (tak masuk akal)",
            count_text(excluded, hide=m["hide_excluded"], small=m["small_excluded"]),
            "nilai z di luar batas WHO, tidak dihitung",
        ),
    ]


NO_SASARAN_TEXT = (
    "Tanpa sasaran: ekspor e-PPGBM tidak memuat jumlah sasaran balita, jadi cakupan pengukuran "
    "(diukur / sasaran) tidak dapat dihitung dari e-PPGBM saja. Impor rekap bulanan dengan kolom "
    "Sasaran Balita untuk wilayah dan bulan yang sama agar cakupan muncul."
)


def has_sasaran(rows: pd.DataFrame) -> bool:
    """True when any row has a target population (so coverage can be shown)."""
    return "sasaran" in rows.columns and bool(pd.to_numeric(rows["sasaran"], errors="coerce").gt(0).any())


# ----------------------------------------------------------------------------- rankings
SOURCE_LABELS = {"eppgbm": "e-PPGBM", "rekap": "Rekap bulanan"}
LEVEL_LABELS = {"kota": "Kota", "kecamatan": "Kecamatan", "kelurahan": "Kelurahan", "puskesmas": "Puskesmas"}
#: Widget key of the ranking level choice (Kelurahan / Kecamatan / Puskesmas).
RANK_LEVEL_KEY = "gizi_tingkat_peringkat"
NO_DATA_TEXT = "tidak ada data bulan ini"


def rank_levels(agg: pd.DataFrame, source_type: str, period: pd.Timestamp) -> list[str]:
    """Levels that can be ranked this month: kelurahan and kecamatan, and puskesmas when the
    source has puskesmas rows for the month."""
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period)]
    have = set(d["level"])
    return [lvl for lvl in ("kelurahan", "kecamatan", "puskesmas") if lvl in have]


def rank_areas(
    agg: pd.DataFrame,
    *,
    source_type: str,
    period: pd.Timestamp,
    measure: str,
    level: str,
    areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every area of ``level`` citywide for one month, ranked by ``measure``.

    ``rank`` 1 = highest prevalence. Areas whose rate rests on 1–4 cases get no rank (the place
    would narrow the hidden count down) and are listed after the ranked ones; areas of the
    wilayah table (``areas``: code, level, name, parent_code) without a row this month are listed
    last with no data. Adds ``kecamatan_name``, ``display_name``, ``suppressed``, ``no_data`` and
    ``rank_of`` (how many areas were ranked).
    """
    num, den = catalog.rate(measure).nutrition
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period) & (agg["level"] == level)].copy()
    if areas is not None and level in ("kelurahan", "kecamatan") and not areas.empty:
        universe = areas[areas["level"] == level]
        missing = universe[~universe["code"].isin(d["area_code"])]
        if len(missing):
            extra = pd.DataFrame(
                {
                    "source_type": source_type,
                    "level": level,
                    "area_code": missing["code"].to_numpy(),
                    "area_name": missing["name"].to_numpy(),
                    "parent_code": missing["parent_code"].to_numpy(),
                    "period": period,
                }
            )
            d = pd.concat([d, extra], ignore_index=True) if len(d) else extra
    names = {}
    if areas is not None and not areas.empty:
        names = areas[areas["level"] == "kecamatan"].set_index("code")["name"].to_dict()
    names.update(
        agg[agg["level"] == "kecamatan"].drop_duplicates("area_code").set_index("area_code")["area_name"].to_dict()
    )
    d["kecamatan_name"] = d["parent_code"].map(names) if level != "kecamatan" else ""
    if level == "puskesmas":
        d["display_name"] = [puskesmas_label(n) for n in d["area_name"]]
    else:
        d["display_name"] = d["area_name"]
    # two kelurahan may share a name (Sukawana in Curug and in Kasemen): add the kecamatan
    twice = d["display_name"].duplicated(keep=False) & d["kecamatan_name"].fillna("").astype(bool)
    d.loc[twice, "display_name"] = d.loc[twice, "display_name"] + " (" + d.loc[twice, "kecamatan_name"] + ")"
    d["no_data"] = d["measured"].isna() if "measured" in d.columns else True
    # one set of masks for the whole month (kelurahan, kecamatan, kota): a hidden 1-4 cannot be
    # worked out from the other level's table by subtraction (kla.views.nutrition_privacy)
    masks = month_suppression(agg, source_type=source_type, period=period, measure=measure)
    d = d.reset_index(drop=True)
    matched = masks.reindex(d["area_code"]).fillna(False).astype(bool).reset_index(drop=True)
    for col in matched.columns:
        d[col] = matched[col].to_numpy()
    d["suppressed"] = rate_hidden(d) & ~d["no_data"].astype(bool)
    pct = pd.to_numeric(d.get(f"{measure}_pct"), errors="coerce")
    rankable = ~d["no_data"] & ~d["suppressed"] & pct.notna()
    d["rank"] = pct.where(rankable).rank(ascending=False, method="min").astype("Int64")
    d["rank_of"] = int(rankable.sum())
    d["_order"] = np.select([rankable, d["suppressed"] & ~d["no_data"], ~d["no_data"]], [0, 1, 2], 3)
    d = d.sort_values(["_order", "rank", "display_name"], na_position="last").drop(columns="_order")
    return d.reset_index(drop=True)


@dataclass(frozen=True)
class RankScope:
    """Which ranked areas the page shows, which one is highlighted, and what to say about it."""

    rows: pd.DataFrame
    highlight: str | None
    title: str  # what is ranked, for the chart title: "kelurahan se-kota", "kelurahan di Kec. Kasemen (...)"
    position: str | None  # e.g. "Unyur: peringkat 12 dari 64 kelurahan se-kota ..."


def rank_scope(
    ranked: pd.DataFrame,
    *,
    level: str,
    area_code: str,
    area_level: str,
    area_name: str,
    area_parent: str | None = None,
) -> RankScope:
    """Filter a citywide ranking to the selected area.

    * city selected: every area of the level;
    * a kecamatan selected: its kelurahan (or its puskesmas), keeping their citywide ranks; at
      kecamatan level all six, the selected one highlighted;
    * a kelurahan selected: the whole citywide ranking with that kelurahan highlighted and its
      place stated (never a one-row ranking); at kecamatan level its kecamatan is highlighted.
    """
    lvl = LEVEL_LABELS[level].lower()
    rows, highlight, title = ranked, None, f"{lvl} se-kota"
    if area_level == "kecamatan":
        if level == "kecamatan":
            highlight = area_code
        else:
            rows = ranked[ranked["parent_code"] == area_code]
            name = re.sub(r"^\s*Kec\.\s*", "", area_name)
            title = f"{lvl} di Kec. {name} (peringkat se-kota)"
    elif area_level == "kelurahan":
        if level == "kelurahan":
            highlight = area_code
        elif level == "kecamatan":
            highlight = area_parent
    position = None
    if highlight is not None:
        hit = ranked[ranked["area_code"] == highlight]
        if len(hit):
            r = hit.iloc[0]
            name = r["display_name"]
            of = int(r["rank_of"])
            if bool(r["no_data"]):
                position = f"{name}: {NO_DATA_TEXT}, tidak ada peringkat."
            elif bool(r["suppressed"]):
                position = f"{name}: {HIDDEN_RATE_TEXT}, tanpa peringkat (dari {of} {lvl} yang diperingkat)."
            elif not _missing(r["rank"]):
                position = f"{name}: peringkat {int(r['rank'])} dari {of} {lvl} se-kota (1 = prevalensi tertinggi)."
                hidden = int(ranked["suppressed"].astype(bool).sum())
                if hidden:  # they may lie anywhere above or below: the place is among the shown ones only
                    position += (
                        f" {hidden} {lvl} lain dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan dan tidak diperingkat."
                    )
    return RankScope(rows=rows.reset_index(drop=True), highlight=highlight, title=title, position=position)


def ranking_table(rows: pd.DataFrame, *, measure: str) -> pd.DataFrame:
    """The ranking as shown and shared: every number formatted the Indonesian way and through the
    one suppression rule (counts 1–4 as "< 5", their rates, intervals and ranks hidden).

    Columns: Peringkat, Wilayah, [Kecamatan], Prevalensi, IK 95%, Kasus, Anak dengan z-score sah,
    Diukur, [Sasaran, Cakupan — only when some row has a sasaran], Dikeluarkan (tak masuk akal),
    Catatan mutu data.
    """
    num, den = catalog.rate(measure).nutrition
    d = rows
    if "display_name" not in d.columns:
        d = d.assign(display_name=d["area_name"])
    no_data = d["no_data"].astype(bool) if "no_data" in d.columns else pd.Series(False, index=d.index)
    m = row_masks(d, measure)
    small = rate_hidden(m) & ~no_data  # the rate goes with its count or its denominator
    cov_hidden = coverage_hidden(m)

    def counts(col: str, key: str) -> list[str]:
        return [
            count_text(v, hide=h, small=sm)
            for v, h, sm in zip(d[col], m[f"hide_{key}"], m[f"small_{key}"], strict=True)
        ]

    rank = d["rank"] if "rank" in d.columns else pd.Series(pd.NA, index=d.index)
    out = {"Peringkat": ["–" if _missing(r) else str(int(r)) for r in rank], "Wilayah": d["display_name"].tolist()}
    if "kecamatan_name" in d.columns and d["kecamatan_name"].fillna("").astype(str).str.len().gt(0).any():
        out["Kecamatan"] = d["kecamatan_name"].fillna("").tolist()
    out["Prevalensi"] = [
        "–" if nd else (HIDDEN_RATE_TEXT if h else fmt_rate(c, p))
        for nd, h, c, p in zip(no_data, small, d[num], d[f"{measure}_pct"], strict=True)
    ]
    out["IK 95%"] = [
        "–" if (nd or h) else fmt_ci(lo, hi).removeprefix("IK 95%: ") or "–"
        for nd, h, lo, hi in zip(no_data, small, d[f"{measure}_lo"], d[f"{measure}_hi"], strict=True)
    ]
    out["Kasus"] = counts(num, "cases")
    out["Anak dengan z-score sah"] = counts(den, "valid")
    out["Diukur"] = counts("measured", "measured")
    if has_sasaran(d):
        out["Sasaran"] = counts("sasaran", "sasaran")
        out["Cakupan"] = [
            "–" if nd else (WITHHELD_TEXT if ch else (fmt_pct(c, 0) if not _missing(c) else "tanpa sasaran"))
            for nd, ch, c in zip(no_data, cov_hidden, d["coverage_pct"], strict=True)
        ]
    implausible = d[["implausible_haz", "implausible_whz", "implausible_waz"]].sum(axis=1, min_count=1)
    out["Dikeluarkan (tak masuk akal)"] = [
        count_text(v, hide=h, small=sm)
        for v, h, sm in zip(implausible, m["hide_excluded"], m["small_excluded"], strict=True)
    ]
    notes = flag_text(d, measure)
    out["Catatan mutu data"] = [
        NO_DATA_TEXT if nd else (f"{HIDDEN_RATE_TEXT}; {n}" if h and n else (HIDDEN_RATE_TEXT if h else n))
        for nd, h, n in zip(no_data, small, notes, strict=True)
    ]
    return pd.DataFrame(out)


def table_caption(what: str, *, measure: str, month: str, source_label: str) -> str:
    """Title, source and date under the ranking table, so a screenshot of it says what it is
    (and DATA CONTOH when it is)."""
    return (
        f"Tabel peringkat {what}: {catalog.rate(measure).rate_label}, {month} · Sumber: {source_label} (rutin) · "
        f"1 = prevalensi tertinggi; wilayah dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan dan tidak ikut "
        "diperingkat"
    )


#: Columns of :func:`ranking_table` holding numbers (as Indonesian text): shown right-aligned.
NUMBER_COLUMNS = (
    "Peringkat",
    "Prevalensi",
    "IK 95%",
    "Kasus",
    "Anak dengan z-score sah",
    "Diukur",
    "Sasaran",
    "Cakupan",
    "Dikeluarkan (tak masuk akal)",
)


def ranking_csv(table: pd.DataFrame, *, month: str, source_label: str) -> bytes:
    """The shown table as CSV for sharing: ``;``-separated UTF-8 with BOM (opens in Excel set to
    Indonesian), with the month and the source (and DATA CONTOH, if so) on every row."""
    out = table.assign(Bulan=month, Sumber=source_label)
    return out.to_csv(index=False, sep=";").encode("utf-8-sig")


# ----------------------------------------------------------------------------- page helpers
def area_options(agg: pd.DataFrame, source_type: str) -> list[tuple[str, str]]:
    """(code, label) for the area picker: the city, then each kecamatan followed by its kelurahan."""
    d = agg[agg["source_type"] == source_type][["level", "area_code", "area_name", "parent_code"]].drop_duplicates(
        "area_code"
    )
    out = [(r.area_code, r.area_name) for r in d[d.level == "kota"].itertuples()]
    for kec in d[d.level == "kecamatan"].sort_values("area_name").itertuples():
        out.append((kec.area_code, f"Kec. {kec.area_name}"))
        for kel in d[(d.level == "kelurahan") & (d.parent_code == kec.area_code)].sort_values("area_name").itertuples():
            out.append((kel.area_code, f"   · {kel.area_name}"))
    return out


def area_level(agg: pd.DataFrame, area_code: str) -> str:
    """``kota`` / ``kecamatan`` / ``kelurahan`` / ``puskesmas`` of an area code in the agg frame."""
    hit = agg.loc[agg["area_code"] == area_code, "level"]
    return str(hit.iloc[0]) if len(hit) else "kota"


def series(agg: pd.DataFrame, source_type: str, area_code: str) -> pd.DataFrame:
    """Monthly rows of one area and source type."""
    return agg[(agg["source_type"] == source_type) & (agg["area_code"] == area_code)].sort_values("period")


def parent_map(agg: pd.DataFrame) -> dict[str, str]:
    """Kelurahan code -> kecamatan code."""
    kel = agg[agg["level"] == "kelurahan"].drop_duplicates("area_code")
    return dict(zip(kel["area_code"], kel["parent_code"], strict=True))
