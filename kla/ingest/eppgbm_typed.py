"""The e-PPGBM rows as typed values, computed inside a throw-away in-memory engine.

The text the readers return (:mod:`kla.ingest.eppgbm_csv`, :mod:`kla.ingest.eppgbm_xlsx`) is
registered in :func:`kla.read.db.connect_scratch` as ``raw``, under the canonical column names
(:data:`kla.ingest.eppgbm_columns.READ_COLUMNS`). There the NIK is turned into an HMAC
(:mod:`kla.core.privacy`), dates, numbers, sex and position codes are read
(``kla/read/sql/eppgbm_macros.sql``, ``eppgbm_typed.sql``) and each distinct area pair is matched
once. Only the typed frame leaves the engine: no NIK, and text columns only for rows that need a
message.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kla.core import anthro, fmt, privacy
from kla.core.errors import Problem, ValidationError
from kla.core.wilayah import WilayahMatcher
from kla.ingest.eppgbm_columns import READ_COLUMNS, SAMPLE_MARKER_COLUMN, SAMPLE_PREFIX
from kla.read.repository import sql


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Define the ``kla_num`` and ``kla_date`` macros in the scratch engine."""
    con.execute(sql("eppgbm_macros"))


def register_raw(con: duckdb.DuckDBPyConnection, table, found: dict[str, int]) -> int:
    """Register the read columns (``row_no`` and ``c<i>``, an Arrow table or a frame) as ``raw``
    with the canonical names, a column the export lacks as NULL text; returns the row count."""
    import pyarrow as pa

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    n = table.num_rows
    columns = {"row_no": table.column("row_no")}
    for c in READ_COLUMNS:
        columns[c] = table.column(f"c{found[c]}") if c in found else pa.chunked_array([pa.nulls(n, pa.string())])
    con.register("raw", pa.table(columns))
    return n


def sample_marked(con: duckdb.DuckDBPyConnection, found: dict[str, int], n_rows: int, name: str) -> bool:
    """True when every row carries the DATA CONTOH marker of kla/sample_nutrition.py.

    The ``Keterangan`` text itself is never returned, only the count of marked rows.
    """
    if "keterangan" not in found or n_rows == 0:
        return False
    (marked,) = con.execute(sql("eppgbm_sample_marked"), {"prefix": SAMPLE_PREFIX + "%"}).fetchone()
    if marked == 0:
        return False
    if marked < n_rows:
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(marked)} dari {fmt.integer(n_rows)} baris bertanda {SAMPLE_PREFIX} di kolom "
            f"{SAMPLE_MARKER_COLUMN}, sisanya tidak. Data contoh (dari kla/sample_nutrition.py) dan data nyata "
            "tidak boleh dicampur dalam satu impor; pisahkan berkasnya. Tidak ada yang diubah.",
            [Problem(name, None, SAMPLE_MARKER_COLUMN, "data contoh bercampur dengan data nyata")],
        )
    return True


def match_areas(con: duckdb.DuckDBPyConnection, matcher: WilayahMatcher) -> None:
    """The table ``area_map``: each distinct (kecamatan, kelurahan) pair matched once, in Python."""
    pairs = con.execute(sql("eppgbm_area_pairs")).df()
    pairs["kec_code"] = [matcher.match_kecamatan(k) if k else None for k in pairs["kec"]]
    pairs["kel_code"] = [
        matcher.match_kelurahan(k, c) if (c and k) else None
        for k, c in zip(pairs["kel"], pairs["kec_code"], strict=True)
    ]
    con.register("area_src", pairs)
    con.execute(sql("eppgbm_area_map"))
    con.unregister("area_src")


def hash_niks(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """The table ``nik_keys``: NIK digits -> HMAC, over distinct 16-digit NIKs only."""
    ipad, opad = privacy.hmac_pads(key)
    # HMAC_SQL is a fixed expression of our own; only the pads are values, and they are bound
    query = sql("eppgbm_nik_keys").format(hmac_of_d=privacy.HMAC_SQL.format(col="d"))
    con.execute(query, {"ipad": ipad, "opad": opad})


def typed_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The typed rows (``kla/read/sql/eppgbm_typed.sql``); ``raw`` and ``nik_keys`` are dropped after."""
    params = {
        "boy_codes": list(anthro.BOY_CODES),
        "girl_codes": list(anthro.GIRL_CODES),
        "lying_codes": list(anthro.LYING_CODES),
        "standing_codes": list(anthro.STANDING_CODES),
        "days_per_month": anthro.DAYS_PER_MONTH,
    }
    df = con.sql(sql("eppgbm_typed"), params=params).to_arrow_table().to_pandas()
    con.unregister("raw")
    con.execute(sql("eppgbm_nik_keys_drop"))
    return df
