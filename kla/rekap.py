"""Monthly recap sheets (rekap) from puskesmas or kelurahan: counts, not children.

Expected columns (names matched case- and spacing-insensitively; CSV with ``;`` or ``,``, or an
XLSX with one sheet): ``Periode`` (``2024-06``, ``06/2024``, ``Juni 2024``) or ``Bulan`` +
``Tahun``; ``Kecamatan``; ``Kelurahan`` (or ``Desa/Kel``) for a kelurahan-level sheet, or
``Puskesmas`` for a puskesmas-level one; ``Sasaran Balita``; ``Balita Diukur``; ``Pendek``;
``Sangat Pendek``; ``Gizi Kurang``; ``Gizi Buruk``; ``BB Kurang``; ``BB Sangat Kurang``.

Checks per row: counts are whole and non-negative; pendek + sangat pendek, gizi kurang + gizi
buruk and BB kurang + BB sangat kurang each do not exceed balita diukur; diukur does not exceed
sasaran by more than :data:`SASARAN_TOLERANCE`; the period is a real month between 2000 and
today; the area is known; an area appears once per month. Rows failing a check are reported
and skipped; if more than :data:`MAX_BAD_SHARE` of the rows fail, the whole file is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kla import tabular
from kla.eppgbm import _MONTHS, puskesmas_key
from kla.errors import Problem, ValidationError
from kla.wilayah import WilayahMatcher

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


@dataclass
class ParsedRekap:
    frame: pd.DataFrame
    problems: list[Problem]
    stats: dict = field(default_factory=dict)


def check_file(path: Path) -> None:
    if not Path(path).exists():
        raise ValidationError(f"Berkas tidak ditemukan: {Path(path).name}")
    if Path(path).stat().st_size > MAX_BYTES:
        raise ValidationError(
            f"Berkas {Path(path).name} terlalu besar untuk sebuah rekap (batas {MAX_BYTES / 1e6:.0f} MB); "
            "tidak ada yang diubah."
        )


def _find(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    for a in aliases:
        if a in columns:
            return a
    return None


def parse_period(text: str) -> dt.date | None:
    """'2024-06', '06/2024', '6-2024', 'Juni 2024', 'Jun 2024' -> date(2024, 6, 1); else None."""
    t = str(text or "").strip().lower()
    for name, num in _MONTHS:
        t = re.sub(rf"\b{name}\b", num, t)
    m = re.fullmatch(r"(\d{4})[-/ .](\d{1,2})(?:[-/ .]\d{1,2})?", t) or None
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
    else:
        m = re.fullmatch(r"(\d{1,2})[-/ .](\d{4})", t)
        if not m:
            return None
        mo, y = int(m.group(1)), int(m.group(2))
    if not (1 <= mo <= 12 and 2000 <= y <= dt.date.today().year):
        return None
    d = dt.date(y, mo, 1)
    return d if d <= dt.date.today() else None


def parse_rekap(path: Path, *, matcher: WilayahMatcher) -> ParsedRekap:
    path = Path(path)
    name = path.name
    raw = tabular.read_table(path, expected=_EXPECTED, max_bytes=MAX_BYTES)
    cols = list(raw.columns)
    found = {k: _find(cols, v) for k, v in {**COUNT_COLUMNS, **OTHER_COLUMNS}.items()}
    missing = [LABEL[k] for k in ("diukur", "pendek", "sangat_pendek", "kecamatan") if not found[k]]
    if not found["periode"] and not (found["bulan"] and found["tahun"]):
        missing.append("Periode (atau Bulan + Tahun)")
    if not found["kelurahan"] and not found["puskesmas"]:
        missing.append("Kelurahan atau Puskesmas")
    if missing:
        raise ValidationError(
            f"Berkas {name}: kolom wajib tidak ditemukan: {', '.join(missing)}; tidak ada yang diubah.",
            [Problem(name, 1, m, "kolom wajib tidak ada") for m in missing],
        )
    if raw.empty:
        raise ValidationError(f"Berkas {name} tidak berisi baris data; tidak ada yang diubah.")
    level = "kelurahan" if found["kelurahan"] else "puskesmas"
    n = len(raw)
    row_no = np.arange(2, n + 2)
    problems: list[Problem] = []
    bad = np.zeros(n, dtype=bool)

    def report(i: int, column: str, message: str) -> None:
        if not bad[i]:
            problems.append(Problem(name, int(row_no[i]), column, message))
            bad[i] = True

    periods: list[dt.date | None] = []
    for i in range(n):
        if found["periode"]:
            text = raw.at[i, found["periode"]]
        else:
            text = f"{raw.at[i, found['bulan']]} {raw.at[i, found['tahun']]}"
        p = parse_period(text)
        periods.append(p)
        if p is None:
            report(i, "Periode", f"periode '{str(text)[:20]}' bukan bulan yang nyata (contoh: 2024-06)")

    counts: dict[str, np.ndarray] = {}
    for k in COUNT_COLUMNS:
        col = found[k]
        vals = np.full(n, np.nan)
        if col:
            for i, text in enumerate(raw[col].tolist()):
                t = str(text).strip()
                if t == "":
                    if k == "diukur":
                        report(i, LABEL[k], "jumlah balita diukur kosong")
                    continue
                thousands = re.fullmatch(r"\d{1,3}(\.\d{3})+", t)  # "1.234" is one thousand two hundred…
                v = tabular.parse_number(t.replace(".", "") if thousands else t)
                if v is None or v < 0 or v != int(v):
                    report(i, LABEL[k], f"'{t[:15]}' bukan bilangan bulat tidak negatif")
                    continue
                vals[i] = v
        counts[k] = vals

    d = counts["diukur"]
    for a, b, label in (
        ("pendek", "sangat_pendek", "pendek + sangat pendek"),
        ("gizi_kurang", "gizi_buruk", "gizi kurang + gizi buruk"),
        ("bb_kurang", "bb_sangat_kurang", "BB kurang + BB sangat kurang"),
    ):
        tot = np.nan_to_num(counts[a]) + np.nan_to_num(counts[b])
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
    for i in range(n):
        kc = matcher.match_kecamatan(raw.at[i, found["kecamatan"]])
        kec_code.append(kc)
        if kc is None:
            report(i, "Kecamatan", f"kecamatan '{str(raw.at[i, found['kecamatan']])[:40]}' tidak dikenal")
        if level == "kelurahan":
            kl = matcher.match_kelurahan(raw.at[i, found["kelurahan"]], kc) if kc else None
            kel_code.append(kl)
            pkm.append(raw.at[i, found["puskesmas"]] or None if found["puskesmas"] else None)
            if kc and kl is None:
                report(
                    i,
                    "Kelurahan",
                    f"kelurahan '{str(raw.at[i, found['kelurahan']])[:40]}' tidak ada di "
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
    stats = {
        "rows_total": n,
        "rows_rejected": n_bad,
        "rows_accepted": int(ok.sum()),
        "level": level,
        "periods": sorted({str(p)[:7] for p in frame["period"]}),
    }
    return ParsedRekap(frame, problems, stats)


def base_from_rekap(rows: pd.DataFrame, matcher: WilayahMatcher) -> pd.DataFrame:
    """Recap rows as ``nutrition_base`` rows. Recap sheets carry no implausible counts (0)."""
    z = lambda c: rows[c].fillna(0).astype("int64")  # noqa: E731
    kel = rows["kelurahan_code"].notna()
    base = pd.DataFrame(
        {
            "level": np.where(kel, "kelurahan", "puskesmas"),
            "area_key": np.where(
                kel, rows["kelurahan_code"], [puskesmas_key(p) if p else None for p in rows["puskesmas"]]
            ),
            "area_name": np.where(
                kel,
                [matcher.names.get(c, c) for c in rows["kelurahan_code"]],
                ["Puskesmas " + str(p) for p in rows["puskesmas"]],
            ),
            "kecamatan_code": rows["kecamatan_code"],
            "period": rows["period"],
            "sasaran": rows["sasaran"],
            "measured": rows["diukur"].astype("int64"),
            "n_haz": rows["diukur"].astype("int64"),
            "stunted": z("pendek") + z("sangat_pendek"),
            "severe_stunted": z("sangat_pendek"),
            "n_whz": rows["diukur"].astype("int64"),
            "wasted": z("gizi_kurang") + z("gizi_buruk"),
            "severe_wasted": z("gizi_buruk"),
            "n_waz": rows["diukur"].astype("int64"),
            "underweight": z("bb_kurang") + z("bb_sangat_kurang"),
            "implausible_haz": 0,
            "implausible_whz": 0,
            "implausible_waz": 0,
        }
    )
    return base
