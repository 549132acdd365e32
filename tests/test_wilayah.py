"""Name matching against the wilayah and alias tables, within the kecamatan."""

from __future__ import annotations

import pandas as pd
import pytest

from kla.core.config import load_city
from kla.core.wilayah import WilayahMatcher, normalise_name

CITY = load_city()
MATCHER = WilayahMatcher(pd.read_csv(CITY.wilayah, dtype=str), pd.read_csv(CITY.wilayah_alias, dtype=str))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Kel. Kota  Baru ", "kotabaru"),
        ("KASEMEN", "kasemen"),
        ("Kec. Cipocok-Jaya", "cipocokjaya"),
        ("Désa Sukawana", "sukawana"),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "kecamatan", "expected"),
    [
        ("Kota Baru", "Serang", "36.73.01.1004"),
        ("Kotabaru", "Serang", "36.73.01.1004"),  # alias and spacing
        ("KALANG ANYAR", "Taktakan", "36.73.06.1005"),
        ("Kelodran", "Walantaka", "36.73.03.1008"),  # alias only (different spelling)
        ("Drangon", "Taktakan", "36.73.06.1008"),
        ("Sukawana", "Serang", "36.73.01.1008"),  # the same name in two kecamatan
        ("Sukawana", "Curug", "36.73.04.1007"),
        ("Kilasah", "Kasemen", "36.73.02.1009"),
        ("Kilasah", "Curug", None),  # right name, wrong kecamatan
        ("Atlantis", "Serang", None),
    ],
)
def test_match_kelurahan_within_kecamatan(name: str, kecamatan: str, expected: str | None) -> None:
    kec = MATCHER.match_kecamatan(kecamatan)
    assert kec is not None
    assert MATCHER.match_kelurahan(name, kec) == expected


def test_ambiguous_name_without_kecamatan_is_not_guessed() -> None:
    assert MATCHER.match_kelurahan("Sukawana", None) is None
    assert MATCHER.match_kelurahan("Kilasah", None) == "36.73.02.1009"


def test_kecamatan_names() -> None:
    assert MATCHER.match_kecamatan("Kec. Cipocok Jaya") == "36.73.05"
    assert MATCHER.match_kecamatan("Cilegon") is None
