"""The admin gate (kla.core.password, kla.ingest.admin, kla.cli.admin) and the audit log (kla.ingest.audit).

Each test has its own records folder (conftest's ``private_records`` sets KLA_RECORDS_DIR), so
the audit log and with it the rate limit start empty.
"""

from __future__ import annotations

import io
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kla.cli import admin as admin_cli
from kla.core import password
from kla.core.errors import KlaError
from kla.ingest import admin as admin_gate
from kla.ingest import audit
from tests.cli import run_kla

GOOD = "kuda-biru-makan-sate-77"
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def encoded() -> str:
    return password.hash_password(GOOD)


@pytest.fixture(autouse=True)
def no_env_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(password.ENV_VAR, raising=False)


@pytest.fixture
def log(private_records: Path) -> Path:
    return private_records / audit.AUDIT_FILE


# ----------------------------------------------------------------------------- hashing


def test_round_trip(encoded: str) -> None:
    assert encoded.startswith(f"scrypt${password.SCRYPT_N}$8$1$")
    assert len(encoded.split("$")) == 6
    assert password.verify_password(GOOD, encoded)
    assert GOOD not in encoded


def test_wrong_password_is_false(encoded: str) -> None:
    assert not password.verify_password(GOOD + "x", encoded)
    assert not password.verify_password(GOOD.upper(), encoded)
    assert not password.verify_password("", encoded)
    assert not password.verify_password("a" * (password.MAX_LENGTH + 1), encoded)


def test_salt_differs_between_hashes(encoded: str) -> None:
    again = password.hash_password(GOOD)
    assert again != encoded
    assert again.split("$")[4] != encoded.split("$")[4]
    assert password.verify_password(GOOD, again)


def test_unicode_normalised() -> None:
    # "é" as one code point or as "e" + combining accent: the same password
    composed = "kopi-hangat-café-pagi-9"
    h = password.hash_password(composed)
    assert password.verify_password(composed.replace("é", "e\u0301"), h)


@pytest.mark.parametrize(
    "bad, words",
    [
        ("", "6 bagian"),
        ("kata-sandi-biasa", "6 bagian"),
        ("scrypt$16384$8$1$abc", "6 bagian"),
        ("bcrypt$16384$8$1$AAAA$AAAA", "6 bagian"),
        ("scrypt$abc$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "bilangan bulat"),
        ("scrypt$-16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "bilangan bulat"),
        ("scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "pangkat dua"),
        ("scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "pangkat dua"),
        ("scrypt$2147483648$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "pangkat dua"),
        ("scrypt$16384$999$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "r harus"),
        ("scrypt$16384$8$1$not*base64$AAAAAAAAAAAAAAAAAAAAAA==", "base64"),
        ("scrypt$16384$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==", "terpotong"),
    ],
)
def test_malformed_hash_message(bad: str, words: str) -> None:
    with pytest.raises(KlaError) as err:
        password.verify_password(GOOD, bad)
    msg = str(err.value)
    assert "tidak sah" in msg and words in msg
    assert password.HASH_COMMAND in msg  # says how to make a good one
    assert "tanda kutip tunggal" in msg  # the usual cause: `$` eaten by the shell


def test_truncated_hash_refused(encoded: str) -> None:
    with pytest.raises(KlaError, match="tidak sah"):
        password.verify_password(GOOD, encoded[:-10])


@pytest.mark.parametrize(
    "weak, words",
    [
        ("pendek-1!", "terlalu pendek"),
        ("a" * 20, "kurang beragam"),
        ("abababababababab", "kurang beragam"),
        ("abcdefghijklmnop", "berurutan"),
        ("123456789012", "berurutan"),
        ("aabbccddeeffgghh", "berurutan"),
        ("xyzxyzqrsqrsxyzqrs", "berurutan"),
        ("password1234", "umum"),
        ("P@ssw0rd-2024!", "umum"),
        ("kotaserang2024", "umum"),
        ("admin-dinkes-serang", "umum"),
        ("  spasi-di-depan-kata", "spasi"),
    ],
)
def test_weak_password_refused(weak: str, words: str) -> None:
    assert words in (password.password_weakness(weak) or "")
    with pytest.raises(KlaError, match="Kata sandi admin ditolak") as err:
        password.hash_password(weak)
    assert weak.strip() not in str(err.value)  # never echoed


@pytest.mark.parametrize(
    "strong", [GOOD, "Tr0ub4dor&3x-kla", "correct horse battery staple", "kelurahan-Kaligandu#2024"]
)
def test_strong_passwords_accepted(strong: str) -> None:
    assert password.password_weakness(strong) is None


# ----------------------------------------------------------------------------- settings


def test_unset_is_none() -> None:
    assert password.admin_hash_from_env_or_secrets(None) is None
    assert password.admin_hash_from_env_or_secrets({}) is None
    assert password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: "  "}) is None


def test_missing_secrets_file_is_none() -> None:
    class NoFile(dict):
        def get(self, key, default=None):  # st.secrets without a secrets.toml
            raise FileNotFoundError("No secrets found")

    assert password.admin_hash_from_env_or_secrets(NoFile()) is None


def test_secrets_used(encoded: str) -> None:
    assert password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: encoded}) == encoded


def test_env_beats_secrets(encoded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    other = password.hash_password("lampu-hijau-di-jalan-9")
    monkeypatch.setenv(password.ENV_VAR, f" {other}\n")
    assert password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: encoded}) == other
    monkeypatch.setenv(password.ENV_VAR, "   ")  # blank counts as unset
    assert password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: encoded}) == encoded


def test_plaintext_in_env_refused(monkeypatch: pytest.MonkeyPatch, encoded: str) -> None:
    monkeypatch.setenv(password.ENV_VAR, GOOD)
    with pytest.raises(KlaError) as err:
        password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: encoded})
    msg = str(err.value)
    assert password.ENV_VAR in msg and "kata sandi biasa" in msg and password.HASH_COMMAND in msg
    assert GOOD not in msg


def test_plaintext_in_secrets_refused() -> None:
    with pytest.raises(KlaError, match="kata sandi biasa") as err:
        password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: GOOD})
    assert password.SECRETS_KEY in str(err.value) and GOOD not in str(err.value)


def test_shell_mangled_env_refused(monkeypatch: pytest.MonkeyPatch, encoded: str) -> None:
    # export KLA_ADMIN_HASH="scrypt$32768$8$1$…" in double quotes: the shell eats "$3…" and "$8" etc.
    monkeypatch.setenv(password.ENV_VAR, "scrypt2768$" + encoded.split("$", 4)[4])
    with pytest.raises(KlaError, match="tanda kutip tunggal"):
        password.admin_hash_from_env_or_secrets(None)
    monkeypatch.setenv(password.ENV_VAR, "scrypt$$$" + encoded.split("$", 4)[4])
    with pytest.raises(KlaError, match="tanda kutip tunggal"):
        password.admin_hash_from_env_or_secrets(None)


def test_non_string_secret_refused() -> None:
    with pytest.raises(KlaError, match="bukan teks"):
        password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: 12345})


# ----------------------------------------------------------------------------- the gate


def test_disabled_gate() -> None:
    gate = admin_gate.AdminGate.from_settings({})
    assert not gate.enabled
    with pytest.raises(password.AdminDisabled) as err:
        gate.check(GOOD, who="x", now=T0)
    assert str(err.value) == password.DISABLED_MESSAGE
    assert password.HASH_COMMAND in password.DISABLED_MESSAGE
    assert password.SECRETS_KEY in password.DISABLED_MESSAGE and password.ENV_VAR in password.DISABLED_MESSAGE


def test_gate_refuses_malformed_hash() -> None:
    with pytest.raises(KlaError, match="tidak sah"):
        admin_gate.AdminGate("scrypt$1$2$3$4$5")


def test_check_records_outcome(encoded: str, log: Path) -> None:
    gate = admin_gate.AdminGate(encoded)
    assert gate.audit_file == log
    assert gate.check(GOOD, who="operator", now=T0)
    assert not gate.check("salah-sekali-ini-99", who="operator", now=T0 + timedelta(seconds=1))
    assert not gate.check("", who="operator", now=T0)  # not an attempt: not recorded
    entries = audit.read(path=log)
    assert [e["action"] for e in entries] == ["login_ok", "login_failed"]
    assert entries[0]["time"] == "2024-05-01T08:00:00.000Z"
    assert all(e["who"] == "operator" and e["sha256"] is None for e in entries)
    text = log.read_text("utf-8")
    assert GOOD not in text and "salah-sekali-ini-99" not in text


def fail(
    gate: admin_gate.AdminGate, n: int, *, who: str, start: datetime, step: timedelta = timedelta(minutes=1)
) -> None:
    for i in range(n):
        assert not gate.check(f"tebakan-salah-ke-{i}", who=who, now=start + i * step)


def test_rate_limit_blocks_sixth_and_releases(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded)
    fail(gate, 5, who="penyerang", start=T0)  # T0 … T0+4 min
    sixth = T0 + timedelta(minutes=5)
    with pytest.raises(password.RateLimited) as err:
        gate.check(GOOD, who="penyerang", now=sixth)  # even the right password is not tried
    assert err.value.retry_at == T0 + password.WINDOW
    msg = str(err.value)
    assert "Coba lagi pukul" in msg and "10 menit lagi" in msg
    assert gate.blocked_until("penyerang", sixth) == T0 + password.WINDOW
    # one second before the first failure leaves the window: still blocked
    with pytest.raises(password.RateLimited):
        gate.check(GOOD, who="penyerang", now=T0 + password.WINDOW - timedelta(seconds=1))
    # blocked attempts are not recorded, so they do not extend the block
    assert [e["action"] for e in audit.read()].count("login_failed") == 5
    # the window has passed for the first failure: one more attempt allowed
    assert gate.blocked_until("penyerang", T0 + password.WINDOW) is None
    assert gate.check(GOOD, who="penyerang", now=T0 + password.WINDOW)


def test_blocked_again_right_after_release(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded)
    fail(gate, 5, who="a", start=T0)
    release = T0 + password.WINDOW
    assert not gate.check("masih-salah-lagi-1", who="a", now=release)
    # the 5 failures within the window are now T0+1 … T0+4 and `release`: blocked until T0+1+15
    with pytest.raises(password.RateLimited) as err:
        gate.check(GOOD, who="a", now=release + timedelta(seconds=5))
    assert err.value.retry_at == T0 + timedelta(minutes=1) + password.WINDOW


def test_success_clears_the_count(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded)
    fail(gate, 4, who="admin", start=T0)
    assert gate.check(GOOD, who="admin", now=T0 + timedelta(minutes=5))
    fail(gate, 4, who="admin", start=T0 + timedelta(minutes=6))
    assert gate.blocked_until("admin", T0 + timedelta(minutes=10)) is None


def test_global_limit_across_names(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded)
    for i in range(5):  # a caller can give any name
        assert not gate.check("tebakan-salah-lagi", who=f"nama-{i}", now=T0 + timedelta(seconds=i))
    with pytest.raises(password.RateLimited):
        gate.check(GOOD, who="nama-baru", now=T0 + timedelta(minutes=1))


def test_per_caller_limit_below_global(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded, max_failures=3, max_failures_global=10)
    fail(gate, 3, who="satu", start=T0)
    with pytest.raises(password.RateLimited):
        gate.check(GOOD, who="satu", now=T0 + timedelta(minutes=4))
    assert gate.check(GOOD, who="dua", now=T0 + timedelta(minutes=4))


def test_state_survives_a_new_gate(encoded: str) -> None:
    fail(admin_gate.AdminGate(encoded), 5, who="penyerang", start=T0)
    restarted = admin_gate.AdminGate(encoded)  # a new process reads the same log
    with pytest.raises(password.RateLimited):
        restarted.check(GOOD, who="penyerang", now=T0 + timedelta(minutes=6))


def test_concurrent_attempts_do_not_slip_past_the_limit(encoded: str) -> None:
    gate = admin_gate.AdminGate(encoded)
    results: list[object] = []

    def attempt(i: int) -> None:
        try:
            results.append(gate.check(f"tebakan-bersamaan-{i}", who="x", now=T0))
        except password.RateLimited as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(False) == 5
    assert sum(isinstance(r, password.RateLimited) for r in results) == 3
    assert len(audit.read()) == 5


def test_gate_records_actions(encoded: str, log: Path) -> None:
    gate = admin_gate.AdminGate(encoded)
    sha = "ab" * 32
    gate.record("import", "e-PPGBM eppgbm_2024_05.csv (120 baris)", who="operator", sha256=sha.upper(), now=T0)
    (entry,) = audit.read(path=log)
    assert entry == {
        "time": "2024-05-01T08:00:00.000Z",
        "who": "operator",
        "action": "import",
        "what": "e-PPGBM eppgbm_2024_05.csv (120 baris)",
        "sha256": sha,
    }


# ----------------------------------------------------------------------------- audit log


def test_audit_file_mode_0600(log: Path) -> None:
    audit.append("rollback", "kembali ke keadaan 2", who="admin", now=T0)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    os.chmod(log, 0o644)  # loosened by hand: put back on the next write
    audit.append("rollback", "kembali ke keadaan 1", who="admin", now=T0)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_audit_lines_are_json(log: Path) -> None:
    for action in sorted(audit.ACTIONS):
        audit.append(action, f"uji {action}", who="admin", now=T0)
    lines = log.read_text("utf-8").splitlines()
    assert len(lines) == len(audit.ACTIONS)
    for line in lines:
        assert set(json.loads(line)) == {"time", "who", "action", "what", "sha256"}


def test_audit_rejects_unknown_action_and_bad_sha() -> None:
    with pytest.raises(ValueError):
        audit.append("hapus_semua", "x", who="a")
    with pytest.raises(ValueError):
        audit.append("import", "x", who="a", sha256="1234")


def test_truncated_last_line_tolerated(log: Path) -> None:
    audit.append("import", "pertama", who="a", now=T0)
    audit.append("import", "kedua", who="a", now=T0 + timedelta(seconds=1))
    with open(log, "ab") as fh:  # a crash in the middle of a line
        fh.write(b'{"time": "2024-05-01T08:00:02.000Z", "who": "a", "act')
    assert [e["what"] for e in audit.read(path=log)] == ["pertama", "kedua"]
    # the next entry starts on a fresh line, and the cut line stays skipped
    audit.append("rollback", "ketiga", who="a", now=T0 + timedelta(seconds=3))
    assert [e["what"] for e in audit.read(path=log)] == ["pertama", "kedua", "ketiga"]
    assert [e["what"] for e in audit.read(2, path=log)] == ["kedua", "ketiga"]
    with open(log, "ab") as fh:  # garbage that is not UTF-8, and an empty line
        fh.write(b"\xff\xfe\n\n")
    assert len(audit.read(path=log)) == 3


def test_read_without_log() -> None:
    assert audit.read() == []
    assert audit.recent_failures("x", T0) == []


def test_read_limit_over_many_blocks(log: Path) -> None:
    for i in range(1000):  # > 64 KiB: read backwards across several blocks
        audit.append("scenario_save", f"skenario {i} " + "x" * 100, who="a", now=T0 + timedelta(seconds=i))
    assert log.stat().st_size > 2 * 64 * 1024
    assert [e["what"].split()[1] for e in audit.read(3)] == ["997", "998", "999"]
    assert len(audit.read()) == 1000
    assert audit.read(0) == []


def test_nik_scrubbed(log: Path) -> None:
    nik = "3673012345670001"
    audit.append("scenario_save", f"Skenario anak {nik} dan 3673 0123 4567 0002", who=f"petugas {nik}", now=T0)
    audit.append("import", "NIK 3673-0123-4567-0003 dalam nama berkas", who="a", now=T0)
    text = log.read_text("utf-8")
    assert "3673" not in text
    (first, second) = audit.read(path=log)
    assert first["what"] == "Skenario anak [disembunyikan] dan [disembunyikan]"
    assert first["who"] == "petugas [disembunyikan]"
    assert second["what"] == "NIK [disembunyikan] dalam nama berkas"


def test_other_personal_data_scrubbed() -> None:
    s = audit.clean_text("hubungi 0812-3456-7890 atau +62 812 3456 7890 / budi.s@contoh.go.id")
    assert s == "hubungi [disembunyikan] atau [disembunyikan] / [disembunyikan]"
    # ordinary figures stay: periods, counts, area codes
    assert (
        audit.clean_text("Periode 2024-05, 12345 baris, 3673 kecamatan")
        == "Periode 2024-05, 12345 baris, 3673 kecamatan"
    )


def test_long_text_truncated_after_scrubbing() -> None:
    cleaned = audit.clean_text("a" * 190 + " 3673012345670001" + "b" * 100)
    assert len(cleaned) == audit.MAX_TEXT
    assert "367301" not in cleaned
    entry = audit.append("import", "x" * 1000, who="y" * 1000, now=T0)
    assert len(entry["what"]) == audit.MAX_TEXT and len(entry["who"]) == audit.MAX_TEXT


def test_one_line_per_entry(log: Path) -> None:
    audit.append("scenario_rename", "baris\nbaru\r\n{palsu}\u2028x", who="a\tb", now=T0)
    (entry,) = audit.read(path=log)
    assert entry["what"] == "baris baru {palsu} x" and entry["who"] == "a b"
    assert len(log.read_bytes().splitlines()) == 1


def test_recent_failures_window_and_who() -> None:
    audit.append("login_failed", "x", who="a", now=T0)
    audit.append("login_failed", "x", who="b", now=T0 + timedelta(minutes=1))
    audit.append("import", "x", who="a", now=T0 + timedelta(minutes=2))
    audit.append("login_failed", "x", who="a", now=T0 + timedelta(minutes=3))
    assert audit.recent_failures("a", T0) == [T0, T0 + timedelta(minutes=3)]
    assert audit.recent_failures("a", T0 + timedelta(seconds=1)) == [T0 + timedelta(minutes=3)]
    assert len(audit.recent_failures(None, T0)) == 3
    audit.append("login_ok", "x", who="b", now=T0 + timedelta(minutes=4))
    assert len(audit.recent_failures("a", T0)) == 2  # b's success does not clear a's count
    assert audit.recent_failures(None, T0) == []  # anyone's success clears the global count
    assert len(audit.recent_failures(None, T0, reset_on_ok=False)) == 3


# ----------------------------------------------------------------------------- command line


def test_cli_stdin_prints_hash_not_password() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = admin_cli.main_set_password(["--stdin"], stdin=io.StringIO(GOOD + "\n"), stdout=out, stderr=err)
    assert code == 0
    encoded = out.getvalue().strip()
    assert password.verify_password(GOOD, encoded)
    assert GOOD not in out.getvalue() + err.getvalue()
    assert f'{password.SECRETS_KEY} = "{encoded}"' in err.getvalue()
    assert f"export {password.ENV_VAR}='{encoded}'" in err.getvalue()
    assert password.admin_hash_from_env_or_secrets({password.SECRETS_KEY: encoded}) == encoded


def test_cli_prompts_twice() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return GOOD

    out, err = io.StringIO(), io.StringIO()
    assert admin_cli.main_set_password([], stdout=out, stderr=err, prompt=prompt) == 0
    assert len(asked) == 2 and password.verify_password(GOOD, out.getvalue().strip())


def test_cli_mismatch_weak_and_empty() -> None:
    answers = iter([GOOD, GOOD + "?"])
    out, err = io.StringIO(), io.StringIO()
    assert admin_cli.main_set_password([], stdout=out, stderr=err, prompt=lambda _: next(answers)) == 2
    assert "tidak sama" in err.getvalue() and out.getvalue() == ""
    err = io.StringIO()
    assert admin_cli.main_set_password(["--stdin"], stdin=io.StringIO("zq9!xw\n"), stdout=out, stderr=err) == 2
    assert "terlalu pendek" in err.getvalue() and "zq9!xw" not in err.getvalue()
    err = io.StringIO()
    assert admin_cli.main_set_password(["--stdin"], stdin=io.StringIO(""), stdout=out, stderr=err) == 2
    assert "kosong" in err.getvalue() and out.getvalue() == ""
    assert GOOD not in err.getvalue()


def test_register_cli() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    admin_cli.register_cli(sub, {})
    args = parser.parse_args(["admin", "hash", "--stdin"])
    assert args.func is admin_cli.cmd_hash and args.stdin


@pytest.mark.slow
def test_python_m_kla_admin_hash(tmp_path) -> None:
    """The real entry point: ``python -m kla admin hash --stdin`` prints a hash that verifies."""

    done = run_kla("admin", "hash", "--stdin", input=GOOD + "\n", timeout=60)
    assert done.returncode == 0, done.stderr
    encoded = done.stdout.strip()
    assert password.verify_password(GOOD, encoded)
    assert GOOD not in done.stdout + done.stderr
    weak = run_kla("admin", "hash", "--stdin", input="zq9!xw\n", timeout=60)
    assert weak.returncode == 2 and "terlalu pendek" in weak.stderr and weak.stdout == ""
