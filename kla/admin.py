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

:class:`AdminGate` checks an attempt: at most :data:`MAX_FAILURES` wrong passwords within
:data:`WINDOW` per caller (``who``) and as many from everyone together (a caller can give any
name); then attempts are refused until the window has passed, with the time to retry. A correct
password clears the count. Every attempt is a line in the audit log (:mod:`kla.audit`), and the
count is read back from it, so a restart does not reset it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import getpass as _getpass
import hashlib
import hmac
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from secrets import token_bytes
from typing import Any, TextIO

from kla import audit
from kla.errors import KlaError

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
    "Tindakan yang mengubah data (impor, rollback, simpan/ganti nama/hapus skenario, rulebook) "
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


# ----------------------------------------------------------------------------- the gate


def _clock(when: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((when - now).total_seconds() / 60))
    local = when.astimezone()
    return f"pukul {local.strftime('%H.%M')} {local.tzname() or ''}".rstrip() + f" (sekitar {minutes} menit lagi)"


class AdminGate:
    """Checks admin password attempts against ``encoded_hash`` with a rate limit, and records them.

    ``encoded_hash`` None: the gate is off (:attr:`enabled` False; :meth:`check` raises
    :class:`AdminDisabled`). ``audit_file``: the log (default :func:`kla.audit.audit_path`).
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
        """Record a data-changing action in this gate's audit log (:func:`kla.audit.append`)."""
        return audit.append(action, what, who=who, sha256=sha256, now=now, path=self.audit_file)


# ----------------------------------------------------------------------------- command line


def _instructions(encoded: str) -> str:
    return (
        "Hash kata sandi admin dibuat (kata sandinya sendiri tidak disimpan di mana pun).\n"
        "Simpan hash di atas dengan SALAH SATU cara berikut, lalu mulai ulang aplikasi:\n"
        "  1. di .streamlit/secrets.toml (berkas ini di-gitignore; batasi dengan chmod 600):\n"
        f'       {SECRETS_KEY} = "{encoded}"\n'
        "  2. atau di variabel lingkungan (tanda kutip tunggal wajib, karena hash berisi '$'):\n"
        f"       export {ENV_VAR}='{encoded}'\n"
        f"Variabel {ENV_VAR} mengalahkan secrets.toml. Jangan commit hash ini ke git.\n"
    )


def set_password(
    *,
    from_stdin: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    prompt: Callable[[str], str] | None = None,
) -> str:
    """Read a new admin password (twice with ``getpass``, or one line of ``stdin``), print its hash.

    The hash alone goes to ``stdout`` (so it can be redirected); the instructions go to ``stderr``.
    Raises :class:`KlaError` for an empty, mismatched or weak password. Returns the hash.
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    if from_stdin:
        password = stdin.readline().rstrip("\r\n")
    else:
        ask = prompt or _getpass.getpass
        password = ask("Kata sandi admin baru: ")
        if password and ask("Ulangi kata sandi admin: ") != password:
            raise KlaError("Kedua kata sandi tidak sama; tidak ada hash yang dibuat. Ulangi perintahnya.")
    if not password:
        raise KlaError("Kata sandi kosong; tidak ada hash yang dibuat.")
    encoded = hash_password(password)
    print(encoded, file=stdout)
    print(_instructions(encoded), file=stderr, end="")
    return encoded


def cmd_hash(args: argparse.Namespace) -> int:
    """``python -m kla admin hash [--stdin]`` (KlaError goes to :func:`kla.cli.main`)."""
    set_password(from_stdin=args.stdin)
    return 0


def register_cli(sub: Any, groups: dict[str, Any] | None = None) -> None:
    """Add ``admin hash`` to the ``python -m kla`` parser (list ``kla.admin`` in ``CLI_MODULES``)."""
    admin = sub.add_parser("admin", help="gerbang admin: kata sandi untuk tindakan yang mengubah data")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    p = admin_sub.add_parser(
        "hash",
        help="buat hash kata sandi admin untuk .streamlit/secrets.toml atau KLA_ADMIN_HASH",
        description="Minta kata sandi admin baru dua kali (tidak ditampilkan), lalu cetak hash scrypt-nya "
        "dan cara menyimpannya. Kata sandinya sendiri tidak pernah dicetak atau disimpan.",
    )
    p.add_argument("--stdin", action="store_true", help="baca kata sandi dari satu baris masukan standar")
    p.set_defaults(func=cmd_hash)


def main_set_password(
    argv: list[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    prompt: Callable[[str], str] | None = None,
) -> int:
    """Stand-alone ``admin hash [--stdin]``: 0 with the hash printed, 2 with a message on ``stderr``."""
    parser = argparse.ArgumentParser(prog="python -m kla admin hash", add_help=True)
    parser.add_argument("--stdin", action="store_true")
    args = parser.parse_args(list(argv or []))
    stderr = stderr or sys.stderr
    try:
        set_password(from_stdin=args.stdin, stdin=stdin, stdout=stdout, stderr=stderr, prompt=prompt)
    except KlaError as exc:
        print(f"GAGAL: {exc}", file=stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("Dibatalkan; tidak ada hash yang dibuat.", file=stderr)
        return 130
    return 0
