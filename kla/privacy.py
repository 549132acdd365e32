"""Keyed pseudonyms for children: HMAC-SHA256 of the NIK, never the NIK itself.

The key comes from, in order: the environment variable ``KLA_SECRET_KEY``; the key
``nik_hmac_key`` in ``.streamlit/secrets.toml``; otherwise a new random key is generated on first
use and written to ``.streamlit/secrets.toml`` (git-ignored, file mode 0600). Losing the key
means new imports can no longer be linked to children already in the database; it never exposes
a NIK. Never commit the key.

The hash is computed inside DuckDB (``sha256`` over blobs, RFC 2104 construction), so the raw NIK
stays in the throw-away in-memory parsing engine and never becomes a Python object or a row in
the store. :func:`hmac_nik` is the plain-Python reference used by the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tomllib
from pathlib import Path

from kla import config
from kla.errors import KlaError

#: Counts from 1 to SUPPRESS_BELOW - 1 are hidden in anything made for sharing (tables, maps,
#: charts with a PNG download): small numbers of children can identify them in a kelurahan.
SUPPRESS_BELOW = 5

ENV_VAR = "KLA_SECRET_KEY"
SECRETS_KEY = "nik_hmac_key"
_BLOCK = 64  # SHA-256 block size in bytes


def secrets_path() -> Path:
    """``<project>/.streamlit/secrets.toml`` (``KLA_SECRETS_FILE`` overrides, for tests)."""
    env = os.environ.get("KLA_SECRETS_FILE")
    return Path(env) if env else config.PROJECT_ROOT / ".streamlit" / "secrets.toml"


def _read_secrets(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise KlaError(f"{path} bukan TOML yang valid; perbaiki atau hapus kunci '{SECRETS_KEY}'.") from exc


def get_key(*, create: bool = True, path: Path | None = None) -> bytes:
    """The HMAC key as bytes; generated and saved on first use when ``create`` is True."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env.encode("utf-8")
    path = path or secrets_path()
    value = _read_secrets(path).get(SECRETS_KEY)
    if isinstance(value, str) and value.strip():
        return value.strip().encode("utf-8")
    if not create:
        raise KlaError(f"Kunci HMAC NIK belum ada (atur {ENV_VAR} atau '{SECRETS_KEY}' di {path}).")
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text("utf-8") if path.exists() else ""
    sep = "" if not existing or existing.endswith("\n") else "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{sep}# Kunci HMAC untuk NIK (dibuat otomatis). JANGAN di-commit; jangan dibagikan.\n")
        fh.write(f'{SECRETS_KEY} = "{key}"\n')
    os.chmod(path, 0o600)
    return key.encode("utf-8")


_NON_DIGIT = re.compile(r"\D")


def clean_nik(nik: str) -> str | None:
    """Digits only; None unless exactly 16 digits remain (the NIK format)."""
    digits = _NON_DIGIT.sub("", str(nik or ""))
    return digits if len(digits) == 16 else None


def hmac_nik(nik: str, key: bytes) -> str | None:
    """Reference HMAC-SHA256 (hex) of a cleaned NIK; None when the NIK is not 16 digits."""
    digits = clean_nik(nik)
    if digits is None:
        return None
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """``(K0 xor ipad, K0 xor opad)`` for the SQL form of HMAC-SHA256."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


#: SQL expression for HMAC-SHA256 of a column of cleaned 16-digit NIKs. Bind ``$ipad`` and
#: ``$opad`` (from :func:`hmac_pads`) as BLOBs. The column name is substituted by the caller
#: from a fixed identifier, never from input.
HMAC_SQL = "sha256($opad || unhex(sha256($ipad || encode({col}))))"
