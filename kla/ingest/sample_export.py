"""DATA CONTOH: synthetic measurements laid out as an e-PPGBM export (all text, comma decimals).

:func:`to_export` turns the output of :func:`kla.ingest.sample_nutrition.generate` into the
columns of a real export (:data:`EXPORT_COLUMNS`), with fake names and NIKs (random syllables;
NIK = the city's code digits + random digits) and, with ``messy=True``, what real exports contain
(implausible values, alias spellings and case/spacing noise in names, an unknown kelurahan, mixed
date formats, missing NIKs, duplicated rows, export z-scores that sometimes disagree). Every row
carries :data:`kla.ingest.eppgbm_columns.SAMPLE_MARKER` in a last column ``Keterangan``, so an
export that is later imported is recorded as DATA CONTOH, never as Dinkes data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kla.core import anthro, config, fmt
from kla.ingest.eppgbm_columns import SAMPLE_MARKER, SAMPLE_MARKER_COLUMN

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


def city_wilayah() -> pd.DataFrame:
    """The selected city's kecamatan and kelurahan (``code, level, name, parent_code``)."""
    city = config.load_city(check=False)  # the aggregate the generator writes may not exist yet
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
    wil = city_wilayah()
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
        births = pd.to_datetime(g["birth"].iloc[i])
        out.loc[i, "Tgl Lahir"] = [f"{d.day} {fmt.BULAN[d.month - 1]} {d.year}" for d in births]
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
