"""Months as Indonesian files write them: month names (with their spelling variants) and the
``Periode`` cell of a recap sheet.

:data:`MONTH_NAMES` is the list the readers of user files share: :func:`read_period` here (recap
sheets, :mod:`kla.ingest.rekap`) and the ``kla_date`` macro of the e-PPGBM reader
(``kla/read/sql/eppgbm_macros.sql``, which spells the same list out; ``tests/test_eppgbm.py``
checks they agree). Month names for display are :data:`kla.core.fmt.BULAN`.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

#: (lower-case month name or abbreviation, month number); longer names before their
#: abbreviations, so "juni" is replaced before "jun" could match inside it.
MONTH_NAMES = [
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
#: abbreviations seen in Indonesian recap sheets beyond those of the e-PPGBM reader
_MORE_MONTHS = (("sept", "09"), ("nop", "11"), ("peb", "02"), ("agst", "08"))


def _month(y: int, mo: int) -> dt.date | None:
    if not (1 <= mo <= 12 and 2000 <= y <= dt.date.today().year):
        return None
    d = dt.date(y, mo, 1)
    return d if d <= dt.date.today() else None


def read_period(value: object) -> tuple[dt.date | None, dt.date | None]:
    """``(first day of the month, full date or None)`` for a Periode cell; ``(None, None)`` if not a month.

    The second item is the date itself when the cell held a full date (an Excel date cell, or
    ``2024-06-15`` / ``15/06/2024``), so a caller can note a day other than the 1st.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None, None
    if isinstance(value, dt.datetime | pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.date):
        return _month(value.year, value.month), value
    t = str(value).strip().lower()
    # An Excel date cell read as text: "2024-06-01 00:00:00" (openpyxl/pandas), "2024-06-01T00:00".
    t = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})[ t]00:00(:00(\.0+)?)?$", r"\1", t)
    named = False
    for name, num in (*MONTH_NAMES, *_MORE_MONTHS):
        t, k = re.subn(rf"\b{name}\b", num, t)
        named = named or k > 0
    sep = r"\s*[-/ .]\s*"
    day = None
    if m := re.fullmatch(rf"(\d{{4}}){sep}(\d{{1,2}})(?:{sep}(\d{{1,2}}))?", t):
        y, mo, day = int(m.group(1)), int(m.group(2)), m.group(3)
    elif m := re.fullmatch(rf"(?:(\d{{1,2}}){sep})?(\d{{1,2}}){sep}(\d{{4}})", t):
        day, mo, y = m.group(1), int(m.group(2)), int(m.group(3))
    elif named and (m := re.fullmatch(rf"(\d{{1,2}}){sep}(\d{{2}})", t)):  # "Jun-24": Excel's mmm-yy
        mo, y = int(m.group(1)), 2000 + int(m.group(2))
    else:
        return None, None
    first = _month(y, mo)
    if first is None or day is None:
        return first, None
    try:
        return first, dt.date(y, mo, int(day))
    except ValueError:  # 2024-02-30 is no date, so no month either
        return None, None


def parse_period(text: object) -> dt.date | None:
    """'2024-06', '06/2024', 'Juni 2024', 'Jun-24', '2024-06-01 00:00:00', a date -> date(2024, 6, 1); else None."""
    return read_period(text)[0]
