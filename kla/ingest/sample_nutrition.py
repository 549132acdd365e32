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
* ``messy=True`` adds what real exports contain: implausible values, alias spellings and
  case/spacing noise in names, an unknown kelurahan, mixed date formats, missing NIKs and
  duplicated rows, and export z-scores that sometimes disagree;
* names and NIKs are fake (random syllables; NIK = the city's code digits + random digits);
* every exported row carries :data:`kla.ingest.eppgbm_columns.SAMPLE_MARKER` ("DATA CONTOH — dibuat oleh
  kla/sample_nutrition.py") in an extra last column ``Keterangan``, so an export that is later
  imported is recognised and recorded as DATA CONTOH (provenance kind ``sample``), never as
  Dinkes data.

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
from kla.ingest.eppgbm_columns import SAMPLE_MARKER, SAMPLE_MARKER_COLUMN
from kla.read.db import connect_scratch

EXPORT_COLUMNS = [
    "NIK",
    "Nama",
    "JK",
    "Tgl Lahir",
    "BB Lahir",
    "TB Lahir",
    "Nama Ortu",
    "Prov",
    "Kab/Kota",
    "Kec",
    "Pukesmas",
    "Desa/Kel",
    "Posyandu",
    "RT",
    "RW",
    "Alamat",
    "Usia Saat Ukur",
    "Tanggal Pengukuran",
    "Bulan Pengukuran",
    "Status Bulan",
    "status tahun",
    "Berat",
    "Tinggi",
    "Cara Ukur",
    "LiLA",
    "BB/U",
    "ZS BB/U",
    "TB/U",
    "ZS TB/U",
    "BB/TB",
    "ZS BB/TB",
    "Naik Berat Badan",
    "PMT Diterima (kg)",
    "Jml Vit A",
    "KPSP",
    "KIA",
    "Detail Status",
    "status desa",
    SAMPLE_MARKER_COLUMN,  # not in real exports: DATA CONTOH on every row, recognised on import
]
_SYL = np.array(
    [
        "an",
        "di",
        "ra",
        "sa",
        "ti",
        "nu",
        "ma",
        "ya",
        "fa",
        "ri",
        "ka",
        "lu",
        "ni",
        "wa",
        "de",
        "si",
        "ha",
        "zi",
        "ba",
        "ta",
        "mi",
        "lia",
        "put",
        "ar",
        "ham",
    ]
)


def scenario_path() -> Path:
    """The selected city's ``[sources] nutrition_scenario`` (a clear error when it is missing)."""
    city = config.load_city(check=False)
    return city.require(city.nutrition_scenario, "nutrition_scenario")


def load_scenario(path: Path | None = None) -> dict:
    with open(path or scenario_path(), "rb") as fh:
        return tomllib.load(fh)


def _wilayah() -> pd.DataFrame:
    city = config.load_city(check=False)  # the aggregate this module writes may not exist yet
    return pd.read_csv(city.require(city.wilayah, "wilayah"), dtype=str)


def nik_prefix(city_code: str) -> str:
    """The digits of the city's Kemendagri code, as at the start of its residents' NIK (``"32.01"`` → ``"3201"``)."""
    return "".join(ch for ch in city_code if ch.isdigit())


def _alias_example(wil: pd.DataFrame) -> tuple[str, str] | None:
    """(official kelurahan name, a spelling from the city's alias table) for messy exports, or None."""
    city = config.load_city(check=False)
    aliases = pd.read_csv(city.require(city.wilayah_alias, "wilayah_alias"), dtype=str)
    names = dict(zip(wil.loc[wil.level == "kelurahan", "code"], wil.loc[wil.level == "kelurahan", "name"], strict=True))
    for alias, code in zip(aliases["alias"], aliases["code"], strict=True):
        if code in names and alias != names[code]:
            return names[code], alias
    return None


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
    wil = _wilayah()
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
    con.register("wilayah", _wilayah())
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


# ----------------------------------------------------------------------------- export
def _fake_names(rng: np.random.Generator, n: int, parts: int) -> np.ndarray:
    out = pd.Series([""] * n, dtype=object)
    for p in range(parts):
        k = rng.integers(2, 4, n)
        word = pd.Series(_SYL[rng.integers(0, len(_SYL), n)], dtype=object)
        for j in range(1, 4):
            word = word + np.where(k > j, _SYL[rng.integers(0, len(_SYL), n)], "")
        out = out + (" " if p else "") + word.str.capitalize()
    return out.to_numpy()


def to_export(g: pd.DataFrame, *, messy: bool = False, seed: int = 7) -> pd.DataFrame:
    """e-PPGBM export layout (all text, comma decimals) from :func:`generate` output."""
    rng = np.random.default_rng(seed)
    n = len(g)
    wil = _wilayah()
    city = config.load_city(check=False)
    kec_name = dict(zip(wil.code, wil.name, strict=True))
    children = g["child"].to_numpy()
    uniq, inv = np.unique(children, return_inverse=True)
    crng = np.random.default_rng(seed + 1)
    prefix = nik_prefix(city.code)
    rest = 16 - len(prefix)
    nik_child = np.char.add(prefix, np.char.zfill(crng.integers(0, 10**rest, len(uniq)).astype(str), rest))
    name_child = _fake_names(crng, len(uniq), 2)
    parent_child = _fake_names(crng, len(uniq), 2)
    addr_child = np.char.add("Jl. ", _fake_names(crng, len(uniq), 1).astype(str))
    age = (g["measure_date"] - g["birth"]).dt.days.to_numpy()
    z = anthro.zscores(
        g["sex"].to_numpy(), age, g["weight_kg"].to_numpy(), g["height_cm"].to_numpy(), g["position"].to_numpy()
    )
    yrs, rem = age // 365, age % 365
    mons = (rem / anthro.DAYS_PER_MONTH).astype(int)
    days = (rem - mons * anthro.DAYS_PER_MONTH).astype(int).clip(0)

    def dec(x: np.ndarray, nd: int = 1) -> np.ndarray:
        s = pd.Series(np.round(x, nd)).map(lambda v: "" if pd.isna(v) else f"{v:.{nd}f}".replace(".", ","))
        return s.to_numpy()

    md = pd.to_datetime(g["measure_date"])
    out = pd.DataFrame(
        {
            "NIK": nik_child[inv],
            "Nama": name_child[inv],
            "JK": np.where(g["sex"] == 1, "L", "P"),
            "Tgl Lahir": pd.to_datetime(g["birth"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "BB Lahir": dec(rng.normal(3.1, 0.4, n)),
            "TB Lahir": dec(rng.normal(49, 2, n)),
            "Nama Ortu": parent_child[inv],
            "Prov": city.province.upper(),
            "Kab/Kota": city.name.upper(),
            "Kec": [kec_name[c].upper() for c in g["kecamatan_code"]],
            "Pukesmas": g["puskesmas"].to_numpy(),
            "Desa/Kel": g["kelurahan_name"].str.upper().to_numpy(),
            "Posyandu": np.char.add("Posyandu ", rng.integers(1, 25, n).astype(str)),
            "RT": np.char.zfill(rng.integers(1, 15, n).astype(str), 3),
            "RW": np.char.zfill(rng.integers(1, 9, n).astype(str), 3),
            "Alamat": addr_child[inv],
            "Usia Saat Ukur": [f"{a} Tahun - {b} Bulan - {c} Hari" for a, b, c in zip(yrs, mons, days, strict=True)],
            "Tanggal Pengukuran": md.dt.strftime("%Y-%m-%d").to_numpy(),
            "Bulan Pengukuran": md.dt.month.astype(str).to_numpy(),
            "Status Bulan": "",
            "status tahun": md.dt.year.astype(str).to_numpy(),
            "Berat": dec(g["weight_kg"].to_numpy()),
            "Tinggi": dec(g["height_cm"].to_numpy()),
            "Cara Ukur": np.where(g["position"] == "L", "Terlentang", "Berdiri"),
            "LiLA": dec(rng.normal(14.5, 1.2, n)),
            "BB/U": z["class_waz"].astype(str).to_numpy(),
            "ZS BB/U": dec(z["waz"].to_numpy(), 2),
            "TB/U": z["class_haz"].astype(str).to_numpy(),
            "ZS TB/U": dec(z["haz"].to_numpy(), 2),
            "BB/TB": z["class_whz"].astype(str).to_numpy(),
            "ZS BB/TB": dec(z["whz"].to_numpy(), 2),
            "Naik Berat Badan": rng.choice(["Ya", "Tidak", "-"], n),
            "PMT Diterima (kg)": "0",
            "Jml Vit A": rng.integers(0, 3, n).astype(str),
            "KPSP": "",
            "KIA": rng.choice(["Ya", "Tidak"], n),
            "Detail Status": "",
            "status desa": "",
            SAMPLE_MARKER_COLUMN: SAMPLE_MARKER,
        },
        columns=EXPORT_COLUMNS,
    )
    if messy and n >= 50:
        k = max(1, n // 200)
        pick = lambda: rng.choice(n, k, replace=False)  # noqa: E731
        # implausible but typed-in values (kept, flagged): very short length, very heavy
        i = pick()
        out.loc[i, "Tinggi"] = dec(g["height_cm"].to_numpy()[i] * 0.75)
        # alias spellings and noise in names
        i = pick()
        out.loc[i, "Desa/Kel"] = "  " + out.loc[i, "Desa/Kel"].str.title() + " "
        example = _alias_example(wil)
        if example is not None:
            alias_rows = np.flatnonzero(g["kelurahan_name"].to_numpy() == example[0])[:k]
            out.loc[alias_rows, "Desa/Kel"] = example[1]
        # other date formats
        i = pick()
        out.loc[i, "Tanggal Pengukuran"] = md.iloc[i].dt.strftime("%d/%m/%Y").to_numpy()
        i = pick()
        months_id = np.array(
            [
                "Januari",
                "Februari",
                "Maret",
                "April",
                "Mei",
                "Juni",
                "Juli",
                "Agustus",
                "September",
                "Oktober",
                "November",
                "Desember",
            ]
        )
        births = pd.to_datetime(g["birth"].iloc[i])
        out.loc[i, "Tgl Lahir"] = [f"{d.day} {months_id[d.month - 1]} {d.year}" for d in births]
        # missing NIK, export z-scores off
        out.loc[pick(), "NIK"] = ""
        i = pick()
        out.loc[i, "ZS TB/U"] = "0,00"
        # a few rejected rows: unknown kelurahan, duplicated rows
        i = rng.choice(n, max(1, k // 4), replace=False)
        out.loc[i, "Desa/Kel"] = "KELURAHAN ANTAH BERANTAH"
        dup = out.iloc[rng.choice(n, max(1, k // 4), replace=False)]
        out = pd.concat([out, dup], ignore_index=True)
    return out


def write_csv(export: pd.DataFrame, path: Path) -> None:
    """Write like e-PPGBM does: ``;`` separators, comma decimals, UTF-8."""
    export.to_csv(path, sep=";", index=False, encoding="utf-8")


def write_xlsx(export: pd.DataFrame, path: Path) -> None:
    export.to_excel(path, index=False, sheet_name="Data Balita", engine="openpyxl")


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
