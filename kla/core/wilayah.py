"""Matching area names from exports and news to Kemendagri codes.

Names are compared after :func:`normalise_name` (case, spacing, punctuation and the
"Kelurahan"/"Kecamatan" prefixes ignored), then through the alias table. Kelurahan are
matched *within* their kecamatan, because the same name can exist twice in a city
(Sukawana is both 36.73.01.1008 in Serang and 36.73.04.1007 in Curug).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_PREFIX = re.compile(r"^(kelurahan|kel|desa|ds|kecamatan|kec)\b\.?\s*")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def normalise_name(name: str) -> str:
    """Lower-case, strip accents, the "Kel./Kec./Desa" prefix, spaces and punctuation.

    >>> normalise_name(" Kel. Kota  Baru ")
    'kotabaru'
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = _PREFIX.sub("", text.strip().lower())
    return _NON_ALNUM.sub("", text)


class WilayahMatcher:
    """Resolve kecamatan and kelurahan names to codes.

    Parameters
    ----------
    wilayah:
        columns ``code, level, name, parent_code`` (levels ``kota``, ``kecamatan``, ``kelurahan``).
    aliases:
        columns ``alias, code``: spelling variants seen in news and exports.
    """

    def __init__(self, wilayah: pd.DataFrame, aliases: pd.DataFrame | None = None) -> None:
        self._kecamatan: dict[str, str] = {}
        self._kelurahan: dict[tuple[str, str], str] = {}
        self._parent: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for row in wilayah.itertuples(index=False):
            self.names[row.code] = row.name
            if row.level == "kecamatan":
                self._kecamatan[normalise_name(row.name)] = row.code
            elif row.level == "kelurahan":
                self._parent[row.code] = row.parent_code
                self._kelurahan[(row.parent_code, normalise_name(row.name))] = row.code
        if aliases is not None:
            for row in aliases.itertuples(index=False):
                key = normalise_name(row.alias)
                if row.code in self._parent:
                    self._kelurahan.setdefault((self._parent[row.code], key), row.code)
                elif row.code in self._kecamatan.values():
                    self._kecamatan.setdefault(key, row.code)

    def match_kecamatan(self, name: str | None) -> str | None:
        """Code of the kecamatan called ``name``, or None."""
        if name is None or (isinstance(name, float) and pd.isna(name)):
            return None
        return self._kecamatan.get(normalise_name(name))

    def match_kelurahan(self, name: str | None, kecamatan_code: str | None) -> str | None:
        """Code of kelurahan ``name`` inside ``kecamatan_code``, or None.

        Without a kecamatan, a name is accepted only when it is unique in the city.
        """
        if name is None or (isinstance(name, float) and pd.isna(name)):
            return None
        key = normalise_name(name)
        if kecamatan_code:
            return self._kelurahan.get((kecamatan_code, key))
        hits = [code for (_, n), code in self._kelurahan.items() if n == key]
        return hits[0] if len(hits) == 1 else None

    def parent(self, kelurahan_code: str) -> str | None:
        return self._parent.get(kelurahan_code)
