"""Reading e-PPGBM exports ("data balita hasil pengukuran") as they really come: :func:`parse_export`.

CSV with ``;`` separators and comma decimals, or XLSX with one sheet. Columns are found by name,
never by position (:mod:`kla.ingest.eppgbm_columns`; ``domain.md`` §6.2). The export can be a file
on disk or its bytes in memory (an upload): :func:`parse_export` takes either, and nothing of the
export is ever written to disk. The steps, each in its own module:

1. file-level checks before anything is hashed or parsed (:mod:`kla.ingest.eppgbm_source`);
2. reading the text of the columns to read: CSV line structure checked on the raw bytes, then a
   pyarrow parse (:mod:`kla.ingest.eppgbm_csv`), or one XLSX sheet (:mod:`kla.ingest.eppgbm_xlsx`);
3. typing the values in a throw-away in-memory engine, where the NIK becomes an HMAC and areas are
   matched (:mod:`kla.ingest.eppgbm_typed`);
4. privacy by content, row checks and z-scores (:mod:`kla.ingest.eppgbm_validate`).

Privacy: ``NIK``, ``Nama``, ``Nama Ortu``, ``Alamat``, ``RT`` and ``RW`` are read only inside the
throw-away engine. The NIK is turned into an HMAC there (:mod:`kla.core.privacy`); the other
identifying columns are never selected. No message, log line or returned frame contains them:
problems name the row and the column, never an identifying value.

The result is a frame of accepted rows (no identifiers) with WHO z-scores and Permenkes
categories, plus row-level problems and statistics; ``stats["sample"]`` is True for a file made by
:mod:`kla.ingest.sample_nutrition`. Nothing here writes to the store; :mod:`kla.ingest.nutrition`
does that inside :func:`kla.ingest.store.staged`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace

from kla.core import fmt
from kla.core.errors import Problem, ValidationError
from kla.core.wilayah import WilayahMatcher
from kla.ingest import eppgbm_typed
from kla.ingest.eppgbm_columns import map_columns, read_positions, require_columns
from kla.ingest.eppgbm_csv import check_structure, read_csv_columns, scan_csv
from kla.ingest.eppgbm_source import Source, SourceInfo, check_source
from kla.ingest.eppgbm_validate import ParsedExport, private_by_content, validate_rows
from kla.ingest.eppgbm_xlsx import xlsx_rows
from kla.read.db import connect_scratch

Progress = Callable[[float, str], None]


def parse_export(
    source: Source,
    *,
    matcher: WilayahMatcher,
    key: bytes,
    name: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ParsedExport:
    """Read, validate and z-score an e-PPGBM export given as a path or as bytes (+ ``name``).

    Raises
    ------
    ValidationError
        File-level problems (missing file, not a file, too big, empty, wrong delimiter, not
        UTF-8, a quote left open, most rows not shaped like the header, several sheets, missing
        required columns, sample rows mixed with real ones), or more than
        :data:`~kla.ingest.eppgbm_columns.MAX_BAD_SHARE` of the rows rejected. Nothing has been
        written anywhere when it is raised.
    """
    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    src = source if isinstance(source, SourceInfo) else check_source(source, name, sheet)
    name = fmt.plain(src.name, 80)  # for messages; src.name (provenance) stays as given
    if src.cr_only:  # Excel "CSV (Macintosh)": read a copy with LF line endings, in memory only
        with src.buffer() as buf:
            src = replace(src, data=bytes(buf).replace(b"\r", b"\n"), path=None, cr_only=False)
    is_csv = src.suffix in (".csv", ".txt")
    progress(0.02, f"Memeriksa {name}")
    pre_problems: list[Problem] = []
    blank_rows = 0

    con = connect_scratch()
    try:
        eppgbm_typed.prepare(con)
        if is_csv:
            with src.buffer() as buf:
                scan = scan_csv(buf, name)
                headers = scan.headers
                found = map_columns(headers)
                require_columns(name, found, headers)
                _shaped, pre_problems = check_structure(scan, name)
                blank_rows = int(scan.blank.sum())
                progress(0.1, f"Membaca {name} ({fmt.number(src.size / 1e6, 0)} MB)")
                # only the mapped columns are kept; Nama, Nama Ortu, Alamat, RT, RW are never selected
                table = read_csv_columns(buf, scan, read_positions(found), name)
                del scan
        else:
            headers, table, blank_rows = xlsx_rows(src, sheet)
            found = map_columns(headers)
            require_columns(name, found, headers)
        n_rows = eppgbm_typed.register_raw(con, table, found)
        del table
        if n_rows == 0 and not pre_problems:
            raise ValidationError(f"Berkas {name} hanya berisi judul kolom, tanpa data; tidak ada yang diubah.")
        sample = eppgbm_typed.sample_marked(con, found, n_rows, name)
        progress(0.3, f"Mengurai {fmt.integer(n_rows)} baris")
        eppgbm_typed.match_areas(con, matcher)
        eppgbm_typed.hash_niks(con, key)
        df = eppgbm_typed.typed_frame(con)
    finally:
        con.close()
    t_read = time.perf_counter() - t0
    progress(0.5, "Memeriksa baris")
    content_notes = private_by_content(df, name, headers, found, matcher)
    result = validate_rows(df, name, matcher, today or dt.date.today(), pre_problems)
    result.problems[:0] = content_notes
    result.stats.update(
        rows_total=int(n_rows) + len(pre_problems),
        rows_blank_ignored=blank_rows,
        rows_wrong_field_count=len(pre_problems),
        seconds_read=round(t_read, 3),
        file=name,
        sample=sample,
    )
    result.stats["seconds_parse"] = round(time.perf_counter() - t0, 3)
    progress(0.7, "Z-score dihitung")
    return result
