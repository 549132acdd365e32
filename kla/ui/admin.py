"""The admin gate on the pages: viewing needs no login; every data-changing action needs the admin password.

A correct password (checked by :class:`kla.ingest.admin.AdminGate`: rate-limited, every attempt in
the audit log) opens an admin session in this browser session for
:data:`kla.views.manage.ADMIN_SESSION`; the flag lives in the server-side session state, so a
browser cannot set it. With no admin hash configured every data-changing action is off and says
how to turn it on (:data:`kla.core.password.DISABLED_MESSAGE`). Kelola Data and Simulasi share it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import streamlit as st

from kla.core.errors import KlaError
from kla.core.password import DISABLED_MESSAGE, AdminDisabled, RateLimited
from kla.ingest.admin import AdminGate
from kla.ui.keys import Admin
from kla.views.manage import ADMIN_SESSION, ADMIN_WHO, admin_session_valid

log = logging.getLogger("kla.ui")


def _now() -> datetime:
    return datetime.now(UTC)


def admin_gate() -> tuple[AdminGate | None, str | None]:
    """The gate for the configured hash, or ``(None, why)`` when data-changing actions are off.

    Read on every run (cheap: no hashing), so a hash set or removed takes effect on the next
    page load; a malformed setting gives its own Indonesian message, never the value.
    """
    try:
        gate = AdminGate.from_settings(st.secrets)
    except KlaError as exc:
        return None, f"Tindakan yang mengubah data dinonaktifkan: {exc}"
    if not gate.enabled:
        return None, DISABLED_MESSAGE
    return gate, None


def is_admin() -> bool:
    """Whether this browser session holds an open admin session (and the gate is still enabled)."""
    if not admin_session_valid(st.session_state.get(Admin.UNTIL), _now()):
        st.session_state.pop(Admin.UNTIL, None)
        return False
    return admin_gate()[0] is not None


def _login() -> None:
    """Button callback: check the typed password once, then forget it."""
    password = str(st.session_state.get(Admin.PASSWORD) or "")
    st.session_state[Admin.PASSWORD] = ""  # never kept in the session after the check
    gate, why = admin_gate()
    if gate is None:
        st.session_state[Admin.MESSAGE] = ("error", why)
        return
    if not password:
        st.session_state[Admin.MESSAGE] = ("warn", "Ketik kata sandi admin dulu.")
        return
    try:
        ok = gate.check(password, who=ADMIN_WHO)
    except RateLimited as exc:
        st.session_state[Admin.MESSAGE] = ("error", str(exc))
        return
    except AdminDisabled:
        st.session_state[Admin.MESSAGE] = ("error", DISABLED_MESSAGE)
        return
    except KlaError as exc:  # the audit log cannot be written: no attempt without its record
        st.session_state[Admin.MESSAGE] = ("error", f"Kata sandi tidak diperiksa: {exc}")
        return
    if ok:
        st.session_state[Admin.UNTIL] = _now() + ADMIN_SESSION
        st.session_state[Admin.MESSAGE] = ("ok", "Masuk sebagai admin.")
    else:
        st.session_state[Admin.MESSAGE] = (
            "error",
            "Kata sandi admin salah. Percobaan ini dicatat; setelah beberapa kali salah, percobaan ditolak sementara.",
        )


def _logout() -> None:
    st.session_state.pop(Admin.UNTIL, None)
    st.session_state[Admin.MESSAGE] = ("ok", "Keluar dari mode admin.")


def admin_login(*, compact: bool = False) -> bool:
    """The admin box: login form, or who is in and until when; returns whether admin actions are open.

    With no admin hash, shows why the actions are off and how to enable them. ``compact``: a
    smaller box for a page whose main business is not data management (Simulasi).
    """
    message = st.session_state.pop(Admin.MESSAGE, None)
    if message:
        {"ok": st.success, "warn": st.warning}.get(message[0], st.error)(message[1])
    gate, why = admin_gate()
    if gate is None:
        st.info(why)
        return False
    if is_admin():
        until = st.session_state[Admin.UNTIL].astimezone()
        a, b = st.columns([3, 1])
        a.caption(f"Mode admin aktif sampai pukul {until:%H.%M} (waktu server). Setiap perubahan dicatat di log audit.")
        b.button("Keluar dari mode admin", key=Admin.LOGOUT, on_click=_logout)
        return True
    label = "Kata sandi admin" if not compact else "Kata sandi admin (untuk menyimpan, mengganti nama, menghapus)"
    st.text_input(label, type="password", key=Admin.PASSWORD, max_chars=1024, autocomplete="current-password")
    st.button("Masuk sebagai admin", key=Admin.LOGIN, on_click=_login)
    if not compact:
        st.caption(
            f"Melihat tidak perlu masuk. Mengubah data perlu kata sandi admin; mode admin berlaku "
            f"{int(ADMIN_SESSION.total_seconds() // 60)} menit. Percobaan yang salah dibatasi dan dicatat."
        )
    return False


def record(action: str, what: object, *, sha256: str | None = None) -> str | None:
    """Record a data-changing action in the audit log; returns a warning text when it could not be written."""
    gate, why = admin_gate()
    if gate is None:
        return why
    try:
        gate.record(action, what, who=ADMIN_WHO, sha256=sha256)
    except KlaError as exc:
        log.warning("audit log not written: %s", exc)
        return f"Perubahan berhasil, tetapi log audit tidak bisa ditulis: {exc}"
    return None
