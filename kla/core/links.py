"""Links that restore a view: the URL parameters, and how a value typed into a URL is judged.

A shared link is untrusted input. Nothing from it is ever parsed into a number, a date or a query:
a value is only looked up among the *tokens of the options the page already offers* (years in the
store, area codes of the city, measures of the catalogue, …). So a value is either exactly one of
those options or it is refused; refused values fall back to the page's default with a short notice.
Pure: no Streamlit, no database. :mod:`kla.ui.links` and :func:`kla.ui.keys.ensure_default` apply it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlencode

# ----------------------------------------------------------------- parameter names (short, Indonesian)

YEAR: Final = "tahun"
COMPARE: Final = "banding"
AREA: Final = "wilayah"
PERIOD: Final = "periode"
PERIOD_FROM: Final = "periode_awal"
MEASURE: Final = "ukuran"
LEVEL: Final = "tingkat"
MODE: Final = "tampilan"
SOURCE: Final = "sumber"
TARGET: Final = "target"
OPD: Final = "opd"
SCENARIO: Final = "skenario"
VALUE: Final = "nilai"
LANG: Final = "lang"  # reserved for the language switch once it exists: accepted silently, not used yet

#: what each parameter sets, for the README and for notices
PARAMS: Final[Mapping[str, str]] = {
    YEAR: "tahun penilaian atau tahun data",
    COMPARE: "pembanding radar Klaster: tahun (mis. 2023), kode wilayah, atau 'tanpa'",
    AREA: "kode wilayah (kota, kecamatan atau kelurahan)",
    PERIOD: "periode data (bulan atau tahun)",
    PERIOD_FROM: "periode awal untuk peta perubahan",
    MEASURE: "ukuran (kunci katalog)",
    LEVEL: "tingkat wilayah",
    MODE: "tampilan peta: nilai atau perubahan",
    SOURCE: "sumber data rutin gizi",
    TARGET: "kategori target KLA",
    OPD: "nama OPD",
    SCENARIO: "nama skenario tersimpan",
    VALUE: "nilai 'jika …' pada crosswalk kecamatan (angka desimal dengan titik, mis. 14.2)",
}
#: names that are not ours but must not be reported as unknown (Streamlit's own, and reserved ones)
QUIET: Final = frozenset({LANG, "embed", "embed_options"})

#: a longer query string is refused as a whole (Streamlit itself accepts up to 512 Ki characters)
MAX_QUERY_CHARS: Final = 2000
#: a longer value is refused (the longest real value, a scenario name, is far shorter)
MAX_VALUE_CHARS: Final = 100
#: how much of a refused value or name a notice repeats
SHOWN_CHARS: Final = 24

NO_COMPARISON: Final = "tanpa"

#: a token is the text that stands for an option in the URL; ``None`` leaves the parameter out
Token = Callable[[Any], str | None]


def default_token(option: Any) -> str | None:
    """``str(option)``; ``None`` (no choice) leaves the parameter out of the URL."""
    return None if option is None else str(option)


def month_token(option: Any) -> str | None:
    """A month (a date or timestamp) as ``YYYY-MM``; other values as :func:`default_token`."""
    strftime = getattr(option, "strftime", None)
    return strftime("%Y-%m") if strftime is not None else default_token(option)


@dataclass(frozen=True)
class NumberRange:
    """The options of a number input: every number from ``low`` to ``high`` with at most ``decimals``.

    The one kind of option that cannot be listed. A linked value must be a plain decimal
    (``14.2``: digits, one optional point; no sign, exponent, ``nan`` or spaces) inside the range.
    """

    low: float
    high: float
    decimals: int = 2

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and self.low <= value <= self.high

    def parse(self, text: str) -> float | None:
        if not re.fullmatch(rf"\d{{1,6}}(\.\d{{1,{self.decimals}}})?", text):
            return None
        number = float(text)
        return number if number in self else None

    def token(self, value: Any) -> str | None:
        """``14.2``, ``15`` (not ``15.0``): the shortest plain decimal of ``value``."""
        if value is None:
            return None
        return f"{float(value):.{self.decimals}f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------- reading a query string


@dataclass
class Incoming:
    """The usable part of a query string: ``values`` by parameter name, and what was refused."""

    values: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def shown(text: str) -> str:
    """``text`` made safe to repeat in a notice: only ``A–Z a–z 0–9 . _ -``, other characters as ``?``,
    cut to :data:`SHOWN_CHARS`. The result is put in a code span, so no markdown, HTML or Streamlit
    directive (``:red[…]``, ``:material/…:``) in a link can reach the page."""
    cut = text[:SHOWN_CHARS]
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "?" for c in cut)
    return safe + ("…" if len(text) > SHOWN_CHARS else "")


def query_length(query: Mapping[str, str | Sequence[str]]) -> int:
    """Length of the query string as the browser sent it (repeated names counted each time)."""
    return len(urlencode([(k, v) for k, vs in query.items() for v in _as_list(vs)]))


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def read_query(query: Mapping[str, str | Sequence[str]], known: Iterable[str] = PARAMS) -> Incoming:
    """Keep the known parameters of ``query`` with a value of sane length; say what was dropped.

    A query string over :data:`MAX_QUERY_CHARS` is dropped whole; unknown names are dropped with one
    notice; a repeated name keeps its last value (as ``st.query_params`` does).
    """
    out = Incoming()
    if not query:
        return out
    if query_length(query) > MAX_QUERY_CHARS:
        out.notices.append(
            f"Tautan terlalu panjang (lebih dari {MAX_QUERY_CHARS} karakter), jadi diabaikan seluruhnya; "
            "tampilan bawaan dipakai."
        )
        return out
    allowed = set(known)
    unknown = [name for name in query if name not in allowed and name not in QUIET]
    if unknown:
        names = ", ".join(f"`{shown(n)}`" for n in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        out.notices.append(f"Parameter tautan yang tidak dikenal diabaikan: {names}.")
    for name in query:
        if name not in allowed:
            continue
        values = _as_list(query[name])
        value = values[-1] if values else ""
        if len(value) > MAX_VALUE_CHARS:
            out.notices.append(
                f"Nilai `{name}` di tautan terlalu panjang (lebih dari {MAX_VALUE_CHARS} karakter); "
                "nilai bawaan dipakai."
            )
            continue
        out.values[name] = value
    return out


# ----------------------------------------------------------------- judging one value


@dataclass(frozen=True)
class Resolved:
    """What a linked value comes to: the option it names, or a refusal with its notice."""

    ok: bool
    option: Any = None
    notice: str | None = None


def resolve(
    param: str, value: str, options: Sequence[Any] | NumberRange, default: Any, token: Token = default_token
) -> Resolved:
    """The option of ``options`` whose token is exactly ``value``; else a refusal naming the default.

    Only an equality lookup among the page's own options: the value itself is never parsed (except a
    :class:`NumberRange`, by a strict pattern), so no text in a link can reach a query, a file name
    or the page as markup.
    """
    if isinstance(options, NumberRange):
        number = options.parse(value)
        if number is not None:
            return Resolved(True, number)
    else:
        by_token = {t: option for option in options if (t := token(option)) is not None}
        if value in by_token:
            return Resolved(True, by_token[value])
    fallback = token(default)
    what = f"`{shown(fallback)}`" if fallback is not None else "tanpa pilihan"
    given = f"Nilai `{shown(value)}`" if value else "Nilai kosong"
    return Resolved(False, notice=f"{given} untuk `{param}` di tautan tidak tersedia di data ini; dipakai {what}.")


def address_bar(chosen: Mapping[str, tuple[str, bool]], present: Iterable[str]) -> dict[str, str]:
    """What the address bar holds: ``chosen`` is ``{param: (token, is_default)}`` for this run.

    A value at its default is left out unless the bar already names that parameter (a shared link,
    an earlier choice), so a plain visit adds no history entry and an opened link is not rewritten;
    the "Salin tautan" box always shows every value (see :func:`link`), pinned for whoever opens it.
    """
    keep = set(present)
    return {param: tok for param, (tok, is_default) in chosen.items() if not is_default or param in keep}


def link(base: str | None, params: Mapping[str, str]) -> str:
    """The shareable link: ``base`` (the page's URL, without a query) and ``params``; relative
    (``?a=b``) without a base. Values are percent-encoded (spaces as ``%20``, as browsers show them)."""
    query = urlencode(list(params.items()), quote_via=quote)
    return f"{base or ''}?{query}" if query else (base or "")
