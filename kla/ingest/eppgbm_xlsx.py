"""The XLSX side of the e-PPGBM reader: one sheet, read cell by cell with openpyxl.

The workbook has passed :func:`kla.ingest.filecheck.check_xlsx` (zip, XML and used-range limits)
in :func:`kla.ingest.eppgbm_source.check_source` before it gets here. Only the columns to read are
kept (:func:`kla.ingest.eppgbm_columns.read_positions`): Nama, Nama Ortu, Alamat, RT and RW are
never read.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from kla.core import fmt
from kla.core.errors import ValidationError
from kla.ingest import filecheck
from kla.ingest.eppgbm_columns import map_columns, read_positions
from kla.ingest.eppgbm_source import SourceInfo


def xlsx_rows(src: SourceInfo, sheet: str | None) -> tuple[list[str], pd.DataFrame, int]:
    """Header and the mapped non-identifying columns (plus NIK) of one sheet, as text, with the
    sheet's row number in ``row_no``. Rows whose cells are all empty (trailing formatted rows)
    are skipped and counted."""
    import openpyxl  # local: only XLSX imports need it

    name = fmt.plain(src.name, 80)
    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(src.data) if src.data is not None else src.path, read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError(f"{filecheck.xlsx_unreadable(name, exc)}; tidak ada yang diubah.") from None
    try:
        names = wb.sheetnames
        listed = ", ".join(fmt.plain(n, 30) for n in names[:10])
        if sheet is None and len(names) > 1:
            raise ValidationError(
                f"Berkas {name} punya {len(names)} sheet ({listed}). Pilih satu dengan "
                "--sheet NAMA, atau simpan data pengukuran di satu sheet saja; tidak ada yang diubah."
            )
        if sheet is not None and sheet not in names:
            raise ValidationError(f"Sheet '{fmt.plain(sheet, 30)}' tidak ada di {name} (ada: {listed}).")
        ws = wb[sheet or names[0]]
        ws.reset_dimensions()  # no padding to a used range that the dimension record understates
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None or all(_empty_cell(v) for v in header):
            raise ValidationError(f"Berkas {name} tidak punya baris judul kolom di baris 1; tidak ada yang diubah.")
        if sum(1 for h in header if not _empty_cell(h)) and len(header) > filecheck.MAX_COLUMNS:
            raise filecheck.too_many_columns(name, 1, len(header))
        headers = [str(h).strip() if h is not None else "" for h in header]
        found = map_columns(headers)
        keep = read_positions(found)  # names/address never read
        cols: dict[int, list] = {i: [] for i in keep}
        row_no: list[int] = []
        blank = 0
        for r, row in enumerate(it, start=2):
            if all(_empty_cell(v) for v in row):
                blank += 1
                continue
            if len(row) > filecheck.MAX_COLUMNS and any(not _empty_cell(v) for v in row[filecheck.MAX_COLUMNS :]):
                raise filecheck.too_many_columns(name, r, len(row))
            row_no.append(r)
            for i in keep:
                v = row[i] if i < len(row) else None
                text = _cell_text(v)
                if text is not None and len(text) > filecheck.MAX_CELL_CHARS:
                    raise filecheck.cell_too_long(name, r, headers[i], len(text))
                cols[i].append(text)
    except (ValidationError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # a sheet part that is not what it claims (malformed XML, bad cell types)
        raise ValidationError(f"{filecheck.xlsx_unreadable(name, exc)}; tidak ada yang diubah.") from None
    finally:
        wb.close()
    frame = pd.DataFrame({f"c{i}": pd.array(v, dtype="string") for i, v in cols.items()})
    frame.insert(0, "row_no", np.array(row_no, dtype=np.int64))
    return headers, frame, blank


def _empty_cell(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


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
