"""Reading e-PPGBM exports ("data balita hasil pengukuran") as they really come.

CSV with ``;`` separators and comma decimals, or XLSX with one sheet. Columns are found by
name (case, spacing, punctuation and known variants tolerated, including the misspelled
``Pukesmas``), never by position. See ``domain.md`` §6.2.

Privacy: ``NIK``, ``Nama``, ``Nama Ortu``, ``Alamat``, ``RT`` and ``RW`` are read only inside a
throw-away in-memory DuckDB engine. The NIK is turned into an HMAC there (kla/privacy.py); the
other identifying columns are never selected. No message, log line or returned frame contains
them: problems name the row and the column, never an identifying value.

The result of :func:`parse_export` is a frame of accepted rows (no identifiers) with WHO
z-scores and Permenkes categories, plus row-level problems and statistics. Nothing here writes
to the store; :mod:`kla.nutrition` does that inside :func:`kla.store.staged`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kla import anthro, privacy
from kla.db import connect_scratch
from kla.errors import Problem, ValidationError
from kla.wilayah import WilayahMatcher, normalise_name

Progress = Callable[[float, str], None]

#: Files above this size are refused before reading (``KLA_MAX_IMPORT_BYTES`` overrides).
MAX_FILE_BYTES = 1024**3
#: If more than this share of data rows is rejected, the whole file is refused.
MAX_BAD_SHARE = 0.10
#: Plausible raw ranges; outside them the row is rejected as a typing error.
WEIGHT_RANGE = (0.5, 60.0)  # kg
HEIGHT_RANGE = (38.0, 130.0)  # cm
ZSCORE_DISAGREE = 0.1

# canonical name -> accepted normalised header spellings (see _norm)
COLUMNS: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "nikanak", "nikbalita", "noinduk", "nomorindukkependudukan"),
    "nama": ("nama", "namaanak", "namabalita"),
    "nama_ortu": ("namaortu", "namaorangtua", "namaibu", "namaayah", "ortu"),
    "alamat": ("alamat",),
    "rt": ("rt",),
    "rw": ("rw",),
    "jk": ("jk", "jeniskelamin", "sex", "lp"),
    "tgl_lahir": ("tgllahir", "tanggallahir", "tgllhr", "dob"),
    "kec": ("kec", "kecamatan"),
    "puskesmas": ("pukesmas", "puskesmas", "pkm"),
    "kel": ("desakel", "desakelurahan", "kelurahan", "desa", "kel", "kelurahandesa"),
    "posyandu": ("posyandu",),
    "usia": ("usiasaatukur", "usia", "umur", "umursaatukur"),
    "tgl_ukur": ("tanggalpengukuran", "tglpengukuran", "tglukur", "tanggalukur"),
    "berat": ("berat", "bb", "beratbadan", "beratkg", "bbkg"),
    "tinggi": ("tinggi", "tb", "tinggibadan", "pbtb", "tinggicm", "tbcm", "panjangtinggi"),
    "cara_ukur": ("caraukur", "posisi", "posisiukur"),
    "lila": ("lila", "lingkarlenganatas"),
    "zs_bbu": ("zsbbu", "zscorebbu", "zbbu"),
    "zs_tbu": ("zstbu", "zscoretbu", "ztbu"),
    "zs_bbtb": ("zsbbtb", "zscorebbtb", "zbbtb"),
}
PII = ("nik", "nama", "nama_ortu", "alamat", "rt", "rw")
REQUIRED = ("jk", "tgl_ukur", "berat", "tinggi", "kec", "kel")
LABELS = {
    "jk": "JK",
    "tgl_lahir": "Tgl Lahir",
    "tgl_ukur": "Tanggal Pengukuran",
    "berat": "Berat",
    "tinggi": "Tinggi",
    "kec": "Kec",
    "kel": "Desa/Kel",
    "usia": "Usia Saat Ukur",
    "nik": "NIK",
    "cara_ukur": "Cara Ukur",
    "puskesmas": "Pukesmas",
}


def _norm(header: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").strip().lower())


_LOOKUP = {alias: canon for canon, aliases in COLUMNS.items() for alias in aliases}


def map_columns(headers: list[str]) -> dict[str, int]:
    """Canonical column name -> position, by name. The first matching header wins."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        canon = _LOOKUP.get(_norm(h))
        if canon and canon not in found:
            found[canon] = i
    return found


@dataclass
class ParsedExport:
    """Accepted rows (no identifiers) plus what was wrong with the rest."""

    frame: pd.DataFrame
    problems: list[Problem]
    stats: dict = field(default_factory=dict)


def max_file_bytes() -> int:
    env = os.environ.get("KLA_MAX_IMPORT_BYTES")
    return int(env) if env else MAX_FILE_BYTES


# ----------------------------------------------------------------------------- file checks
def _check_file(path: Path) -> None:
    name = path.name
    if not path.exists():
        raise ValidationError(f"Berkas tidak ditemukan: {name}")
    size = path.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise ValidationError(
            f"Berkas {name} terlalu besar ({_gb(size)}; batas {_gb(limit)}). "
            "Ekspor per bulan atau per puskesmas lalu impor satu per satu; tidak ada yang diubah."
        )
    if size == 0:
        raise ValidationError(f"Berkas {name} kosong (0 byte); tidak ada yang diubah.")
    if path.suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise ValidationError(
            f"Jenis berkas {path.suffix or '(tanpa ekstensi)'} tidak didukung; gunakan ekspor e-PPGBM .csv atau .xlsx."
        )


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB".replace(".", ",") if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def _check_utf8(path: Path) -> None:
    """Stream-decode the file; on the first invalid byte report its line (Windows-1252 exports)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            try:
                dec.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise ValidationError(
                    f"Berkas {path.name} bukan teks UTF-8 (byte tak dikenal di baris {bad_line}; "
                    "mungkin Windows-1252/ANSI). Simpan ulang sebagai 'CSV UTF-8' atau impor XLSX-nya; "
                    "tidak ada yang diubah.",
                    [Problem(path.name, bad_line, None, "pengodean bukan UTF-8")],
                ) from exc
            line += chunk.count(b"\n")
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"Berkas {path.name} terpotong di tengah karakter UTF-8; tidak ada yang diubah."
            ) from exc


def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16).decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not first.strip():
        raise ValidationError(f"Berkas {path.name} tidak punya baris judul kolom; tidak ada yang diubah.")
    if ";" not in first:
        guess = max((",", "\t", "|"), key=first.count)
        shown = {",": "koma (,)", "\t": "tab", "|": "garis tegak (|)"}[guess]
        raise ValidationError(
            f"Berkas {path.name}: pemisah kolom tampaknya {shown}, bukan titik koma (;) seperti ekspor "
            "e-PPGBM (yang juga memakai koma sebagai desimal). Ekspor ulang dari e-PPGBM, atau simpan "
            "dari Excel sebagai CSV dengan pemisah ';', atau impor XLSX-nya; tidak ada yang diubah.",
            [Problem(path.name, 1, None, "pemisah kolom bukan ';'")],
        )
    return [h.strip().strip('"') for h in first.split(";")]


def _require(path: Path, found: dict[str, int], headers: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in found]
    if "tgl_lahir" not in found and "usia" not in found:
        missing.append("tgl_lahir")
    if missing:
        names = ", ".join(LABELS.get(c, c) for c in missing)
        raise ValidationError(
            f"Berkas {path.name}: kolom wajib tidak ditemukan: {names}. "
            f"Kolom yang ada: {', '.join(h for h in headers if h)[:300]}. Tidak ada yang diubah.",
            [Problem(path.name, 1, LABELS.get(c, c), "kolom wajib tidak ada") for c in missing],
        )


# ----------------------------------------------------------------------------- SQL parsing
_MONTHS = [
    ("januari", "01"),
    ("februari", "02"),
    ("pebruari", "02"),
    ("maret", "03"),
    ("april", "04"),
    ("juni", "06"),
    ("juli", "07"),
    ("agustus", "08"),
    ("september", "09"),
    ("oktober", "10"),
    ("nopember", "11"),
    ("november", "11"),
    ("desember", "12"),
    ("january", "01"),
    ("february", "02"),
    ("march", "03"),
    ("june", "06"),
    ("july", "07"),
    ("august", "08"),
    ("october", "10"),
    ("december", "12"),
    ("mei", "05"),
    ("may", "05"),
    ("jan", "01"),
    ("feb", "02"),
    ("mar", "03"),
    ("apr", "04"),
    ("jun", "06"),
    ("jul", "07"),
    ("agu", "08"),
    ("agt", "08"),
    ("ags", "08"),
    ("aug", "08"),
    ("sep", "09"),
    ("okt", "10"),
    ("oct", "10"),
    ("nov", "11"),
    ("des", "12"),
    ("dec", "12"),
]


def _date_macro() -> str:
    expr = "lower(trim(x))"
    for name, num in _MONTHS:
        expr = f"replace({expr}, '{name}', '{num}')"
    norm = f"regexp_replace({expr}, '[ /.]+', '-', 'g')"
    return f"""
    CREATE OR REPLACE TEMP MACRO kla_date(x) AS (
      CASE
        WHEN x IS NULL OR trim(x) = '' THEN NULL
        WHEN regexp_matches(trim(x), '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN
             try_strptime(regexp_extract(trim(x), '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}})', 1), '%Y-%m-%d')::DATE
        WHEN regexp_matches(trim(x), '^\\d{{5}}(\\.0+)?$') THEN
             DATE '1899-12-30' + CAST(CAST(trim(x) AS DOUBLE) AS INTEGER)
        WHEN regexp_matches({norm}, '^\\d{{1,2}}-\\d{{1,2}}-\\d{{4}}$') THEN try_strptime({norm}, '%d-%m-%Y')::DATE
        WHEN regexp_matches({norm}, '^\\d{{1,2}}-\\d{{1,2}}-\\d{{2}}$') THEN try_strptime({norm}, '%d-%m-%y')::DATE
        ELSE NULL
      END)
    """


_NUM_MACRO = """
CREATE OR REPLACE TEMP MACRO kla_num(x) AS
  TRY_CAST(replace(replace(trim(x), ' ', ''), ',', '.') AS DOUBLE)
"""


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _typed_sql(found: dict[str, int]) -> str:
    """The query turning raw text into typed columns, inside the scratch engine.

    Identifying columns other than NIK are never in ``raw``; the NIK only leaves as the HMAC from
    the ``nik_keys`` table. Text columns (sex code, area names) only leave for rows that need a
    message. Duplicates are found here: same child key and measurement date, or, without a key,
    the same row content.
    """

    def c(name: str) -> str:
        return f"r.c{found[name]}" if name in found else "NULL::VARCHAR"

    digits = f"regexp_replace(coalesce({c('nik')}, ''), '[^0-9]', '', 'g')"
    usia = f"lower(coalesce({c('usia')}, ''))"

    def part(unit: str) -> str:
        return f"coalesce(TRY_CAST(regexp_extract({usia}, '(\\d+)\\s*{unit}', 1) AS DOUBLE), 0)"

    return f"""
    WITH t AS (
      SELECT r.row_no,
        k.k AS child_key,
        CASE WHEN {c("nik")} IS NULL OR trim({c("nik")}) = '' THEN 0 WHEN k.k IS NOT NULL THEN 1 ELSE 2 END
          AS nik_state,
        CASE WHEN lower(trim({c("jk")})) IN ({_sql_list(anthro.BOY_CODES)}) THEN 1
             WHEN lower(trim({c("jk")})) IN ({_sql_list(anthro.GIRL_CODES)}) THEN 2 ELSE 0 END AS sex,
        left(trim(coalesce({c("jk")}, '')), 10) AS jk,
        kla_date({c("tgl_lahir")}) AS birth_date,
        nullif(trim({c("tgl_lahir")}), '') IS NOT NULL AS has_birth,
        kla_date({c("tgl_ukur")}) AS measure_date,
        CASE WHEN regexp_matches({usia}, '\\d+\\s*(tahun|bulan|hari)')
             THEN floor({part("tahun")} * 365.25 + {part("bulan")} * {anthro.DAYS_PER_MONTH} + {part("hari")})
        END AS age_text,
        kla_num({c("berat")}) AS weight_kg,
        kla_num({c("tinggi")}) AS height_cm,
        CASE WHEN lower(trim({c("cara_ukur")})) IN ({_sql_list(anthro.LYING_CODES)}) THEN 'L'
             WHEN lower(trim({c("cara_ukur")})) IN ({_sql_list(anthro.STANDING_CODES)}) THEN 'H' END AS position,
        kla_num({c("lila")}) AS muac_cm,
        a.kec_code, a.kel_code, a.kec, a.kel,
        nullif(trim({c("puskesmas")}), '') AS puskesmas,
        nullif(trim({c("posyandu")}), '') AS posyandu,
        kla_num({c("zs_tbu")}) AS export_haz,
        kla_num({c("zs_bbu")}) AS export_waz,
        kla_num({c("zs_bbtb")}) AS export_whz
      FROM raw r
      LEFT JOIN nik_keys k ON k.d = {digits}
      LEFT JOIN area_map a ON a.kec = coalesce(trim({c("kec")}), '') AND a.kel = coalesce(trim({c("kel")}), '')
    )
    SELECT row_no, child_key, nik_state::TINYINT AS nik_state, sex::TINYINT AS sex,
      CASE WHEN sex = 0 THEN jk END AS jk,
      has_birth, birth_date IS NOT NULL AS birth_ok, measure_date::TIMESTAMP AS measure_date,
      CASE WHEN birth_date IS NOT NULL THEN date_diff('day', birth_date, measure_date)::DOUBLE
           WHEN NOT has_birth THEN age_text END AS age_days,
      weight_kg, height_cm, position, muac_cm, kec_code, kel_code,
      CASE WHEN kel_code IS NULL THEN kec END AS kec, CASE WHEN kel_code IS NULL THEN kel END AS kel,
      puskesmas, posyandu, export_haz, export_waz, export_whz,
      min(row_no) OVER (PARTITION BY measure_date, coalesce(child_key, hash(sex, birth_date, age_text, weight_kg,
                        height_cm, position, kec_code, kel_code, kec, kel, posyandu)::VARCHAR)) AS first_row
    FROM t ORDER BY row_no
    """  # noqa: S608 - identifiers are the fixed c<n> column names


def _xlsx_rows(path: Path, sheet: str | None) -> tuple[list[str], pd.DataFrame]:
    import openpyxl  # local: only XLSX imports need it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError(f"Berkas {path.name} tidak bisa dibaca sebagai XLSX ({type(exc).__name__}).") from exc
    try:
        names = wb.sheetnames
        if sheet is None and len(names) > 1:
            raise ValidationError(
                f"Berkas {path.name} punya {len(names)} sheet ({', '.join(names)}). Pilih satu dengan "
                "--sheet NAMA, atau simpan data pengukuran di satu sheet saja; tidak ada yang diubah."
            )
        if sheet is not None and sheet not in names:
            raise ValidationError(f"Sheet '{sheet}' tidak ada di {path.name} (ada: {', '.join(names)}).")
        ws = wb[sheet or names[0]]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            raise ValidationError(f"Berkas {path.name} kosong; tidak ada yang diubah.")
        headers = [str(h).strip() if h is not None else "" for h in header]
        found = map_columns(headers)
        keep = sorted(i for c, i in found.items() if c not in PII or c == "nik")  # names/address never read
        cols: dict[int, list] = {i: [] for i in keep}
        for row in it:
            for i in keep:
                v = row[i] if i < len(row) else None
                cols[i].append(_cell_text(v))
    finally:
        wb.close()
    frame = pd.DataFrame({f"c{i}": pd.array(v, dtype="string") for i, v in cols.items()})
    return headers, frame


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


# ----------------------------------------------------------------------------- main entry
def parse_export(
    path: Path,
    *,
    matcher: WilayahMatcher,
    key: bytes,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ParsedExport:
    """Read, validate and z-score an e-PPGBM export.

    Raises
    ------
    ValidationError
        File-level problems (missing file, too big, empty, wrong delimiter, not UTF-8, several
        sheets, missing required columns), or more than :data:`MAX_BAD_SHARE` of the rows
        rejected. Nothing has been written anywhere when it is raised.
    """
    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    path = Path(path)
    _check_file(path)
    name = path.name
    is_csv = path.suffix.lower() in (".csv", ".txt")
    progress(0.02, f"Memeriksa {name}")

    con = connect_scratch()
    try:
        con.execute(_NUM_MACRO)
        con.execute(_date_macro())
        ipad, opad = privacy.hmac_pads(key)
        if is_csv:
            headers = _csv_header(path)
            found = map_columns(headers)
            _require(path, found, headers)
            _check_utf8(path)
            progress(0.1, f"Membaca {name} ({path.stat().st_size / 1e6:,.0f} MB)")
            names = [f"c{i}" for i in range(len(headers))]
            # only the mapped columns are kept; Nama, Nama Ortu, Alamat, RT, RW are never selected
            kept = sorted((i, c) for c, i in found.items() if c not in PII or c == "nik")
            keep = ", ".join(f"c{i}" for i, _ in kept)
            try:
                con.execute(
                    f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS row_no, {keep} "  # noqa: S608
                    "FROM read_csv(?, "
                    "delim=';', quote='\"', escape='\"', header=false, skip=1, auto_detect=false, "
                    "columns=?, null_padding=true, strict_mode=false, encoding='utf-8')",
                    [str(path), {n: "VARCHAR" for n in names}],
                )
            except duckdb.Error as exc:
                # DuckDB's reader errors can quote the offending line, which may hold a name or
                # NIK: only the line number is passed on, never the text.
                line = re.search(r"line (\d+)", str(exc), flags=re.IGNORECASE)
                where = f" di sekitar baris {line.group(1)}" if line else ""
                raise ValidationError(
                    f"Berkas {name} tidak bisa dibaca sebagai CSV e-PPGBM{where} "
                    f"({type(exc).__name__}); tidak ada yang diubah."
                ) from None
        else:
            headers, frame = _xlsx_rows(path, sheet)
            found = map_columns(headers)
            _require(path, found, headers)
            frame.insert(0, "row_no", np.arange(2, len(frame) + 2, dtype=np.int64))
            con.register("xlsx_src", frame)
            con.execute("CREATE TEMP TABLE raw AS SELECT * FROM xlsx_src")
            con.unregister("xlsx_src")
            del frame
        n_rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        if n_rows == 0:
            raise ValidationError(f"Berkas {name} hanya berisi judul kolom, tanpa data; tidak ada yang diubah.")
        progress(0.3, f"Mengurai {n_rows:,} baris")
        # areas: each distinct (kecamatan, kelurahan) pair is matched once, in Python
        kc = f"coalesce(trim(c{found['kec']}), '')"
        kl = f"coalesce(trim(c{found['kel']}), '')"
        pairs = con.execute(f"SELECT DISTINCT {kc} AS kec, {kl} AS kel FROM raw").df()  # noqa: S608 - fixed ids
        pairs["kec_code"] = [matcher.match_kecamatan(k) if k else None for k in pairs["kec"]]
        pairs["kel_code"] = [
            matcher.match_kelurahan(k, c) if (c and k) else None
            for k, c in zip(pairs["kel"], pairs["kec_code"], strict=True)
        ]
        con.register("area_src", pairs)
        con.execute("CREATE TEMP TABLE area_map AS SELECT * FROM area_src")
        con.unregister("area_src")
        # the NIK -> HMAC map, over distinct NIKs only (children recur every month)
        col = f"c{found['nik']}" if "nik" in found else "NULL::VARCHAR"
        con.execute(
            f"CREATE TEMP TABLE nik_keys AS SELECT d, {privacy.HMAC_SQL.format(col='d')} AS k FROM "  # noqa: S608
            f"(SELECT DISTINCT regexp_replace(coalesce({col}, ''), '[^0-9]', '', 'g') AS d FROM raw) "
            "WHERE length(d) = 16",
            {"ipad": ipad, "opad": opad},
        )
        df = con.sql(_typed_sql(found)).to_arrow_table().to_pandas()
        con.execute("DROP TABLE raw")
        con.execute("DROP TABLE nik_keys")
    finally:
        con.close()
    t_read = time.perf_counter() - t0
    progress(0.5, "Memeriksa baris")
    result = _validate_rows(df, name, matcher, today or dt.date.today())
    result.stats.update(rows_total=int(n_rows), seconds_read=round(t_read, 3), file=name)
    result.stats["seconds_parse"] = round(time.perf_counter() - t0, 3)
    progress(0.7, "Z-score dihitung")
    return result


def _id(x: float) -> str:
    """Number as Indonesians write it: decimal comma."""
    return f"{x:g}".replace(".", ",")


def _validate_rows(df: pd.DataFrame, name: str, matcher: WilayahMatcher, today: dt.date) -> ParsedExport:
    """Row checks on the typed frame (vectorised); one problem per rejected row, the first found."""
    n = len(df)
    row_no = df["row_no"].to_numpy()
    bad = np.zeros(n, dtype=bool)
    problems: list[Problem] = []

    def report(mask: np.ndarray, column: str, message: Callable[[int], str] | str) -> None:
        nonlocal bad
        mask = np.asarray(mask, dtype=bool) & ~bad
        for i in np.flatnonzero(mask):
            problems.append(Problem(name, int(row_no[i]), column, message(i) if callable(message) else message))
        bad |= mask

    sex = df["sex"].to_numpy()
    jk = df["jk"]
    report(sex == 0, "JK", lambda i: f"kode jenis kelamin '{jk.iloc[i]}' tidak dikenal (pakai L atau P)")

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
    unmatched = (
        pd.DataFrame({"kecamatan": df["kec"][miss], "kelurahan": df["kel"][miss], "row": row_no[miss]})
        .groupby(["kecamatan", "kelurahan"], sort=False)["row"]
        .agg(rows="count", first_rows=lambda r: [int(x) for x in r.head(5)])
        .reset_index()
        .sort_values("rows", ascending=False, kind="stable")
    )
    report(unknown_kec, "Kec", lambda i: f"kecamatan '{str(df['kec'].iloc[i])[:40]}' tidak dikenal")
    report(
        unknown_kel,
        "Desa/Kel",
        lambda i: (
            f"kelurahan '{str(df['kel'].iloc[i])[:40]}' tidak ada di Kecamatan "
            f"{matcher.names.get(kec_code.iloc[i], kec_code.iloc[i])}"
        ),
    )

    first = df["first_row"].to_numpy()
    report(first < row_no, "NIK", lambda i: f"duplikat dari baris {int(first[i])} (anak dan tanggal ukur sama)")

    problems.sort(key=lambda p: p.row or 0)
    n_bad = int(bad.sum())
    nik_state = df["nik_state"].to_numpy()
    stats = {
        "rows_rejected": n_bad,
        "rows_accepted": n - n_bad,
        "nik_missing": int((nik_state == 0).sum()),
        "nik_invalid": int((nik_state == 2).sum()),
        "unmatched_areas": unmatched.to_dict("records"),
    }
    if n and n_bad / n > MAX_BAD_SHARE or n_bad == n:
        raise ValidationError(
            f"Berkas {name}: {n_bad:,} dari {n:,} baris ({n_bad / max(n, 1):.0%}) ditolak, lebih dari batas "
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


def puskesmas_key(name: str) -> str:
    """'Puskesmas Kilasah', 'PKM kilasah' -> 'pkm:kilasah'."""
    key = normalise_name(re.sub(r"(?i)^\s*(uptd\s+)?(puskesmas|pkm|pukesmas)\b\.?", "", str(name)))
    return f"pkm:{key}"
