"""``python -m kla admin hash``: make the admin password hash (:mod:`kla.core.password`)."""

from __future__ import annotations

import argparse
import getpass as _getpass
import sys
from collections.abc import Callable
from typing import Any, TextIO

from kla.core.errors import KlaError
from kla.core.password import ENV_VAR, SECRETS_KEY, hash_password

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
    """Add ``admin hash`` to the ``python -m kla`` parser ."""
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
