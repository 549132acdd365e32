"""The admin gate: :class:`AdminGate` checks password attempts with a rate limit and records them.

Hashing and the settings live in :mod:`kla.core.password`; the log in :mod:`kla.ingest.audit`. At
most :data:`~kla.core.password.MAX_FAILURES` wrong passwords within
:data:`~kla.core.password.WINDOW` per caller (``who``) and as many from everyone together (a caller
can give any name); then attempts are refused until the window has passed, with the time to retry.
A correct password clears the count. The count is read back from the audit log, so a restart does
not reset it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kla.core.password import (
    MAX_FAILURES,
    WINDOW,
    AdminDisabled,
    RateLimited,
    admin_hash_from_env_or_secrets,
    parse_hash,
    verify_password,
)
from kla.ingest import audit

# ----------------------------------------------------------------------------- the gate


def _clock(when: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((when - now).total_seconds() / 60))
    local = when.astimezone()
    return f"pukul {local.strftime('%H.%M')} {local.tzname() or ''}".rstrip() + f" (sekitar {minutes} menit lagi)"


class AdminGate:
    """Checks admin password attempts against ``encoded_hash`` with a rate limit, and records them.

    ``encoded_hash`` None: the gate is off (:attr:`enabled` False; :meth:`check` raises
    :class:`AdminDisabled`). ``audit_file``: the log (default :func:`kla.ingest.audit.audit_path`).
    The limit's state lives in the log only, so a new gate (after a restart) sees the same count.
    """

    def __init__(
        self,
        encoded_hash: str | None,
        *,
        audit_file: Path | None = None,
        max_failures: int = MAX_FAILURES,
        max_failures_global: int = MAX_FAILURES,
        window: timedelta = WINDOW,
    ) -> None:
        if encoded_hash is not None:
            parse_hash(encoded_hash)
        self._hash = encoded_hash
        self.audit_file = Path(audit_file) if audit_file else audit.audit_path()
        self.max_failures = max_failures
        self.max_failures_global = max_failures_global
        self.window = window

    @classmethod
    def from_settings(cls, secrets: Mapping[str, Any] | None = None, **kwargs: Any) -> AdminGate:
        """A gate for the hash of :func:`admin_hash_from_env_or_secrets` (``st.secrets`` in the app)."""
        return cls(admin_hash_from_env_or_secrets(secrets), **kwargs)

    @property
    def enabled(self) -> bool:
        """Whether an admin hash is set (otherwise every data-changing action is off)."""
        return self._hash is not None

    def blocked_until(self, who: str, now: datetime | None = None) -> datetime | None:
        """When attempts by ``who`` are allowed again (UTC), or None when they are allowed now."""
        now = audit.utc(now)
        since = now - self.window
        latest = None
        for name, limit in ((who, self.max_failures), (None, self.max_failures_global)):
            fails = audit.recent_failures(name, since, path=self.audit_file)
            if len(fails) >= limit:
                until = fails[-limit] + self.window  # when the oldest of the last `limit` leaves the window
                if until > now:
                    latest = until if latest is None else max(latest, until)
        return latest

    def check(self, password: str, *, who: str, now: datetime | None = None) -> bool:
        """Whether ``password`` is the admin password; each attempt is recorded in the audit log.

        Raises :class:`AdminDisabled` when no hash is set and :class:`RateLimited` (message with the
        time to retry) after too many wrong passwords; neither is recorded as an attempt. An empty
        password is False and not counted.
        """
        if self._hash is None:
            raise AdminDisabled()
        if not password:
            return False
        now = audit.utc(now)
        with audit.locked(self.audit_file):  # count, check and record as one step
            until = self.blocked_until(who, now)
            if until is not None:
                raise RateLimited(
                    "Terlalu banyak percobaan kata sandi admin yang salah dalam "
                    f"{int(self.window.total_seconds() // 60)} menit terakhir; percobaan ditolak sementara. "
                    f"Coba lagi {_clock(until, now)}.",
                    until,
                )
            ok = verify_password(password, self._hash)
            audit.append(
                "login_ok" if ok else "login_failed",
                "kata sandi admin benar" if ok else "kata sandi admin salah",
                who=who,
                now=now,
                path=self.audit_file,
            )
        return ok

    def record(
        self, action: str, what: object, *, who: str, sha256: str | None = None, now: datetime | None = None
    ) -> dict:
        """Record a data-changing action in this gate's audit log (:func:`kla.ingest.audit.append`)."""
        return audit.append(action, what, who=who, sha256=sha256, now=now, path=self.audit_file)
