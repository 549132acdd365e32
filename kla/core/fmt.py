"""Numbers for people: the Indonesian way, one rule for the whole dashboard.

Every number a user reads as text (metrics, captions, sentences, table cells built as text,
chart text labels and annotations) goes through these functions. Numbers that stay numbers
(dataframes, CSV/JSON exports, session state, keys) are not formatted here. Plotly axes and
hover templates get the same separators from ``separators=",."`` in :func:`kla.figures.charts.apply_stamp`.

The rule
--------
* **Decimal comma:** ``22,3``.
* **Thousands dot only from five digits on:** ``58.623``, ``1.234.567``; a four-digit number stays
  ungrouped: ``1000``, ``5432``. So the KLA score reads ``573 / 1000``, and ``1.000`` (which a
  reader used to English-style sources takes for one-point-zero) never appears. Applied to
  every number alike, including class edges in map legends (``5000 – 10.000``).
* **Minus sign U+2212** (``−3,5``): a hyphen reads as a dash in ranges such as ``−5 – 5``.
  :func:`metric_delta` is the one exception (see there). A value that rounds to zero has no sign:
  ``0``, never ``−0``.
* **Rounding half away from zero** on the decimal digits Python shows for the float (its
  ``repr``): ``22,25`` → ``22,3``, ``0,145`` → ``0,15``, ``−2,5`` → ``−3`` at 0 decimals, as a
  reader rounding by hand would do. (f-strings round half-to-even on the binary value instead:
  ``f"{0.145:.2f}"`` is ``0.14``.)
* **``decimals=None``** keeps what ``:g`` shows, six significant digits with trailing zeros
  dropped (``13,6667``, ``573,25``, ``42``), but never switches to exponent notation and never
  rounds the integer part (``1.234.567``, where ``:g`` prints ``1.23457e+06``).
* **Missing** (``None``, NaN, ``pandas.NA``): ``–`` (en dash). Infinity: ``∞`` / ``−∞``.
* **Lists of numbers** are joined with ``"; "``, since ``", "`` would be ambiguous next to a
  decimal comma (``10,25; 20,5; 41``).

Standard library only; no :mod:`locale` (its output depends on the OS having ``id_ID`` installed).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

MISSING = "–"  # en dash
MINUS = "\u2212"  # − (typographic minus sign)
DECIMAL_SEP = ","
THOUSANDS_SEP = "."
GROUP_FROM_DIGITS = 5  # group thousands when the integer part has at least this many digits (≥ 10.000)
SIGNIFICANT = 6  # significant digits for ``decimals=None`` (as Python's ``:g``)
MAX_AUTO_DECIMALS = 12  # ``decimals=None`` never goes finer than this (1e-300 prints as 0)
LIST_SEP = "; "

_CONTEXT = decimal.Context(prec=80, rounding=ROUND_HALF_UP)


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN (float, numpy, Decimal) is the only value unequal to itself
    except TypeError:  # pandas.NA: its comparisons are NA themselves and refuse bool()
        return True


def _to_decimal(x: object) -> Decimal:
    if isinstance(x, bool | str | bytes):  # a string may already be formatted; a bool is no amount
        raise TypeError(f"not a number: {x!r}")
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    try:
        as_int = x.__index__()  # type: ignore[attr-defined]  # numpy integers: exact, however large
    except (AttributeError, TypeError):
        pass
    else:
        return Decimal(as_int)
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"not a number: {x!r}") from exc
    return Decimal(repr(f))  # the shortest decimal that is this float: 0.145, not 0.14499999…


def _group(digits: str) -> str:
    if len(digits) < GROUP_FROM_DIGITS:
        return digits
    head = len(digits) % 3 or 3
    return THOUSANDS_SEP.join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def _parts(x: object, decimals: int | None) -> tuple[int, str] | str | None:
    """``(sign, unsigned text)`` with sign −1/0/1; a ready string for infinity; None when missing."""
    if decimals is not None and decimals < 0:
        raise ValueError(f"decimals must be ≥ 0 or None, not {decimals}")
    if _is_missing(x):
        return None
    d = _to_decimal(x)
    if d.is_infinite():
        return f"{MINUS}∞" if d < 0 else "∞"
    places = decimals
    if places is None:
        places = 0 if d.is_zero() else min(MAX_AUTO_DECIMALS, max(0, SIGNIFICANT - 1 - d.adjusted()))
    q = d.quantize(Decimal(1).scaleb(-places), context=_CONTEXT)
    sign = 0 if q.is_zero() else (-1 if q < 0 else 1)
    text = format(abs(q), "f")
    whole, _, frac = text.partition(".")
    if decimals is None:
        frac = frac.rstrip("0")
    return sign, _group(whole) + (DECIMAL_SEP + frac if frac else "")


def number(x: object, decimals: int | None = None) -> str:
    """A number the Indonesian way: ``number(22.345, 1)`` → ``"22,3"``; ``number(58623)`` → ``"58.623"``.

    ``decimals=None``: six significant digits, trailing zeros dropped (like ``:g``, without
    exponent notation). Negative values get the minus sign U+2212; missing values ``–``.
    """
    parts = _parts(x, decimals)
    if parts is None:
        return MISSING
    if isinstance(parts, str):
        return parts
    sign, body = parts
    return (MINUS if sign < 0 else "") + body


def integer(n: object) -> str:
    """A whole number (rounded half away from zero): ``integer(58623)`` → ``"58.623"``, ``1000`` → ``"1000"``."""
    return number(n, 0)


def percent(x: object, decimals: int | None = 1) -> str:
    """A percentage with the sign attached, no space: ``percent(22.345)`` → ``"22,3%"``; missing → ``–``.

    ``x`` is already in percent (22.3, not 0.223).
    """
    text = number(x, decimals)
    return text if text == MISSING else f"{text}%"


def signed(x: object, decimals: int | None = None) -> str:
    """A change, always with its sign: ``"+3,5"``, ``"−3,5"``; zero has none: ``"0"``."""
    parts = _parts(x, decimals)
    if parts is None:
        return MISSING
    if isinstance(parts, str):
        return parts if parts.startswith(MINUS) else f"+{parts}"
    sign, body = parts
    return {1: "+", -1: MINUS, 0: ""}[sign] + body


def metric_delta(x: object, decimals: int | None = None) -> str:
    """Like :func:`signed`, but with an ASCII hyphen-minus for ``st.metric(delta=...)``.

    Streamlit decides the arrow and colour of a text delta from whether it starts with ``"-"``;
    with U+2212 a fall would be drawn as a green rise.
    """
    return signed(x, decimals).replace(MINUS, "-", 1)


def number_list(values: Iterable[object], decimals: int | None = None) -> str:
    """Several numbers in one text: ``"0; 10,25; 20,5"`` (``"; "``, as a comma would be ambiguous)."""
    return LIST_SEP.join(number(v, decimals) for v in values)


# ----------------------------------------------------------------------------- months
#: Indonesian month names (the one table; parsers of user files keep their own spelling variants).
BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
#: Three-letter abbreviations: ``Jan`` … ``Agu`` … ``Des``.
BULAN_SINGKAT = tuple(name[:3] for name in BULAN)


def month_label(when: object) -> str:
    """``"Des 2025"``: Indonesian month abbreviation and year, whatever the machine's locale."""
    import pandas as pd

    ts = pd.Timestamp(when)
    return f"{BULAN_SINGKAT[ts.month - 1]} {ts.year}"


# ----------------------------------------------------------------------------- text from files
#: Characters that Markdown (Streamlit's ``st.error``/``st.markdown``, GitHub-flavoured, with
#: ``$`` for maths) or HTML treat as syntax; :func:`plain` puts a backslash in front of each.
_MARKUP = frozenset("\\`*_[]<>#!|~$")
_WWW = re.compile(r"(?i)\bwww\.")
_CONTROL = {c: " " for c in range(32)} | {127: " ", 0x2028: " ", 0x2029: " "}


def plain(text: object, limit: int | None = 60) -> str:
    """Text from a file or a user, made safe to put in a message that may be rendered as Markdown.

    * line breaks, tabs and other control characters become spaces (no new Markdown block);
    * ``\\ ` * _ [ ] < > # ! | ~ $`` get a backslash, so no emphasis, code, link, image, raw HTML,
      table or maths can form: ``![x](http://evil/)`` is shown as those characters and fetches nothing;
    * ``://``, ``www.`` and ``@`` are broken with a backslash too, so no bare URL or e-mail address
      becomes a link (GitHub-flavoured autolinks);
    * longer than ``limit`` characters: cut, with ``…``.

    On a terminal the backslashes show; that is the price of one message for both places.
    ``plain("Kagungan")`` is ``"Kagungan"``: ordinary names are unchanged.
    """
    s = str(text).translate(_CONTROL)
    if limit is not None and len(s) > limit:
        s = s[:limit] + "…"
    out = []
    for i, ch in enumerate(s):
        # "_" between letters or digits (eppgbm_2024.csv) makes no emphasis in CommonMark: left as is
        inner = ch == "_" and 0 < i < len(s) - 1 and s[i - 1].isalnum() and s[i + 1].isalnum()
        out.append("\\" + ch if ch in _MARKUP and not inner else ch)
    s = "".join(out)
    s = s.replace("://", ":\\/\\/").replace("@", "\\@")
    return _WWW.sub(lambda m: m.group(0)[:-1] + "\\.", s)
