"""DATA CONTOH: a deterministic generator of synthetic e-PPGBM exports.

Nothing produced here is Dinkes data. Parameters (balita per kecamatan, hot spots, coverage,
routine prevalence) live in the city's scenario file (``[sources] nutrition_scenario`` in its
city.toml; Kota Serang: ``data/sample/gizi_skenario.toml``) with their sources. Everything
city-specific (kelurahan, NIK prefix, province and city names, alias spellings) comes from the
selected city (``KLA_CITY``), never from code.

How a sample is made (vectorised numpy, seeded):

* each kelurahan gets a share of its kecamatan's balita (published 2021 counts) and a
  coverage rate; children are born uniformly over the 60 months before the first period up to
  the last, so roughly the published number of balita are aged 0–59 months in any month;
* each child has a lasting HAZ and WHZ drawn around kelurahan means chosen so that the routine
  stunting prevalence is near the scenario's (hot spots higher, a slow yearly decline); every
  month an eligible child is measured with the kelurahan's coverage probability, with small
  measurement noise; length/height and weight are the inverse WHO LMS values, rounded like a
  posyandu scale (0.1 kg, 0.1 cm), recorded lying under 24 months and standing from 24
  (a few the other way round);
* the export layout (:mod:`kla.ingest.sample_export`): fake names and NIKs, ``messy=True`` adds
  what real exports contain, and every row carries the DATA CONTOH marker
  (:data:`kla.ingest.eppgbm_columns.SAMPLE_MARKER`) in an extra last column ``Keterangan``, so an
  export that is later imported is recognised and recorded as DATA CONTOH (provenance kind
  ``sample``), never as Dinkes data.

Command line::

    python -m kla.ingest.sample_nutrition aggregate [--out BERKAS] [--scale 1]   # bawaan: nutrition_sample kota
    python -m kla.ingest.sample_nutrition export OUT.csv --rows 1000000 [--messy] [--xlsx]

``aggregate`` runs the real pipeline (z-scores, classification, the import's aggregation SQL) on
the whole synthetic city at full scale (about 1.8 million measurements for 2023–2025) and keeps
only the monthly counts per kelurahan and puskesmas (a few thousand rows). That compact file is
committed and loaded by ``python -m kla build``, so the build stays fast; full exports are
generated on demand for tests and benchmarks.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from kla.core import anthro, config
from kla.core.puskesmas import puskesmas_key
from kla.ingest.sample_export import city_wilayah, to_export, write_csv, write_xlsx
from kla.read.db import connect_scratch


def scenario_path() -> Path:
    """The selected city's ``[sources] nutrition_scenario`` (a clear error when it is missing)."""
    city = config.load_city(check=False)
    return city.require(city.nutrition_scenario, "nutrition_scenario")


def load_scenario(path: Path | None = None) -> dict:
    with open(path or scenario_path(), "rb") as fh:
        return tomllib.load(fh)


def _months(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start + "-01"), pd.Timestamp(end + "-01"), freq="MS")


def _inverse_lms(z: np.ndarray, lam: np.ndarray, m: np.ndarray, s: np.ndarray, restricted: bool) -> np.ndarray:
    def sd(k):
        return m * (1 + lam * s * k) ** (1 / lam)

    y = m * (1 + lam * s * np.clip(z, -3, 3)) ** (1 / lam)
    if restricted:
        y = np.where(z > 3, sd(3) + (z - 3) * (sd(3) - sd(2)), y)
        y = np.where(z < -3, sd(-3) + (z + 3) * (sd(-2) - sd(-3)), y)
    else:
        y = m * (1 + lam * s * z) ** (1 / lam)
    return y


def generate(
    *,
    scale: float = 1.0,
    max_rows: int | None = None,
    messy: bool = False,
    seed: int | None = None,
    scenario: dict | None = None,
) -> pd.DataFrame:
    """Synthetic measurements with the engine's own columns (before writing an export).

    ``scale`` multiplies the number of children; ``max_rows`` keeps the first rows (in month
    order) after generation. Returns one row per measurement with ``child``, ``kelurahan_code``,
    ``kecamatan_code``, ``puskesmas``, ``sex`` (1/2), ``birth``, ``measure_date``, ``weight_kg``,
    ``height_cm``, ``position`` ('L'/'H').
    """
    sc = scenario or load_scenario()
    rng = np.random.default_rng(seed if seed is not None else sc["seed"])
    wil = city_wilayah()
    kel = wil[wil.level == "kelurahan"].reset_index(drop=True)
    months = _months(sc["start"], sc["end"])
    r = sc["routine"]

    # balita per kelurahan: kecamatan total split by a Dirichlet share
    n_kel = np.zeros(len(kel))
    for kec, total in sc["balita"].items():
        idx = np.flatnonzero(kel.parent_code.to_numpy() == kec)
        if len(idx):
            n_kel[idx] = total * rng.dirichlet(np.full(len(idx), 8.0))
    n_kel = np.maximum(np.round(n_kel * scale), 5).astype(int)
    coverage = rng.uniform(r["coverage_min"], r["coverage_max"], len(kel))
    rr = np.array([sc["hotspots"].get(nm, 1.0) for nm in kel.name]) * rng.lognormal(0, 0.15, len(kel))
    pkm_of = []
    counters: dict[str, int] = {}
    for kec in kel.parent_code:
        lst = sc["puskesmas"].get(kec, ["Kota"])
        i = counters.get(kec, 0)
        counters[kec] = i + 1
        pkm_of.append(lst[i % len(lst)])
    pkm_of = np.array(pkm_of, dtype=object)

    # children: born uniformly over [start - 60 months, end]
    span_days = (months[-1] - months[0]).days + 60 * 30.4375
    n_child_kel = np.round(n_kel * span_days / (60 * 30.4375)).astype(int)
    child_kel = np.repeat(np.arange(len(kel)), n_child_kel)
    nc = len(child_kel)
    birth = months[0] - pd.to_timedelta(60 * 30.4375, "D") + pd.to_timedelta(rng.uniform(0, span_days, nc), "D")
    birth = birth.normalize()
    sex = rng.integers(1, 3, nc)
    p_st = np.clip(r["stunting_base"] * rr, 0.005, 0.5)
    from statistics import NormalDist

    inv = np.vectorize(NormalDist().inv_cdf)
    mu_h = -2.0 - inv(p_st)  # P(HAZ < -2) = p for HAZ ~ N(mu, 1)
    mu_w = -2.0 - inv(np.clip(r["wasting_base"] * np.sqrt(rr), 0.005, 0.5))
    haz_c = rng.normal(mu_h[child_kel], 1.0)
    whz_c = rng.normal(mu_w[child_kel], 1.0)

    # eligible child-months, then measured with the kelurahan's coverage
    rows = []
    year0 = months[0].year
    for t, month in enumerate(months):
        mday = month + pd.to_timedelta(rng.integers(0, 28, nc), "D")
        age = (mday - birth).days.to_numpy()
        yrs = month.year - year0 + month.month / 12
        cov = np.clip(coverage + r["coverage_yearly_change"] * yrs, 0, 0.98)
        el = (age >= 0) & (age <= anthro.MAX_AGE_DAYS) & (rng.random(nc) < cov[child_kel])
        idx = np.flatnonzero(el)
        decline = (1 + r["stunting_yearly_change"]) ** yrs
        shift = -2.0 - inv(np.clip(p_st * decline, 0.002, 0.5)) - mu_h
        rows.append(
            pd.DataFrame(
                {
                    "child": idx,
                    "t": t,
                    "measure_date": mday[idx],
                    "age": age[idx],
                    "haz": haz_c[idx] + shift[child_kel[idx]] + rng.normal(0, 0.15, len(idx)),
                    "whz": whz_c[idx] + rng.normal(0, 0.3, len(idx)),
                }
            )
        )
    m = pd.concat(rows, ignore_index=True)
    if max_rows is not None:
        m = m.iloc[:max_rows].copy()
    ch = m["child"].to_numpy()
    age = m["age"].to_numpy()
    sx = sex[ch]
    sidx = (sx == 2).astype(int)
    t = anthro.tables()
    L, M, S = (t["lhfa"].lms[sidx, age, k] for k in range(3))
    h_true = _inverse_lms(m["haz"].to_numpy(), L, M, S, restricted=False)
    young = age < anthro.LENGTH_AGE_DAYS
    wrong = rng.random(len(m)) < 0.04
    pos = np.where(young ^ wrong, "L", "H")
    # a lying measure reads 0.7 cm more than a standing one
    h_rec = h_true + np.where(young & (pos == "H"), -0.7, 0) + np.where(~young & (pos == "L"), 0.7, 0)
    h_rec = np.round(h_rec, 1)
    tab_w = np.where(young, 0, 1)
    lms_w = np.full((len(m), 3), np.nan)
    for j, name in ((0, "wfl"), (1, "wfh")):
        tb = t[name]
        sel = tab_w == j
        hh = np.clip(h_true[sel], tb.start, tb.start + tb.step * (tb.n - 1))
        row = np.round((hh - tb.start) / tb.step).astype(int)
        lms_w[sel] = tb.lms[sidx[sel], row]
    w = _inverse_lms(m["whz"].to_numpy(), lms_w[:, 0], lms_w[:, 1], lms_w[:, 2], restricted=True)
    w = np.round(np.clip(w, 1.0, 40), 1)
    out = pd.DataFrame(
        {
            "child": ch,
            "kelurahan_code": kel.code.to_numpy()[child_kel[ch]],
            "kecamatan_code": kel.parent_code.to_numpy()[child_kel[ch]],
            "kelurahan_name": kel.name.to_numpy()[child_kel[ch]],
            "puskesmas": pkm_of[child_kel[ch]],
            "sex": sx,
            "birth": birth[ch],
            "measure_date": m["measure_date"].to_numpy(),
            "weight_kg": w,
            "height_cm": h_rec,
            "position": pos,
        }
    )
    out.attrs["sasaran"] = dict(zip(kel.code, n_kel, strict=True))
    return out


# ----------------------------------------------------------------------------- aggregate
def aggregate(*, scale: float = 1.0, seed: int | None = None) -> pd.DataFrame:
    """Full-scale synthetic city -> ``nutrition_base`` rows (kelurahan and puskesmas per month)."""
    from kla.ingest.nutrition import base_counts

    g = generate(scale=scale, seed=seed)
    z = anthro.zscores(
        g["sex"].to_numpy(),
        (g["measure_date"] - g["birth"]).dt.days.to_numpy(),
        g["weight_kg"].to_numpy(),
        g["height_cm"].to_numpy(),
        g["position"].to_numpy(),
    )
    rel = pd.DataFrame(
        {
            "child_key": g["child"].astype(str),
            "row_no": np.arange(len(g)),
            "measure_date": g["measure_date"],
            "period": g["measure_date"].dt.to_period("M").dt.start_time,
            "kelurahan_code": g["kelurahan_code"],
            "kecamatan_code": g["kecamatan_code"],
            "puskesmas": g["puskesmas"],
            "puskesmas_key": [puskesmas_key(p) for p in g["puskesmas"]],
            **{k: z[k] for k in ("haz", "waz", "whz", "flag_haz", "flag_waz", "flag_whz")},
        }
    )
    con = connect_scratch()
    con.register("wilayah", city_wilayah())
    con.register("sample_src", rel)
    base = base_counts(con, "sample_src")
    con.close()
    sas = g.attrs["sasaran"]
    base["sasaran"] = [
        sas.get(k) if lv == "kelurahan" else None for k, lv in zip(base.area_key, base.level, strict=True)
    ]
    pkm_sas = base[base.level == "kelurahan"].groupby("kecamatan_code")["sasaran"].sum()
    base["period"] = pd.to_datetime(base["period"]).dt.strftime("%Y-%m-%d")
    base["sasaran"] = base["sasaran"].astype("Int64")
    del pkm_sas
    cols = [
        "level",
        "area_key",
        "area_name",
        "kecamatan_code",
        "period",
        "sasaran",
        "measured",
        "n_haz",
        "stunted",
        "severe_stunted",
        "n_whz",
        "wasted",
        "severe_wasted",
        "n_waz",
        "underweight",
        "implausible_haz",
        "implausible_whz",
        "implausible_waz",
    ]
    return base[cols].sort_values(["level", "area_key", "period"]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m kla.ingest.sample_nutrition", description="DATA CONTOH e-PPGBM generator"
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("aggregate", help="regenerate the committed compact sample aggregate")
    a.add_argument("--out", type=Path, default=None)
    a.add_argument("--scale", type=float, default=1.0)
    e = sub.add_parser("export", help="write a synthetic e-PPGBM export (CSV; or XLSX with --xlsx)")
    e.add_argument("out", type=Path)
    e.add_argument("--rows", type=int, default=None)
    e.add_argument("--scale", type=float, default=1.0)
    e.add_argument("--messy", action="store_true")
    e.add_argument("--xlsx", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "aggregate":
        out = args.out or config.load_city(check=False).nutrition_sample
        base = aggregate(scale=args.scale)
        base.to_csv(out, index=False)
        print(f"{out}: {len(base)} baris agregat (DATA CONTOH)", file=sys.stderr)
    else:
        g = generate(scale=args.scale, max_rows=args.rows)
        ex = to_export(g, messy=args.messy)
        (write_xlsx if args.xlsx else write_csv)(ex, args.out)
        print(f"{args.out}: {len(ex)} baris (DATA CONTOH)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
