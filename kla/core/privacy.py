"""Keyed pseudonyms for children: HMAC-SHA256 of the NIK, never the NIK itself.

The key comes from, in order: the environment variable ``KLA_SECRET_KEY``; the key
``nik_hmac_key`` in ``.streamlit/secrets.toml``; otherwise a new random key is generated on first
use and written to ``.streamlit/secrets.toml`` (git-ignored, file mode 0600). Losing the key
means new imports can no longer be linked to children already in the database; it never exposes
a NIK. Never commit the key.

Weak keys are refused (:class:`~kla.core.errors.KlaError`, before anything is written). A NIK has few
possible values (region code, birth date, a serial number), so anyone who knows or guesses the
key can hash every plausible NIK and read the pseudonyms back. :func:`get_key` therefore rejects
a key that is shorter than :data:`MIN_KEY_BYTES` (32) bytes in UTF-8, whose estimated entropy is
under :data:`MIN_KEY_BITS` (40 × "a"), or that equals a placeholder from
``.streamlit/secrets.toml.example`` (:data:`PLACEHOLDER_KEYS`: public, so never secret). A key
file that others may read (mode other than 0600 on POSIX) is refused with the chmod that fixes it. The
fix is to delete the line (the app then generates a key) or to set a random key of at least 32
bytes, e.g. the output of ``python -c "import secrets; print(secrets.token_urlsafe(48))"``. The
generated key is 32 random bytes written as 64 hex digits; concurrent first uses agree on one
key (a lock in the system temp folder serialises the generation). Hashes made earlier with a weak
key stay in the database until it is rebuilt without them (delete the database, build, import
again): changing the key does not rewrite them.

The hash is computed inside DuckDB (``sha256`` over blobs, RFC 2104 construction), so the raw NIK
stays in the throw-away in-memory parsing engine and never becomes a Python object or a row in
the store. :func:`hmac_nik` is the plain-Python reference used by the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import tempfile
import tomllib
from pathlib import Path

from filelock import FileLock, Timeout

from kla.core import config
from kla.core.errors import KlaError

#: Counts from 1 to SUPPRESS_BELOW - 1 are hidden in anything made for sharing (tables, maps,
#: charts with a PNG download): small numbers of children can identify them in a kelurahan.
SUPPRESS_BELOW = 5

ENV_VAR = "KLA_SECRET_KEY"
SECRETS_KEY = "nik_hmac_key"
_BLOCK = 64  # SHA-256 block size in bytes

#: Shortest key accepted, in bytes of UTF-8: a shorter key can be guessed, and with it every NIK.
MIN_KEY_BYTES = 32
#: Least entropy accepted, in bits, estimated from the key's own character frequencies: 40 × "a"
#: is long enough but has none. A generated key (64 hex digits) scores about 250.
MIN_KEY_BITS = 128
#: Values shipped in ``.streamlit/secrets.toml.example`` (now and before): public, never a key.
PLACEHOLDER_KEYS = frozenset({"ganti-dengan-32-byte-acak-heksadesimal", "ganti-dengan-kunci-acak-minimal-32-byte"})
#: How to make a good key (shown in the refusal message).
GENERATE_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
#: Seconds to wait for another process that is generating the key at the same moment.
GENERATE_LOCK_TIMEOUT = 30.0


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


def _weakness(value: str) -> str | None:
    """Why ``value`` must not be used as the key, or None when it is acceptable."""
    if value.lower() in PLACEHOLDER_KEYS:
        return "masih berisi contoh dari .streamlit/secrets.toml.example (kunci publik, bukan rahasia)"
    size = len(value.encode("utf-8"))
    if size < MIN_KEY_BYTES:
        return f"terlalu pendek ({size} byte; minimal {MIN_KEY_BYTES} byte)"
    bits = estimated_bits(value)
    if bits < MIN_KEY_BITS:
        return f"terlalu mudah ditebak (entropi sekitar {bits:.0f} bit; minimal {MIN_KEY_BITS} bit)"
    return None


def estimated_bits(value: str) -> float:
    """Entropy of ``value`` estimated from its character frequencies (Shannon, times its length).

    An upper bound for keys typed by people (words are more predictable than their letters), so
    it only catches the obviously weak ones: repeated characters, short alphabets, and a short
    unit repeated ("0123456789" × 4 counts as its unit only).
    """
    n = len(value)
    period = next((p for p in range(1, n // 2 + 1) if value == (value[:p] * (n // p + 1))[:n]), n)
    unit = value[:period]
    counts = {c: unit.count(c) for c in set(unit)}
    return max(0.0, -sum(k * math.log2(k / period) for k in counts.values())) if n else 0.0


def _loose_permissions(path: Path) -> int | None:
    """The file's mode when others than its owner may read or write it (POSIX only), else None."""
    if os.name != "posix":
        return None
    mode = path.stat().st_mode & 0o777
    return mode if mode & 0o077 else None


def _refuse(where: str, reason: str, fix: str) -> KlaError:
    return KlaError(
        f"Kunci HMAC NIK {where} {reason}. NIK hanya punya sedikit kemungkinan nilai, jadi dengan kunci "
        f"yang diketahui atau pendek siapa pun bisa membalik hash NIK. {fix}, atau isi dengan kunci acak "
        f"minimal {MIN_KEY_BYTES} byte, misalnya keluaran perintah: {GENERATE_COMMAND}"
    )


def _from_file(path: Path) -> bytes | None:
    """The key stored in ``path`` (checked), or None when there is none."""
    value = _read_secrets(path).get(SECRETS_KEY)
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    reason = _weakness(value)
    if reason:
        raise _refuse(
            f"'{SECRETS_KEY}' di {path}",
            reason,
            f"Hapus baris {SECRETS_KEY} dari berkas itu agar aplikasi membuat kunci acak baru",
        )
    mode = _loose_permissions(path)
    if mode is not None:
        raise KlaError(
            f"Berkas kunci {path} bisa dibaca atau diubah pengguna lain (mode {mode:04o}); kunci di dalamnya "
            f"tidak dipakai. Batasi untuk pemiliknya saja: chmod 600 {path}"
        )
    return value.encode("utf-8")


def _generate_lock(path: Path) -> FileLock:
    """A lock per secrets file, kept in the system temp folder (never inside the project)."""
    tag = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:16]
    return FileLock(str(Path(tempfile.gettempdir()) / f"kla-secrets-{tag}.lock"), timeout=GENERATE_LOCK_TIMEOUT)


def get_key(*, create: bool = True, path: Path | None = None) -> bytes:
    """The HMAC key as bytes; generated and saved on first use when ``create`` is True.

    Raises :class:`KlaError` for a weak key (see the module docstring) or when there is none and
    ``create`` is False.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    path = path or secrets_path()
    if env:
        reason = _weakness(env)
        if reason:
            raise _refuse(
                f"di variabel lingkungan {ENV_VAR}",
                reason,
                f"Hapus variabel {ENV_VAR} agar kunci di {path} dipakai (atau dibuat otomatis)",
            )
        return env.encode("utf-8")
    key = _from_file(path)
    if key is not None:
        return key
    if not create:
        raise KlaError(f"Kunci HMAC NIK belum ada (atur {ENV_VAR} atau '{SECRETS_KEY}' di {path}).")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _generate_lock(path)
    try:
        lock.acquire()
    except Timeout as exc:
        raise KlaError(f"Proses lain sedang membuat kunci HMAC NIK di {path}; coba lagi sebentar lagi.") from exc
    except OSError:  # the temp folder refuses the lock file (e.g. another account owns it)
        return _from_file(path) or _append_new_key(path)
    try:
        return _from_file(path) or _append_new_key(path)  # another process may have written it meanwhile
    finally:
        lock.release()


def _append_new_key(path: Path) -> bytes:
    key = secrets.token_hex(32)
    existing = path.read_text("utf-8") if path.exists() else ""
    sep = "" if not existing or existing.endswith("\n") else "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{sep}# Kunci HMAC untuk NIK (dibuat otomatis). JANGAN di-commit; jangan dibagikan.\n")
        fh.write(f'{SECRETS_KEY} = "{key}"\n')
        fh.flush()
        os.fsync(fh.fileno())
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
