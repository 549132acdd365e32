"""Golden snapshot of each page's key numbers (issue 10: the regression reference for refactors).

Every page (``app.py`` and ``pages/*.py``) is rendered with AppTest on the session test database
and reduced to what a reader would quote: metric labels and values, the first rows of each
dataframe (numbers rounded), and for each plotly chart its title and the numeric x/y/z values of
its traces (rounded to 4 decimals). The result is compared with ``tests/golden/pages.json``.

When a change is *meant* to move a number, regenerate the file and say in the commit message
which numbers changed and why::

    KLA_GOLDEN_UPDATE=1 python -m pytest tests/test_golden_pages.py -q

The Peta page draws nothing without boundaries, so it is also recorded with the boundary mirror
loaded (skipped, not failed, where the mirror is absent).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "pages.json"
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
MIRROR = Path(os.environ.get("KLA_GEO_MIRROR", ROOT.parent / "shared" / "geo"))
UPDATE = os.environ.get("KLA_GOLDEN_UPDATE") == "1"
DECIMALS = 4
ROWS = 5
_DTYPES = {"f8": np.float64, "f4": np.float32, "i1": np.int8, "i2": np.int16, "i4": np.int32, "u1": np.uint8,
           "u2": np.uint16, "u4": np.uint32}  # fmt: skip


_WHEN = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def _num(x: Any) -> Any:
    """A rounded number, None for missing; other values as text (build times and paths masked)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, dt.datetime):
        return "<waktu>"
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return None if math.isnan(x) else round(float(x), DECIMALS) + 0.0
    text = str(x)
    return "<waktu>" if _WHEN.match(text) else text.replace(str(ROOT), "<root>")


def _array(value: Any) -> list[Any] | None:
    """A plotly data array as a list (decoding plotly's base64 typed arrays)."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=_DTYPES[value["dtype"]])
        return [_num(v) for v in arr.ravel().tolist()]
    if isinstance(value, list):
        return [_array(v) if isinstance(v, list | dict) else _num(v) for v in value]
    return [_num(value)]


def _numeric_only(values: list[Any] | None) -> list[Any] | None:
    """Keep an axis only when it carries numbers (category labels are not key numbers)."""
    if values is None:
        return None
    flat = [v for v in values if v is not None]
    if flat and all(isinstance(v, int | float | list) for v in flat):
        return values
    return None


def _figure(spec: dict) -> dict:
    title = (spec.get("layout", {}).get("title") or {}).get("text", "")
    traces = []
    for t in spec.get("data", []):
        entry: dict[str, Any] = {"type": t.get("type", "scatter"), "name": t.get("name", "")}
        for axis in ("x", "y", "z"):
            vals = _numeric_only(_array(t.get(axis)))
            if vals is not None:
                entry[axis] = vals
        traces.append(entry)
    # reference lines (targets, thresholds) drawn as shapes: their numeric ends
    lines = [
        [_num(sh.get(k)) for k in ("x0", "x1", "y0", "y1")]
        for sh in spec.get("layout", {}).get("shapes", [])
        if sh.get("type") == "line"
    ]
    return {"title": title, "traces": traces, "lines": lines}


def _frame(df: pd.DataFrame) -> dict:
    head = df.head(ROWS)
    return {
        "columns": [str(c) for c in head.columns],
        "n_rows": len(df),
        "rows": [[_num(v) for v in row] for row in head.itertuples(index=False)],
    }


def snapshot(at: AppTest) -> dict:
    return {
        "title": [t.value for t in at.title],
        "metrics": [[m.label, m.value] for m in at.metric],
        "dataframes": [_frame(d.value) for d in at.dataframe],
        "charts": [_figure(json.loads(c.proto.spec)) for c in at.get("plotly_chart")],
    }


def _run(page: str, area: str | None = None, measure: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if area is not None:
        from kla.ui.keys import Shared

        at.session_state[Shared.AREA] = area
    if page != "app.py":
        at.switch_page(page)
        at.run()
    if measure is not None:
        from kla.ui.keys import Map

        at.selectbox(key=Map.MEASURE).set_value(measure)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


def _check(name: str, got: dict) -> None:
    got = json.loads(json.dumps(got))  # the same shape the file holds (tuples → lists)
    if UPDATE:
        data = _golden()
        data[name] = got
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    want = _golden().get(name)
    assert want is not None, f"no golden entry for {name}; run with KLA_GOLDEN_UPDATE=1"
    for part in ("title", "metrics", "dataframes", "charts"):
        assert got[part] == want[part], f"{name}: {part} changed"


@pytest.mark.parametrize("page", PAGES)
def test_page_key_numbers_match_golden(app_env: Path, page: str) -> None:
    _check(page, snapshot(_run(page)))


@pytest.fixture(scope="module")
def geo_db(built_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (MIRROR / "raw").is_dir():
        pytest.skip("boundary mirror not available")
    from kla.ingest.boundaries import fetch_into

    db = tmp_path_factory.mktemp("golden_peta") / "kla.duckdb"
    shutil.copyfile(built_db, db)
    fetch_into(db, source=str(MIRROR))
    return db


@pytest.mark.parametrize(
    ("area", "measure"), [(None, None), ("36.73.02", None), ("36.73.02", "terbitan_stunting_per100")]
)
def test_map_page_with_boundaries_matches_golden(
    geo_db: Path, monkeypatch: pytest.MonkeyPatch, area: str | None, measure: str | None
) -> None:
    monkeypatch.setenv("KLA_DB", str(geo_db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        name = "+".join(["pages/2_Peta.py", "batas", *(x for x in (area, measure) if x)])
        _check(name, snapshot(_run("pages/2_Peta.py", area, measure)))
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
