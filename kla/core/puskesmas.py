"""Puskesmas names as exports and recap sheets type them: one key and one label per facility.

"Puskesmas Kilasah", "UPT PKM kilasah" and "Pusk. Kilasah" are the same facility: the import
(:mod:`kla.ingest.nutrition`, :mod:`kla.ingest.rekap`) stores them under one key, and the pages
(:mod:`kla.views.nutrition`) show one label.
"""

from __future__ import annotations

import re

from kla.core.wilayah import normalise_name

#: "UPT Puskesmas", "UPTD PKM", "Pusk.", "Pukesmas" … in front of a puskesmas name, possibly repeated
PUSKESMAS_PREFIX = re.compile(r"^\s*(?:(?:uptd?|upt\.?|puskesmas|pukesmas|pkm|pusk\.?)\b[\s.:-]*)+", re.IGNORECASE)


def puskesmas_key(name: str) -> str:
    """'Puskesmas Kilasah', 'UPT PKM kilasah', 'Pusk. Kilasah' -> 'pkm:kilasah'."""
    text = str(name)
    core = PUSKESMAS_PREFIX.sub("", text).strip() or text
    return f"pkm:{normalise_name(core)}"


def puskesmas_label(name: object) -> str:
    """``"Puskesmas Kilasah"`` from ``"Puskesmas PUSKESMAS KILASAH"``, ``"UPT PKM Kilasah"`` etc.

    Repeated prefixes are dropped and a name typed in one case is put in title case, so no page
    shows "Puskesmas PUSKESMAS X".
    """
    text = re.sub(r"\s+", " ", str(name or "")).strip()
    core = PUSKESMAS_PREFIX.sub("", text).strip() or text
    if core.isupper() or core.islower():  # typed in one case: give it the usual capitals
        core = core.title()
    return f"Puskesmas {core}"
