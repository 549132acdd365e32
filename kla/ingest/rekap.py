"""Monthly recap sheets (rekap) from puskesmas or kelurahan: counts, not children.

Columns are matched by name (case- and spacing-insensitive; CSV with ``;`` or ``,``, or an
XLSX with one sheet).

Required (a file without one of them is refused, naming the column; nothing is changed):

* ``Periode`` (or ``Bulan`` + ``Tahun``), ``Kecamatan``, and ``Kelurahan`` (or ``Desa/Kel``)
  for a kelurahan-level sheet or ``Puskesmas`` for a puskesmas-level one;
* ``Balita Diukur`` (the denominator of every rate);
* ``Pendek`` and ``Sangat Pendek``: stunting is the measure every recap sheet reports and the
  one the data-quality flags (small n, conflicting sources) are computed on.

Optional, by measure group (a group's two columns come together; one without the other is
refused, because a half group cannot give a prevalence and usually means a misspelt header):

* ``Gizi Kurang`` + ``Gizi Buruk`` (wasting, severe wasting);
* ``BB Kurang`` + ``BB Sangat Kurang`` (underweight);
* ``Sasaran Balita`` (coverage).

**Absent is not zero.** An optional group that is absent, or a blank cell in a present count
column, means *not reported*: the ``rekap`` table keeps NULL, and in ``nutrition_base`` that
row's denominator for the measure (``n_haz``, ``n_whz`` or ``n_waz``) is 0 with a 0 numerator, so
the rate is empty (NaN), never 0%, and kecamatan and city totals add only the areas that did
report the measure. A group counts for a row only when both of its cells are filled. An absent
column gives one file-level note (row ``None``); a blank cell gives a row-level note (row,
column) and the row is still imported. A blank ``Balita Diukur`` rejects the row.

**Periode** (read by :func:`kla.core.periods.read_period`): ``2024-06``, ``2024/6``, ``06/2024``,
``Juni 2024``, ``Jun 2024``, ``Jun-24`` (Excel's ``mmm-yy`` as saved to CSV; a two-digit year needs
a month name), an Excel date cell (read as ``2024-06-01 00:00:00``) and full dates ``2024-06-15`` /
``15/06/2024`` (day first, as in Indonesia). A full date stands for its month; when its day is not
the 1st the row is imported for that month with a note, so a report date typed in the period
column can be spotted.

Checks per row: counts are whole and non-negative; pendek + sangat pendek, gizi kurang + gizi
buruk and BB kurang + BB sangat kurang each do not exceed balita diukur; diukur does not exceed
sasaran by more than :data:`SASARAN_TOLERANCE`; the period is a real month between 2000 and
today; the area is known; an area appears once per month. Rows failing a check are reported
(row and column) and skipped; if more than :data:`MAX_BAD_SHARE` of the rows fail, the whole
file is refused. Notes never reject a row and are dropped for rows that are rejected anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kla.core import fmt
from kla.core.errors import Problem, ValidationError
from kla.core.fmt import BULAN
from kla.core.periods import read_period
from kla.core.puskesmas import puskesmas_key, puskesmas_label
from kla.core.wilayah import WilayahMatcher
from kla.ingest import filecheck, tabular

SASARAN_TOLERANCE = 0.10  # diukur may exceed sasaran by at most 10% (moves, late registration)
MAX_BAD_SHARE = 0.10
MAX_BYTES = 50 * 1024 * 1024

COUNT_COLUMNS = {
    "sasaran": ("sasaran_balita", "sasaran", "jumlah_sasaran", "jumlah_balita"),
    "diukur": ("balita_diukur", "diukur", "jumlah_diukur", "balita_ditimbang_diukur", "ditimbang"),
    "pendek": ("pendek",),
    "sangat_pendek": ("sangat_pendek",),
    "gizi_kurang": ("gizi_kurang",),
    "gizi_buruk": ("gizi_buruk",),
    "bb_kurang": ("bb_kurang", "berat_badan_kurang"),
    "bb_sangat_kurang": ("bb_sangat_kurang", "berat_badan_sangat_kurang"),
}
OTHER_COLUMNS = {
    "periode": ("periode", "bulan_tahun", "period"),
    "bulan": ("bulan",),
    "tahun": ("tahun",),
    "kecamatan": ("kecamatan", "kec"),
    "kelurahan": ("kelurahan", "desa_kel", "desa_kelurahan", "kel", "desa"),
    "puskesmas": ("puskesmas", "pukesmas", "pkm"),
}
LABEL = {
    "sasaran": "Sasaran Balita",
    "diukur": "Balita Diukur",
    "pendek": "Pendek",
    "sangat_pendek": "Sangat Pendek",
    "gizi_kurang": "Gizi Kurang",
    "gizi_buruk": "Gizi Buruk",
    "bb_kurang": "BB Kurang",
    "bb_sangat_kurang": "BB Sangat Kurang",
    "periode": "Periode",
    "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan",
    "puskesmas": "Puskesmas",
}
_EXPECTED = {a for v in (*COUNT_COLUMNS.values(), *OTHER_COLUMNS.values()) for a in v}

#: measure group -> (its two count columns, what the group gives, in Indonesian)
GROUPS: dict[str, tuple[tuple[str, str], str]] = {
    "stunting": (("pendek", "sangat_pendek"), "stunting (pendek + sangat pendek)"),
    "wasting": (("gizi_kurang", "gizi_buruk"), "wasting (gizi kurang + gizi buruk)"),
    "underweight": (("bb_kurang", "bb_sangat_kurang"), "BB kurang (BB kurang + BB sangat kurang)"),
}
REQUIRED_COUNTS = ("diukur", "pendek", "sangat_pendek")
_GROUP_OF = {c: g for g, (cols, _label) in GROUPS.items() for c in cols}


@dataclass
class ParsedRekap:
    frame: pd.DataFrame
    problems: list[Problem]
    stats: dict = field(default_factory=dict)


def check_file(path: Path) -> None:
    """File-level checks before anything is read or hashed: exists, is a file, readable, size."""
    path = Path(path)
    size = tabular.readable_file(path, expect="berkas rekap .csv atau .xlsx")
    if size > MAX_BYTES:
        raise ValidationError(
            f"Berkas {path.name} terlalu besar untuk sebuah rekap (batas {MAX_BYTES / 1e6:.0f} MB); "
            "tidak ada yang diubah."
        )


def _find(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    for a in aliases:
        if a in columns:
            return a
    return None


MAX_COUNT = 10_000_000  # children in one area and month: far above any real recap
#: what a period may look like to be quoted: digits with separators, or a month word and a year
_PERIOD_SHAPE = re.compile(
    r"\d{1,4}([ /.:-]\d{1,4}){0,3}|[A-Za-z]{3,9}[ /.-]?\d{2,4}|\d{1,2}[ /.-][A-Za-z]{3,9}[ /.-]\d{2,4}"
)
_NUMBER_SHAPE = re.compile(r"[0-9.,+ eE-]{1,15}|-?inf(inity)?|nan", re.IGNORECASE)


def _shown(value: object, shape: re.Pattern) -> str:
    """A cell quoted in a message only when it has the shape the column expects (a period, a
    number); anything else may be a name from a shifted column and is not shown."""
    t = "" if value is None else str(value).strip()
    if not t:
        return "(kosong)"
    if shape.fullmatch(t) and not filecheck.long_number(t):
        return f"'{fmt.plain(t, 20)}'"
    return "(isinya tidak ditampilkan)"


def _check_puskesmas(values: list, name: str, known: list[str], report) -> None:
    """Privacy by content for the Puskesmas column, whatever its header: a NIK-like number or a
    text that does not read like a facility (:func:`kla.ingest.filecheck.facility_like`) rejects the row
    without showing it; when most rows fail, the file is refused naming the column."""
    words = filecheck.name_words([*known, *filecheck.known_puskesmas()])
    nik, person = [], []
    filled = 0
    for i, v in enumerate(values):
        t = "" if v is None else str(v).strip()
        if not t:
            continue
        filled += 1
        if filecheck.long_number(t):
            nik.append(i)
        elif not filecheck.facility_like(t, words):
            person.append(i)
    if filled and (len(nik) + len(person)) / filled > 0.5:
        what = "angka seperti NIK" if len(nik) >= len(person) else "teks yang tidak tampak seperti nama puskesmas"
        raise ValidationError(
            f"Berkas {name}: kolom 'Puskesmas' sebagian besar berisi {what} ({len(nik) + len(person)} dari "
            f"{filled} baris); mungkin judul kolom tertukar. Isinya tidak ditampilkan dan tidak disimpan. "
            "Periksa judul kolom; tidak ada yang diubah.",
            [Problem(name, None, "Puskesmas", f"kolom berisi {what}")],
        )
    for i in nik:
        report(i, "Puskesmas", "berisi angka panjang seperti NIK (isinya tidak ditampilkan)")
    for i in person:
        report(
            i,
            "Puskesmas",
            "tidak tampak seperti nama puskesmas; tulis 'Puskesmas X' atau 'PKM X' (isinya tidak ditampilkan)",
        )


def _label_date(d: dt.date) -> str:
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def parse_rekap(path: Path, *, matcher: WilayahMatcher) -> ParsedRekap:
    path = Path(path)
    check_file(path)
    name = fmt.plain(path.name, 80)
    raw = tabular.read_table(path, expected=_EXPECTED, max_bytes=MAX_BYTES, multiline_cells=False)
    cols = list(raw.columns)
    found = {k: _find(cols, v) for k, v in {**COUNT_COLUMNS, **OTHER_COLUMNS}.items()}
    missing = [LABEL[k] for k in (*REQUIRED_COUNTS, "kecamatan") if not found[k]]
    if not found["periode"] and not (found["bulan"] and found["tahun"]):
        missing.append("Periode (atau Bulan + Tahun)")
    if not found["kelurahan"] and not found["puskesmas"]:
        missing.append("Kelurahan atau Puskesmas")
    half = [
        f"{LABEL[b if found[a] else a]} (ada {LABEL[a if found[a] else b]}; keduanya perlu untuk {label})"
        for g, ((a, b), label) in GROUPS.items()
        if g != "stunting" and bool(found[a]) != bool(found[b])
    ]
    if missing or half:
        parts = []
        if missing:
            parts.append(f"kolom wajib tidak ditemukan: {', '.join(missing)}")
        if half:
            parts.append(f"kolom pasangan tidak ditemukan: {'; '.join(half)}")
        raise ValidationError(
            f"Berkas {name}: {'; '.join(parts)}; tidak ada yang diubah.",
            [Problem(name, 1, m, "kolom wajib tidak ada") for m in missing]
            + [Problem(name, 1, h.split(" (")[0], "kolom pasangan tidak ada") for h in half],
        )
    if raw.empty:
        raise ValidationError(f"Berkas {name} tidak berisi baris data; tidak ada yang diubah.")
    level = "kelurahan" if found["kelurahan"] else "puskesmas"
    n = len(raw)
    row_no = np.arange(2, n + 2)
    problems: list[Problem] = []
    notes: list[tuple[int, Problem]] = []  # (frame index, note): row-level, the row is still imported
    bad = np.zeros(n, dtype=bool)

    def report(i: int, column: str, message: str) -> None:
        if not bad[i]:
            problems.append(Problem(name, int(row_no[i]), column, message))
            bad[i] = True

    def note(i: int, column: str, message: str) -> None:
        notes.append((i, Problem(name, int(row_no[i]), column, message)))

    file_notes = [
        Problem(
            name,
            None,
            f"{LABEL[a]}, {LABEL[b]}",
            f"kolom tidak ada: {label} tidak dilaporkan di berkas ini (kosong, bukan 0)",
        )
        for g, ((a, b), label) in GROUPS.items()
        if g != "stunting" and not found[a]
    ]
    if not found["sasaran"]:
        file_notes.append(
            Problem(name, None, LABEL["sasaran"], "kolom tidak ada: cakupan (diukur / sasaran) tidak dihitung")
        )

    periods: list[dt.date | None] = []
    for i in range(n):
        if found["periode"]:
            text = raw.at[i, found["periode"]]
        else:
            bulan, tahun = (re.sub(r"\.0+$", "", str(raw.at[i, found[c]]).strip()) for c in ("bulan", "tahun"))
            text = f"{bulan} {tahun}"
        p, full = read_period(text)
        periods.append(p)
        if p is None:
            report(i, "Periode", f"periode {_shown(text, _PERIOD_SHAPE)} bukan bulan yang nyata (contoh: 2024-06)")
        elif full is not None and full.day != 1:
            note(
                i,
                "Periode",
                f"tanggal {_label_date(full)} dibaca sebagai periode {BULAN[p.month - 1]} {p.year}; "
                "baris tetap diimpor",
            )

    counts: dict[str, np.ndarray] = {}
    for k in COUNT_COLUMNS:
        col = found[k]
        vals = np.full(n, np.nan)
        if col:
            for i, text in enumerate(raw[col].tolist()):
                t = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text).strip()
                if t == "":
                    if k == "diukur":
                        report(i, LABEL[k], "jumlah balita diukur kosong")
                    elif k == "sasaran":
                        note(i, LABEL[k], "sel kosong: sasaran tidak dilaporkan, cakupan baris ini tidak dihitung")
                    else:
                        note(
                            i,
                            LABEL[k],
                            f"sel kosong dianggap tidak dilaporkan (bukan 0): {GROUPS[_GROUP_OF[k]][1]} "
                            "baris ini tidak dihitung; baris tetap diimpor",
                        )
                    continue
                thousands = re.fullmatch(r"\d{1,3}(\.\d{3})+", t)  # "1.234" is one thousand two hundred…
                v = tabular.parse_number(t.replace(".", "") if thousands else t)
                if v is None or not np.isfinite(v) or v < 0 or v != int(v):
                    report(i, LABEL[k], f"{_shown(t, _NUMBER_SHAPE)} bukan bilangan bulat tidak negatif")
                    continue
                if v > MAX_COUNT:
                    report(i, LABEL[k], f"{fmt.number(MAX_COUNT)}+ di luar rentang wajar sebuah rekap")
                    continue
                vals[i] = v
        counts[k] = vals

    d = counts["diukur"]
    for a, b, label in (
        ("pendek", "sangat_pendek", "pendek + sangat pendek"),
        ("gizi_kurang", "gizi_buruk", "gizi kurang + gizi buruk"),
        ("bb_kurang", "bb_sangat_kurang", "BB kurang + BB sangat kurang"),
    ):
        tot = np.nan_to_num(counts[a]) + np.nan_to_num(counts[b])  # a blank half: the other alone must fit
        for i in np.flatnonzero(tot > d):
            report(i, LABEL[a], f"{label} = {tot[i]:.0f} melebihi balita diukur ({d[i]:.0f})")
    s = counts["sasaran"]
    for i in np.flatnonzero(np.isfinite(s) & (d > s * (1 + SASARAN_TOLERANCE))):
        report(
            i,
            LABEL["diukur"],
            f"balita diukur {d[i]:.0f} melebihi sasaran {s[i]:.0f} lebih dari {SASARAN_TOLERANCE:.0%}",
        )

    kec_code: list[str | None] = []
    kel_code: list[str | None] = []
    pkm: list[str | None] = []
    known = list(matcher.names.values())
    if found["puskesmas"]:
        _check_puskesmas(raw[found["puskesmas"]].tolist(), name, known, report)
    for i in range(n):
        kc = matcher.match_kecamatan(raw.at[i, found["kecamatan"]])
        kec_code.append(kc)
        if kc is None:
            report(
                i, "Kecamatan", f"kecamatan {filecheck.area_text(raw.at[i, found['kecamatan']], known)} tidak dikenal"
            )
        if level == "kelurahan":
            kl = matcher.match_kelurahan(raw.at[i, found["kelurahan"]], kc) if kc else None
            kel_code.append(kl)
            pkm.append(raw.at[i, found["puskesmas"]] or None if found["puskesmas"] else None)
            if kc and kl is None:
                report(
                    i,
                    "Kelurahan",
                    f"kelurahan {filecheck.area_text(raw.at[i, found['kelurahan']], known)} tidak ada di "
                    f"Kecamatan {matcher.names.get(kc, kc)}",
                )
        else:
            kel_code.append(None)
            p = str(raw.at[i, found["puskesmas"]]).strip()
            pkm.append(p or None)
            if not p:
                report(i, "Puskesmas", "nama puskesmas kosong")

    area = [kel_code[i] if level == "kelurahan" else (puskesmas_key(pkm[i]) if pkm[i] else None) for i in range(n)]
    seen: dict[tuple, int] = {}
    for i in range(n):
        k = (area[i], periods[i])
        if None in k:
            continue
        if k in seen:
            report(i, "Periode", f"wilayah dan periode yang sama sudah ada di baris {seen[k]}")
        else:
            seen[k] = int(row_no[i])

    n_bad = int(bad.sum())
    if n_bad / n > MAX_BAD_SHARE or n_bad == n:
        raise ValidationError(
            f"Berkas {name}: {n_bad} dari {n} baris ({n_bad / n:.0%}) ditolak, lebih dari batas {MAX_BAD_SHARE:.0%}. "
            "Perbaiki lalu impor ulang; tidak ada yang diubah.",
            problems,
        )
    ok = ~bad
    frame = pd.DataFrame(
        {
            "row_no": row_no[ok],
            "period": [p for p, good in zip(periods, ok, strict=True) if good],
            "kecamatan_code": np.array(kec_code, dtype=object)[ok],
            "kelurahan_code": np.array(kel_code, dtype=object)[ok],
            "puskesmas": np.array(pkm, dtype=object)[ok],
            **{
                k: pd.array(np.where(np.isfinite(v[ok]), v[ok], np.nan), dtype="Float64").astype("Int64")
                for k, v in counts.items()
            },
        }
    )
    row_notes = [p for i, p in notes if ok[i]]  # a rejected row's notes would only be noise
    everything = file_notes + sorted(problems + row_notes, key=lambda p: p.row or 0)
    stats = {
        "rows_total": n,
        "rows_rejected": n_bad,
        "rows_accepted": int(ok.sum()),
        "rows_with_notes": len({p.row for p in row_notes}),
        "level": level,
        "periods": sorted({str(p)[:7] for p in frame["period"]}),
        "columns_absent": [LABEL[k] for k in COUNT_COLUMNS if not found[k]],
        # accepted rows for which each measure group is not reported (absent column or a blank cell)
        "not_reported": {g: int((frame[a].isna() | frame[b].isna()).sum()) for g, ((a, b), _label) in GROUPS.items()},
    }
    return ParsedRekap(frame, everything, stats)


def _group(rows: pd.DataFrame, group: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reported, first count, second count) of a measure group; counts are 0 where not reported."""
    a, b = GROUPS[group][0]
    va, vb = rows[a].astype("Float64"), rows[b].astype("Float64")
    reported = (va.notna() & vb.notna()).to_numpy(dtype=bool)
    return reported, va.fillna(0).to_numpy(dtype="int64"), vb.fillna(0).to_numpy(dtype="int64")


def base_from_rekap(rows: pd.DataFrame, matcher: WilayahMatcher) -> pd.DataFrame:
    """Recap rows as ``nutrition_base`` rows. Recap sheets carry no implausible counts (0).

    A measure group that a row does not report (absent column or blank cell) gets denominator
    0 and numerators 0 for that row: its rate is empty (Wilson gives NaN where n = 0; the SQL
    measures keep ``n > 0``), and sums over kelurahan count only the areas that reported it.
    """
    kel = rows["kelurahan_code"].notna()
    measured = rows["diukur"].to_numpy(dtype="int64")
    cols: dict[str, np.ndarray] = {}
    for group, den, first, second in (
        ("stunting", "n_haz", "stunted", "severe_stunted"),
        ("wasting", "n_whz", "wasted", "severe_wasted"),
        ("underweight", "n_waz", "underweight", None),
    ):
        reported, a, b = _group(rows, group)
        cols[den] = np.where(reported, measured, 0)
        cols[first] = np.where(reported, a + b, 0)
        if second:
            cols[second] = np.where(reported, b, 0)
    base = pd.DataFrame(
        {
            "level": np.where(kel, "kelurahan", "puskesmas"),
            "area_key": np.where(
                kel, rows["kelurahan_code"], [puskesmas_key(p) if p else None for p in rows["puskesmas"]]
            ),
            "area_name": np.where(
                kel,
                [matcher.names.get(c, c) for c in rows["kelurahan_code"]],
                [puskesmas_label(p) for p in rows["puskesmas"]],
            ),
            "kecamatan_code": rows["kecamatan_code"],
            "period": rows["period"],
            "sasaran": rows["sasaran"],
            "measured": measured,
            "n_haz": cols["n_haz"],
            "stunted": cols["stunted"],
            "severe_stunted": cols["severe_stunted"],
            "n_whz": cols["n_whz"],
            "wasted": cols["wasted"],
            "severe_wasted": cols["severe_wasted"],
            "n_waz": cols["n_waz"],
            "underweight": cols["underweight"],
            "implausible_haz": 0,
            "implausible_whz": 0,
            "implausible_waz": 0,
        }
    )
    return base
