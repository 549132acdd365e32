"""The app's websocket refuses a foreign Host header (defence against DNS rebinding, issue 13).

A page on another site can re-point its own name at 127.0.0.1; the browser then sends that name as
the Host header. `.streamlit/config.toml` lists the names that may connect (server.allowedHosts).
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.test_browser import streamlit_server

pytestmark = pytest.mark.slow


def _upgrade_status(port: int, host: str) -> int:
    """Status of a websocket upgrade request to Streamlit's stream endpoint with this Host header."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.putrequest("GET", "/_stcore/stream", skip_host=True)
        for name, value in {
            "Host": host,
            "Origin": f"http://{host}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": "streamlit",
        }.items():
            con.putheader(name, value)
        con.endheaders()
        return con.getresponse().status
    finally:
        con.close()


def test_websocket_accepts_local_names_and_refuses_a_foreign_host(built_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "kla.duckdb"
    shutil.copyfile(built_db, db)
    with streamlit_server({**os.environ, "KLA_DB": str(db), "KLA_AUTO_BUILD": "0"}) as (url, _):
        port = urlparse(url).port
        assert _upgrade_status(port, f"127.0.0.1:{port}") == 101
        assert _upgrade_status(port, f"localhost:{port}") == 101
        assert _upgrade_status(port, f"rebind.attacker.example:{port}") == 403
