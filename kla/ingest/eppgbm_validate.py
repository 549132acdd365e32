"""The checks on each e-PPGBM row, and the z-scores of the rows that pass.

Input is the typed frame of :func:`kla.ingest.eppgbm_typed.typed_frame`. :func:`private_by_content`
empties Puskesmas/Posyandu cells that hold a NIK or a person's name, whatever the headers say;
:func:`validate_rows` rejects rows (one problem per row, the first found: sex code, dates, age,
weight and height out of a plausible range, unknown area, duplicate) and computes WHO z-scores
and Permenkes categories (:mod:`kla.core.anthro`) for the others.

Privacy: no message contains an identifying value, only the row and the column. Cell text is
echoed only when it has the short shape the column expects (a sex code of at most 3 letters or
digits, a number, a date); area names only when close to a known one
(:func:`kla.ingest.filecheck.area_text`), and only from rows whose field count matches the
header, so a ``;`` inside an unquoted name cannot shift a person's name into a message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from kla.core import anthro, fmt
from kla.core.errors import Problem, ValidationError
from kla.core.wilayah import WilayahMatcher
from kla.ingest import filecheck
from kla.ingest.eppgbm_columns import MAX_BAD_SHARE, rows_text

#: Plausible raw ranges; outside them the row is rejected as a typing error.
WEIGHT_RANGE = (0.5, 60.0)  # kg
HEIGHT_RANGE = (38.0, 130.0)  # cm
ZSCORE_DISAGREE = 0.1
#: A puskesmas/posyandu text seen on at least this many rows is a facility, not one child
#: (a child is measured at most monthly).
FACILITY_REPEAT_OK = 25


@dataclass
class ParsedExport:
    """Accepted rows (no identifiers) plus what was wrong with the rest."""

    frame: pd.DataFrame
    problems: list[Problem]
    stats: dict = field(default_factory=dict)


def private_by_content(
    df: pd.DataFrame, name: str, headers: list[str], found: dict[str, int], matcher: WilayahMatcher
) -> list[Problem]:
    """Privacy by content, whatever the headers say, for the text columns that are stored and
    shown (Puskesmas, Posyandu).

    A cell holding a long number (a NIK, KK or phone number) or text that does not read like a
    facility (:func:`kla.ingest.filecheck.facility_like`, unless the same text is on at least
    :data:`FACILITY_REPEAT_OK` rows, which one child's name is not) is set to empty in ``df``, so it
    is never stored, shown or exported; the rows are named in a file-level note, never the text.
    When more than half of a column's filled cells are such values, and they are many different
    ones (a person column: almost every row differs) or NIK-like, the file is refused naming the
    column: its header is probably swapped with NIK or Nama. Area columns need no rule here: a
    kecamatan or kelurahan is stored as the code of a known area or the row is rejected, and
    unmatched names are echoed only when close to a known one (:func:`kla.ingest.filecheck.area_echo`).
    """
    words = filecheck.name_words([*matcher.names.values(), *filecheck.known_puskesmas()])
    notes: list[Problem] = []
    for col in ("puskesmas", "posyandu"):
        if col not in found or col not in df.columns:
            continue
        label = fmt.plain(headers[found[col]], 40) or col
        values = df[col]
        filled = values.notna()
        n_filled = int(filled.sum())
        if not n_filled:
            continue
        counts = values[filled].value_counts()
        nik = {v for v in counts.index if filecheck.long_number(v)}
        person = {
            v
            for v, k in counts.items()
            if v not in nik and k < FACILITY_REPEAT_OK and not filecheck.facility_like(v, words)
        }
        bad = values.isin(nik | person).to_numpy(dtype=bool)
        n_bad, n_nik = int(bad.sum()), int(values.isin(nik).sum())
        if n_bad * 2 > n_filled and (len(person) + len(nik) >= 5 or n_nik * 2 > n_filled):
            what = "angka panjang seperti NIK" if n_nik * 2 > n_bad else "teks yang tampak seperti nama orang"
            raise ValidationError(
                f"Berkas {name}: kolom '{label}' sebagian besar berisi {what} ({fmt.integer(n_bad)} dari "
                f"{fmt.integer(n_filled)} baris terisi), bukan nama {col}. Mungkin judul kolom tertukar "
                "(mis. dengan NIK atau Nama). Isinya tidak ditampilkan dan tidak disimpan; periksa judul kolom "
                "lalu impor ulang. Tidak ada yang diubah.",
                [Problem(name, 1, label, f"isi kolom tampak seperti {'NIK' if 'NIK' in what else 'nama orang'}")],
            )
        if n_bad:
            rows = df["row_no"].to_numpy()[bad]
            notes.append(
                Problem(
                    name,
                    None,
                    label,
                    f"{fmt.integer(n_bad)} sel (mis. baris {rows_text(rows)}) berisi angka seperti NIK atau teks yang "
                    f"tidak tampak seperti nama {col}; sel itu dikosongkan, tidak disimpan dan tidak ditampilkan "
                    "(barisnya tetap diimpor)",
                )
            )
            df.loc[bad, col] = None
    return notes


def _id(x: float) -> str:
    """Number as Indonesians write it: decimal comma; an absurd one (``1e308``) in short form."""
    if np.isfinite(x) and abs(x) >= 1e9:
        return f"{x:.3g}".replace(".", ",")
    return fmt.number(x)


HIDDEN = "(tidak ditampilkan)"


_SHORT_CODE = re.compile(r"[A-Za-z0-9.]{1,3}")


def _sex_message(value: object) -> str:
    """Echo the JK cell only when it is shaped like a code (≤ 3 letters/digits): a longer text may
    be part of a name shifted into the column."""
    text = "" if value is None or pd.isna(value) else str(value).strip()
    if not text:
        return "kode jenis kelamin kosong (pakai L atau P)"
    if _SHORT_CODE.fullmatch(text):
        return f"kode jenis kelamin '{text}' tidak dikenal (pakai L atau P)"
    return "kode jenis kelamin: nilai tidak dikenal (pakai L atau P; isinya tidak ditampilkan)"


def validate_rows(
    df: pd.DataFrame,
    name: str,
    matcher: WilayahMatcher,
    today: dt.date,
    pre_problems: list[Problem] | None = None,
) -> ParsedExport:
    """Row checks on the typed frame (vectorised); one problem per rejected row, the first found.

    ``pre_problems`` are rows rejected before parsing (field count not matching the header):
    they count as rejected rows of the file.
    """
    n = len(df)
    row_no = df["row_no"].to_numpy()
    bad = np.zeros(n, dtype=bool)
    problems: list[Problem] = list(pre_problems or [])

    def report(mask: np.ndarray, column: str, message: Callable[[int], str] | str) -> None:
        nonlocal bad
        mask = np.asarray(mask, dtype=bool) & ~bad
        for i in np.flatnonzero(mask):
            problems.append(Problem(name, int(row_no[i]), column, message(i) if callable(message) else message))
        bad |= mask

    sex = df["sex"].to_numpy()
    jk = df["jk"]
    report(sex == 0, "JK", lambda i: _sex_message(jk.iloc[i]))

    mdate = df["measure_date"]
    report(mdate.isna().to_numpy(), "Tanggal Pengukuran", "tanggal pengukuran kosong atau tidak terbaca")
    out_of_range = ((mdate < pd.Timestamp("2000-01-01")) | (mdate > pd.Timestamp(today))).to_numpy(dtype=bool)
    report(
        out_of_range,
        "Tanggal Pengukuran",
        lambda i: f"tanggal pengukuran {mdate.iloc[i].date()} di luar rentang 2000 s.d. hari ini",
    )
    has_birth = df["has_birth"].to_numpy(dtype=bool)
    report(has_birth & ~df["birth_ok"].to_numpy(dtype=bool), "Tgl Lahir", "tanggal lahir tidak terbaca")
    age = df["age_days"].to_numpy(dtype=float, na_value=np.nan)
    report(np.isnan(age), "Tgl Lahir", "tanggal lahir dan usia saat ukur kosong")
    report(age < 0, "Tgl Lahir", "tanggal lahir sesudah tanggal pengukuran")
    report(
        age > anthro.MAX_AGE_DAYS,
        "Tgl Lahir",
        lambda i: f"usia {age[i] / anthro.DAYS_PER_MONTH:.0f} bulan: lebih dari 60 bulan (bukan balita)",
    )

    w = df["weight_kg"].to_numpy(dtype=float, na_value=np.nan)
    h = df["height_cm"].to_numpy(dtype=float, na_value=np.nan)
    report(np.isnan(w), "Berat", "berat kosong atau bukan angka")
    report(
        (w <= WEIGHT_RANGE[0]) | (w > WEIGHT_RANGE[1]),
        "Berat",
        lambda i: f"berat {_id(w[i])} kg di luar rentang wajar {_id(WEIGHT_RANGE[0])}–{_id(WEIGHT_RANGE[1])} kg",
    )
    report(np.isnan(h), "Tinggi", "tinggi/panjang kosong atau bukan angka")
    report(
        (h < HEIGHT_RANGE[0]) | (h > HEIGHT_RANGE[1]),
        "Tinggi",
        lambda i: f"tinggi {_id(h[i])} cm di luar rentang wajar {_id(HEIGHT_RANGE[0])}–{_id(HEIGHT_RANGE[1])} cm",
    )

    kec_code = df["kec_code"]
    kel_code = df["kel_code"]
    unknown_kec = kec_code.isna().to_numpy()
    unknown_kel = ~unknown_kec & kel_code.isna().to_numpy()
    miss = unknown_kec | unknown_kel
    known = list(matcher.names.values())
    shown = {v: filecheck.area_echo(v, known) or HIDDEN for v in {*df["kec"][miss], *df["kel"][miss]}}
    unmatched = (
        pd.DataFrame(
            {"kecamatan": df["kec"][miss].map(shown), "kelurahan": df["kel"][miss].map(shown), "row": row_no[miss]}
        )
        .groupby(["kecamatan", "kelurahan"], sort=False)["row"]
        .agg(rows="count", first_rows=lambda r: [int(x) for x in r.head(5)])
        .reset_index()
        .sort_values("rows", ascending=False, kind="stable")
    )
    report(unknown_kec, "Kec", lambda i: f"kecamatan {filecheck.area_text(df['kec'].iloc[i], known)} tidak dikenal")
    report(
        unknown_kel,
        "Desa/Kel",
        lambda i: (
            f"kelurahan {filecheck.area_text(df['kel'].iloc[i], known)} tidak ada di Kecamatan "
            f"{matcher.names.get(kec_code.iloc[i], kec_code.iloc[i])}"
        ),
    )

    # duplicates among the rows still valid: a row rejected for a bad value keeps its own problem
    # and does not make the corrected row for the same child and date a duplicate
    group = df["dup_group"].to_numpy(dtype=np.int64)
    first = np.full(int(group.max()) + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group[~bad], row_no[~bad].astype(np.int64))
    first = first[group]
    rejected = bad.copy()
    report(first < row_no, "NIK", lambda i: f"duplikat dari baris {int(first[i])} (anak dan tanggal ukur sama)")
    # each rejected row whose child and date has an accepted row names it, so the report shows both
    kept = np.flatnonzero(rejected & (first != np.iinfo(np.int64).max))
    if kept.size:
        accepted = {int(row_no[i]): int(first[i]) for i in kept}
        problems[:] = [
            replace(p, message=f"{p.message} (baris {accepted[p.row]}, anak dan tanggal ukur yang sama, diterima)")
            if p.row in accepted
            else p
            for p in problems
        ]

    problems.sort(key=lambda p: p.row or 0)
    n_pre = len(pre_problems or [])
    n_bad = int(bad.sum()) + n_pre
    n_all = n + n_pre
    nik_state = df["nik_state"].to_numpy()
    stats = {
        "rows_rejected": n_bad,
        "rows_accepted": n_all - n_bad,
        "nik_missing": int((nik_state == 0).sum()),
        "nik_invalid": int((nik_state == 2).sum()),
        "unmatched_areas": unmatched.to_dict("records"),
    }
    if n_all and n_bad / n_all > MAX_BAD_SHARE or n_bad == n_all:
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(n_bad)} dari {fmt.integer(n_all)} baris "
            f"({n_bad / max(n_all, 1):.0%}) ditolak, lebih dari batas "
            f"{MAX_BAD_SHARE:.0%}. Perbaiki berkasnya lalu impor ulang; tidak ada yang diubah.",
            problems,
        )

    ok = ~bad
    g = df.loc[ok].reset_index(drop=True)
    position = g["position"].fillna("").to_numpy(dtype=object)
    z = anthro.zscores(sex[ok], age[ok], w[ok], h[ok], position)
    md = g["measure_date"]
    out = pd.DataFrame(
        {
            "row_no": g["row_no"].astype("int64"),
            "child_key": g["child_key"],
            "sex": pd.array(np.where(sex[ok] == 1, "L", "P"), dtype="str"),
            "measure_date": md.dt.normalize(),
            "period": md.dt.to_period("M").dt.start_time,
            "age_days": np.floor(age[ok] + 0.5).astype("int64"),
            "weight_kg": w[ok],
            "height_cm": h[ok],
            "position": g["position"],
            "height_adj_cm": z["height_adj_cm"],
            "muac_cm": g["muac_cm"],
            "kecamatan_code": g["kec_code"],
            "kelurahan_code": g["kel_code"],
            "puskesmas": g["puskesmas"],
            "posyandu": g["posyandu"],
        }
    )
    for k in ("haz", "waz", "whz", "baz"):
        out[k] = z[k]
    for k in ("haz", "waz", "whz", "baz"):
        out[f"flag_{k}"] = z[f"flag_{k}"]
    for k in ("haz", "waz", "whz"):
        out[f"class_{k}"] = z[f"class_{k}"].astype("str")

    disagree = {}
    for k in ("haz", "waz", "whz"):
        exp = g[f"export_{k}"].to_numpy(dtype=float, na_value=np.nan)
        mine = z[k].to_numpy()
        both = np.isfinite(exp) & np.isfinite(mine)
        diff = np.where(both, np.abs(exp - mine), np.nan)
        disagree[k] = {
            "compared": int(both.sum()),
            "over_0_1": int((diff > ZSCORE_DISAGREE).sum()),
            "max_abs_diff": float(np.nanmax(diff)) if both.any() else None,
        }
    stats["export_zscore_disagreement"] = disagree
    stats["implausible"] = {k: int(z[f"flag_{k}"].sum()) for k in ("haz", "waz", "whz")}
    stats["position_unknown"] = int((position == "").sum())
    stats["periods"] = sorted(pd.DatetimeIndex(out["period"].unique()).strftime("%Y-%m"))
    return ParsedExport(out, problems, stats)
