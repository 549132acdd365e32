"""Saved what-if scenarios: read and change the city's scenario store (``records/scenarios.json``).

The store lives apart from the database (a rebuild never loses it), so its cache key is its own
fingerprint, not the database's. Saving, renaming and deleting go through the store's writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from kla.core import fmt
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook
from kla.ingest import scenarios as scenario_store
from kla.read import analysis as analysis_data
from kla.read import records
from kla.ui.admin import is_admin, record
from kla.ui.keys import WhatIf

ScenariosFingerprint = tuple[str, int, int]
NAME_MAX = scenario_store.SCENARIO_NAME_MAX
#: Why saving, renaming or deleting is refused outside an admin session.
NOT_ADMIN = (
    "Menyimpan, mengganti nama dan menghapus skenario perlu mode admin: masuk dengan kata sandi admin "
    "(di sini atau di halaman Kelola Data). Tidak ada yang diubah."
)


def scenarios_fingerprint() -> ScenariosFingerprint:
    """Cache key of the scenario store: a save shows on the next run."""
    return records.scenarios_fingerprint()


@st.cache_data(max_entries=4, show_spinner=False)
def load_scenarios(sfp: ScenariosFingerprint) -> pd.DataFrame:
    """Saved scenarios, read from their own store (not the database); ``sfp`` from :func:`scenarios_fingerprint`."""
    return analysis_data.scenarios(Path(sfp[0]))


@st.cache_data(max_entries=16, show_spinner=False)
def load_scenario_points(sfp: ScenariosFingerprint, name: str, year: int, area: str) -> dict[str, float]:
    return analysis_data.scenario_points(Path(sfp[0]), name=name, year=year, area=area)


def save_scenario(
    name: str, *, year: int, area: str, points: Mapping[str, float], base: Mapping[str, float], rulebook: Rulebook
) -> str:
    """Store a named scenario in the city's store and record it in the audit log; returns the clean name.

    Refused (:class:`KlaError`, :data:`NOT_ADMIN`) outside an admin session, checked here at the
    click, not only by the disabled button.
    """
    if not is_admin():
        raise KlaError(NOT_ADMIN)
    saved = scenario_store.save_scenario(
        None, name=name, year=year, area=area, points=points, base=base, rulebook=rulebook
    )
    record("scenario_save", f"skenario '{saved}' ({area}, {year})")
    return saved


def manage_scenario(action: str, name: str, year: int, area: str) -> None:
    """Rename or delete a saved scenario (button callback); the outcome is shown on the next run.

    Only in an admin session (else :data:`NOT_ADMIN`); each change is recorded in the audit log.
    """
    if not is_admin():
        st.session_state[WhatIf.SCENARIO_MESSAGE] = ("warn", NOT_ADMIN)
        return
    try:
        if action == "delete":
            scenario_store.delete_scenario(None, name=name, year=year, area=area)
            record("scenario_delete", f"skenario '{name}' ({area}, {year})")
            text = f"Skenario '{fmt.plain(name)}' dihapus."
        else:
            new = st.session_state.get(WhatIf.SCENARIO_NEW_NAME, "")
            clean = scenario_store.rename_scenario(None, name=name, year=year, area=area, new_name=new)
            record("scenario_rename", f"skenario '{name}' menjadi '{clean}' ({area}, {year})")
            text = f"Skenario '{fmt.plain(name)}' sekarang bernama '{fmt.plain(clean)}'."
    except KlaError as exc:
        st.session_state[WhatIf.SCENARIO_MESSAGE] = ("warn", str(exc))
        return
    st.session_state[WhatIf.SCENARIO_MESSAGE] = ("ok", text)
    # the picked name may no longer exist: let the selectbox start again from the first scenario
    for key in (WhatIf.SCENARIO_PICK, WhatIf.SCENARIO_NEW_NAME, WhatIf.SCENARIO_DELETE_CONFIRM):
        st.session_state.pop(key, None)
