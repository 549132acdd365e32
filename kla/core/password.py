"""The admin gate: viewing needs no login; every action that changes data needs the admin password.

The password itself is never stored. ``python -m kla admin hash`` asks for it twice and prints a
salted scrypt hash (:func:`hash_password`), which goes either into ``.streamlit/secrets.toml``
(git-ignored) as ``admin_password_hash = "scrypt$…"`` or into the environment variable
``KLA_ADMIN_HASH`` (the variable wins: :func:`admin_hash_from_env_or_secrets`). With neither set,
the data-changing actions are off and :data:`DISABLED_MESSAGE` says how to turn them on.

Hash format: ``scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>``, 16 random bytes of salt and a
32-byte hash; :data:`SCRYPT_N` = 2**15, r = 8, p = 1 (32 MiB and about 0.1 s per check). Reading
a hash accepts n from 2**14 to 2**20, r up to 32 and p up to 16, so a tampered or mistyped hash
cannot make every check take minutes or gigabytes.

The gate that checks attempts with a rate limit is :class:`kla.ingest.admin.AdminGate`; the command
is :mod:`kla.cli.admin`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from secrets import token_bytes
from typing import Any

from kla.core.errors import KlaError

#: Environment variable holding the hash; beats ``admin_password_hash`` in ``.streamlit/secrets.toml``.
ENV_VAR = "KLA_ADMIN_HASH"
#: Key of the hash in ``.streamlit/secrets.toml`` (``st.secrets``).
SECRETS_KEY = "admin_password_hash"
#: The command that makes a hash.
HASH_COMMAND = "python -m kla admin hash"

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
#: Bounds on the parameters of a hash read from the settings.
N_RANGE = (2**14, 2**20)
MAX_R = 32
MAX_P = 16

#: Shortest admin password accepted when making a hash.
MIN_LENGTH = 12
#: Fewest different characters in it.
MIN_DISTINCT = 6
#: Least entropy, in bits, estimated from its own character frequencies (12 different characters: 43).
MIN_BITS = 36.0
#: Longest password an attempt may give (longer ones fail without being hashed).
MAX_LENGTH = 1024
#: Words that make a password guessable when they are all of its letters (compared in lower case).
COMMON_WORDS = frozenset(
    {
        "password",
        "katasandi",
        "sandi",
        "rahasia",
        "admin",
        "administrator",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "letmein",
        "welcome",
        "iloveyou",
        "bismillah",
        "indonesia",
        "serang",
        "kotaserang",
        "dinkes",
        "bappeda",
        "kla",
        "dasborkla",
    }
)

#: Characters a password must keep once the common words are taken out of it.
MIN_REST = 8
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})

#: Wrong passwords allowed within :data:`WINDOW`, per caller and from everyone together.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)

#: Shown instead of every data-changing action while no admin hash is set.
DISABLED_MESSAGE = (
    "Tindakan yang mengubah data (impor, simpan/ganti nama/hapus skenario, rulebook) "
    "dinonaktifkan karena kata sandi admin belum disetel. Untuk mengaktifkannya, jalankan "
    f"`{HASH_COMMAND}` di server, lalu simpan hash yang dicetaknya di `.streamlit/secrets.toml` "
    f'sebagai `{SECRETS_KEY} = "scrypt$…"` atau di variabel lingkungan `{ENV_VAR}`, '
    "dan mulai ulang aplikasi (lihat README)."
)

_INT = re.compile(r"[1-9][0-9]{0,9}")


class AdminDisabled(KlaError):
    """No admin hash is set: data-changing actions are off (message: :data:`DISABLED_MESSAGE`)."""

    def __init__(self) -> None:
        super().__init__(DISABLED_MESSAGE)


class RateLimited(KlaError):
    """Too many wrong passwords lately; ``retry_at`` (UTC) is when the next attempt is allowed."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


# ----------------------------------------------------------------------------- hashing


def _encode(password: str) -> bytes:
    """The bytes that are hashed: NFKC-normalised UTF-8, so a password typed on another keyboard matches."""
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _maxmem(n: int, r: int, p: int) -> int:
    return 128 * r * (n + 2 + p) + 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def estimated_bits(value: str) -> float:
    """Entropy of ``value`` from its character frequencies (Shannon, times its length).

    A repeated unit counts once ("abcabcabcabc" as "abc"). An upper bound for passwords people
    make up, so it only catches the obviously weak ones.
    """
    n = len(value)
    if not n:
        return 0.0
    period = next((p for p in range(1, n // 2 + 1) if value == (value[:p] * (n // p + 1))[:n]), n)
    unit = value[:period]
    counts = [unit.count(c) for c in set(unit)]
    return max(0.0, -sum(k * math.log2(k / period) for k in counts))


def password_weakness(password: str) -> str | None:
    """Why ``password`` must not become the admin password (Indonesian), or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"terlalu pendek ({len(password)} karakter; minimal {MIN_LENGTH})"
    if len(password) > MAX_LENGTH:
        return f"terlalu panjang ({len(password)} karakter; maksimal {MAX_LENGTH})"
    if password != password.strip():
        return "diawali atau diakhiri spasi (mudah salah ketik)"
    if len(set(password)) < MIN_DISTINCT:
        return f"hurufnya kurang beragam ({len(set(password))} karakter berbeda; minimal {MIN_DISTINCT})"
    steps = [ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)]
    if sum(1 for d in steps if -1 <= d <= 1) * 2 >= len(steps):
        return "sebagian besar berupa karakter berurutan atau berulang (mis. 'abcdef', '123456', 'aaaa')"
    bits = estimated_bits(password)
    if bits < MIN_BITS:
        return f"terlalu mudah ditebak (entropi sekitar {bits:.0f} bit; minimal {MIN_BITS:.0f} bit)"
    plain = unicodedata.normalize("NFKC", password).lower().translate(_LEET)
    rest = plain
    for word in sorted(COMMON_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    if rest != plain and len(rest) < MIN_REST:
        return (
            "hanya kata yang umum dipakai sebagai kata sandi (mis. 'password', 'admin', nama kota) "
            "ditambah sedikit angka atau simbol"
        )
    return None


def hash_password(password: str, *, check_strength: bool = True) -> str:
    """A new salted scrypt hash of ``password``: ``scrypt$n$r$p$<salt b64>$<hash b64>``.

    With ``check_strength`` (the default), a weak password (:func:`password_weakness`) is refused
    with :class:`KlaError` before anything is hashed.
    """
    if not isinstance(password, str):
        raise KlaError("Kata sandi admin harus berupa teks.")
    if check_strength:
        reason = password_weakness(password)
        if reason:
            raise KlaError(
                f"Kata sandi admin ditolak: {reason}. Pakai minimal {MIN_LENGTH} karakter yang beragam, "
                "misalnya empat kata acak yang tidak saling berhubungan dipisah tanda hubung."
            )
    salt = token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        _encode(password),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_maxmem(SCRYPT_N, SCRYPT_R, SCRYPT_P),
        dklen=HASH_BYTES,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _malformed(reason: str, where: str) -> KlaError:
    return KlaError(
        f"Hash kata sandi admin {where} tidak sah: {reason}. Buat hash baru dengan `{HASH_COMMAND}` dan "
        "salin utuh satu baris keluarannya. Bila disetel lewat shell, apit dengan tanda kutip tunggal "
        "(export KLA_ADMIN_HASH='scrypt$…') agar tanda '$' tidak diartikan oleh shell."
    )


def parse_hash(encoded: object, *, where: str = "") -> tuple[int, int, int, bytes, bytes]:
    """``(n, r, p, salt, digest)`` of an encoded hash; :class:`KlaError` (Indonesian) when malformed.

    ``where`` names the setting in the message (e.g. "di variabel lingkungan KLA_ADMIN_HASH").
    The message never repeats the value.
    """
    where = where or "(admin_password_hash / KLA_ADMIN_HASH)"
    if not isinstance(encoded, str):
        raise _malformed("bukan teks", where)
    parts = encoded.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise _malformed("bentuknya harus scrypt$n$r$p$garam$hash (6 bagian dipisah '$')", where)
    if not all(_INT.fullmatch(x) for x in parts[1:4]):
        raise _malformed("parameter n, r dan p harus bilangan bulat positif", where)
    n, r, p = (int(x) for x in parts[1:4])
    if n & (n - 1) or not N_RANGE[0] <= n <= N_RANGE[1]:
        raise _malformed(f"n harus pangkat dua antara {N_RANGE[0]} dan {N_RANGE[1]}", where)
    if not (1 <= r <= MAX_R and 1 <= p <= MAX_P):
        raise _malformed(f"r harus 1–{MAX_R} dan p harus 1–{MAX_P}", where)
    try:
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("garam atau hash bukan base64 yang sah (mungkin terpotong)", where) from None
    if len(salt) < SALT_BYTES or not 16 <= len(digest) <= 64:
        raise _malformed(f"garam minimal {SALT_BYTES} byte dan hash 16–64 byte (mungkin terpotong saat disalin)", where)
    return n, r, p, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time comparison of the scrypt outputs).

    A malformed ``encoded`` raises :class:`KlaError`; a wrong, empty or over-long password is False.
    """
    n, r, p, salt, digest = parse_hash(encoded)
    if not isinstance(password, str) or not password or len(password) > MAX_LENGTH:
        return False
    try:
        candidate = hashlib.scrypt(
            _encode(password), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=len(digest)
        )
    except (ValueError, MemoryError) as exc:
        raise KlaError(f"Hash kata sandi admin tidak bisa diperiksa di mesin ini ({exc}); buat hash baru.") from exc
    return hmac.compare_digest(candidate, digest)


# ----------------------------------------------------------------------------- settings


def admin_hash_from_env_or_secrets(secrets: Mapping[str, Any] | None = None) -> str | None:
    """The admin hash: ``KLA_ADMIN_HASH`` when set (non-blank), else ``secrets["admin_password_hash"]``.

    ``secrets`` is ``st.secrets`` in the app (a missing secrets file counts as no hash). None when
    neither is set: the data-changing actions are then off (:data:`DISABLED_MESSAGE`). A value
    that is not a scrypt hash, above all a password written in plain, raises :class:`KlaError`
    naming the setting and how to fix it, without repeating the value.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _checked(env, f"di variabel lingkungan {ENV_VAR}", f"hapus variabel {ENV_VAR} atau ganti isinya")
    if secrets is None:
        return None
    try:
        value = secrets.get(SECRETS_KEY)
    except (KeyError, FileNotFoundError):  # st.secrets without a secrets.toml raises FileNotFoundError
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    where = f"'{SECRETS_KEY}' di .streamlit/secrets.toml"
    return _checked(value, where, f"ganti nilai {SECRETS_KEY} di berkas itu")


def _checked(value: object, where: str, fix: str) -> str:
    if isinstance(value, str) and not value.strip().startswith("scrypt"):
        raise KlaError(
            f"Isi {where} bukan hash scrypt; tampaknya kata sandi biasa. Kata sandi admin tidak boleh "
            f"disimpan apa adanya: {fix} dengan hash dari `{HASH_COMMAND}`. Bila ini memang kata sandinya, "
            "anggap sudah bocor dan pilih kata sandi baru."
        )
    parse_hash(value, where=where)
    return str(value).strip()
