"""Links that restore the view, the pure part (:mod:`kla.core.links`): a value from a URL is only
ever one of the page's own options; everything else falls back to the default with a notice."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from kla.core import links as url

YEARS = [2023, 2025]
AREAS = ["36.73", "36.73.01", "36.73.02"]
HOSTILE = [
    "'; DROP TABLE kla_score; --",
    "2025' OR '1'='1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "**tebal** [tautan](http://contoh.invalid) :red[merah] :material/warning:",
    "`kode`",
    "../../etc/passwd",
    "2025\n<b>x</b>",
    "",
]


def _notice_is_plain(text: str) -> None:
    """A notice repeats link input only inside code spans, and only as safe characters."""
    spans = text.split("`")[1::2]
    for span in spans:
        assert all((c.isascii() and c.isalnum()) or c in "._-?…" for c in span), span
    outside = "".join(text.split("`")[0::2])
    for bad in ("<", ">", "[", "]", "*", ":red", ":material", "\n"):
        assert bad not in outside, (bad, text)


# ----------------------------------------------------------------- read_query


def test_known_values_are_kept_and_unknown_names_are_named_in_one_notice() -> None:
    got = url.read_query({"tahun": "2025", "wilayah": ["36.73.02"], "warna": "merah", "x<y>": "1"})
    assert got.values == {"tahun": "2025", "wilayah": "36.73.02"}
    assert len(got.notices) == 1
    assert "warna" in got.notices[0] and "tidak dikenal" in got.notices[0]
    _notice_is_plain(got.notices[0])


def test_reserved_and_streamlit_names_pass_silently() -> None:
    got = url.read_query({"lang": "en", "embed": "true", "embed_options": "light_theme", "tahun": "2025"})
    assert got.values == {"tahun": "2025"}
    assert got.notices == []


def test_a_repeated_name_keeps_its_last_value() -> None:
    assert url.read_query({"tahun": ["2023", "2025"]}).values == {"tahun": "2025"}


def test_a_10_kb_query_string_is_ignored_whole_with_a_notice() -> None:
    query = {"tahun": "2025", "wilayah": "36.73.02" + "A" * 10_000}
    assert url.query_length(query) > 10_000
    got = url.read_query(query)
    assert got.values == {}
    assert len(got.notices) == 1 and "terlalu panjang" in got.notices[0]
    many = {f"p{i}": "x" * 20 for i in range(500)}  # 10 KB spread over many short names
    got = url.read_query(many)
    assert got.values == {} and len(got.notices) == 1


def test_a_long_value_is_refused_but_the_rest_of_the_link_is_kept() -> None:
    got = url.read_query({"tahun": "2025", "skenario": "s" * (url.MAX_VALUE_CHARS + 1)})
    assert got.values == {"tahun": "2025"}
    assert len(got.notices) == 1 and "skenario" in got.notices[0]
    assert url.read_query({"skenario": "s" * url.MAX_VALUE_CHARS}).values  # at the limit: kept


def test_an_empty_query_gives_nothing() -> None:
    got = url.read_query({})
    assert got.values == {} and got.notices == []


# ----------------------------------------------------------------- resolve


def test_a_listed_value_gives_its_option() -> None:
    got = url.resolve(url.YEAR, "2023", YEARS, 2025)
    assert got.ok and got.option == 2023 and type(got.option) is int and got.notice is None


@pytest.mark.parametrize(
    ("param", "value", "options", "default"),
    [
        (url.YEAR, "1999", YEARS, 2025),  # a year with no data
        (url.YEAR, "2025.0", YEARS, 2025),  # the value is looked up, never parsed
        (url.YEAR, " 2025", YEARS, 2025),
        (url.AREA, "36.72.01", AREAS, "36.73"),  # a kecamatan of another city
        (url.AREA, "36.73.02 ", AREAS, "36.73"),
        *((url.AREA, bad, AREAS, "36.73") for bad in HOSTILE),
        *((url.YEAR, bad, YEARS, 2025) for bad in HOSTILE),
    ],
)
def test_anything_else_falls_back_to_the_default_with_a_plain_notice(
    param: str, value: str, options: list, default: object
) -> None:
    got = url.resolve(param, value, options, default)
    assert not got.ok
    assert got.notice and f"`{param}`" in got.notice and f"`{default}`" in got.notice
    _notice_is_plain(got.notice)


def test_a_default_of_none_is_named_as_no_choice() -> None:
    got = url.resolve(url.AREA, "zz", [None, *AREAS], None)
    assert not got.ok and "tanpa pilihan" in (got.notice or "")


def test_options_with_their_own_token() -> None:
    months = [dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    got = url.resolve(url.PERIOD, "2025-11", months, months[-1], url.month_token)
    assert got.ok and got.option == dt.date(2025, 11, 1)
    assert not url.resolve(url.PERIOD, "2025-11-01", months, months[-1], url.month_token).ok
    assert url.month_token("2025") == "2025" and url.month_token(None) is None


def test_shown_keeps_only_safe_characters_and_is_short() -> None:
    assert url.shown("36.73.02") == "36.73.02"
    assert url.shown("stunting_prevalence") == "stunting_prevalence"
    assert url.shown("<script>") == "?script?"
    long = url.shown("a" * 500)
    assert len(long) == url.SHOWN_CHARS + 1 and long.endswith("…")


# ----------------------------------------------------------------- link


def test_link_round_trips_through_a_query_string_parser() -> None:
    params = {"tahun": "2025", "wilayah": "36.73.02", "skenario": "Rencana A & B / 100%"}
    link = url.link("http://127.0.0.1:8501/Klaster", params)
    parts = urlsplit(link)
    assert parts.path == "/Klaster"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == params
    assert " " not in link


def test_link_without_base_is_relative_and_without_params_is_the_page() -> None:
    assert url.link(None, {"tahun": "2025"}) == "?tahun=2025"
    assert url.link("http://h/Riwayat", {}) == "http://h/Riwayat"


def test_every_parameter_has_a_description_and_a_short_name() -> None:
    assert all(name.isascii() and name.islower() and len(name) <= 15 for name in url.PARAMS)
    assert all(url.PARAMS[name] for name in url.PARAMS)
    assert url.LANG not in url.PARAMS and url.LANG in url.QUIET


# ----------------------------------------------------------------- the one unlisted kind of option


def test_a_number_range_takes_plain_decimals_inside_it_only() -> None:
    rng = url.NumberRange(0.0, 100.0, decimals=2)
    for text, number in (("14.2", 14.2), ("0", 0.0), ("100", 100.0), ("7.25", 7.25)):
        got = url.resolve(url.VALUE, text, rng, 14.2, rng.token)
        assert got.ok and got.option == number, text
    for bad in ("100.5", "-1", "1e2", "nan", "inf", "14,2", " 14.2", "14.", ".5", "7.125", "0x10", *HOSTILE):
        got = url.resolve(url.VALUE, bad, rng, 14.2, rng.token)
        assert not got.ok and "`14.2`" in (got.notice or ""), bad
        _notice_is_plain(got.notice or "")
    assert rng.token(15.0) == "15" and rng.token(14.2) == "14.2" and rng.token(None) is None
    assert 14.2 in rng and 101 not in rng and True not in rng and "14.2" not in rng


def test_the_address_bar_leaves_defaults_out_unless_it_already_names_them() -> None:
    chosen = {"wilayah": ("36.73.02", False), "tahun": ("2025", True), "banding": ("2023", True)}
    assert url.address_bar(chosen, []) == {"wilayah": "36.73.02"}
    assert url.address_bar(chosen, ["tahun", "x"]) == {"wilayah": "36.73.02", "tahun": "2025"}
    assert url.address_bar({}, ["tahun"]) == {}
