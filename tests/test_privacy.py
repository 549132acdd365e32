"""The NIK HMAC key: weak or public keys are refused, the generated key is strong and single."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kla.core import privacy
from kla.core.config import PROJECT_ROOT
from kla.core.errors import KlaError
from tests.cli import run_kla
from tests.fixtures.nutrition import good_rows, write_csv

EXAMPLE = PROJECT_ROOT / ".streamlit" / "secrets.toml.example"
STRONG = "Zr8v1Qk3-hXo9Lw2_Pm5Ty7Nc4Bd6Fg0Js8Ke1Ua3Wi"  # 44 bytes, made for this test only


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def example_uncommented(dest: Path) -> Path:
    """The example secrets file copied with its key line switched on, as a hasty user would."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text, n = re.subn(r"^# (nik_hmac_key = .*)$", r"\1", text, flags=re.M)
    assert n == 1, "the example should show exactly one (commented) key line"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return dest


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(privacy.ENV_VAR, raising=False)


@pytest.mark.parametrize(
    "value",
    ["x", "k", "0123456789abcdef0123456789abcde", "é" * 15, "ganti-dengan-32-byte-acak-heksadesimal"],
    ids=["one-char", "k", "31-bytes", "30-bytes-utf8", "old-example-placeholder"],
)
def test_weak_key_in_environment_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv(privacy.ENV_VAR, value)
    secrets = tmp_path / "secrets.toml"
    with pytest.raises(KlaError) as info:
        privacy.get_key(path=secrets)
    msg = str(info.value)
    assert privacy.ENV_VAR in msg
    assert "minimal 32 byte" in msg
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in msg
    assert ("terlalu pendek" in msg) or ("contoh" in msg and "publik" in msg)
    assert not secrets.exists(), "a refused key must not lead to a generated one"


def test_short_key_message_does_not_echo_the_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(privacy.ENV_VAR, "Rahasia-Pendek-77")
    with pytest.raises(KlaError, match=r"terlalu pendek \(17 byte; minimal 32 byte\)") as info:
        privacy.get_key(path=tmp_path / "secrets.toml")
    assert "Rahasia-Pendek-77" not in str(info.value)


@pytest.mark.parametrize("value", ["a" * 40, "é" * 16, "ab" * 20, "0123456789" * 4])
def test_long_but_predictable_keys_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    """Length alone is not enough (issue 13): 40 × "a" has no entropy at all."""
    monkeypatch.setenv(privacy.ENV_VAR, value)
    with pytest.raises(KlaError, match=r"terlalu mudah ditebak \(entropi sekitar \d+ bit; minimal 128 bit\)") as info:
        privacy.get_key(path=tmp_path / "secrets.toml")
    assert value not in str(info.value)
    assert not (tmp_path / "secrets.toml").exists()


def test_key_file_readable_by_others_is_refused_with_the_fix(no_env_key: None, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'nik_hmac_key = "{STRONG}"\n', encoding="utf-8")
    secrets.chmod(0o644)
    before = digest(secrets)
    with pytest.raises(KlaError) as info:
        privacy.get_key(path=secrets)
    msg = str(info.value)
    assert "mode 0644" in msg and f"chmod 600 {secrets}" in msg and STRONG not in msg
    assert digest(secrets) == before, "the file is left as it is"
    secrets.chmod(0o600)
    assert privacy.get_key(path=secrets) == STRONG.encode("utf-8")


@pytest.mark.parametrize("value", [STRONG, "test-only-secret-key-not-for-production"])
def test_keys_of_32_bytes_or_more_are_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv(privacy.ENV_VAR, f"  {value}\n")
    assert privacy.get_key(path=tmp_path / "secrets.toml") == value.encode("utf-8")


def test_copied_example_placeholder_is_refused_and_file_left_alone(no_env_key: None, tmp_path: Path) -> None:
    secrets = example_uncommented(tmp_path / ".streamlit" / "secrets.toml")
    placeholder = tomllib.loads(secrets.read_text(encoding="utf-8"))[privacy.SECRETS_KEY]
    assert len(placeholder.encode()) >= 32, "the placeholder is long enough: only the placeholder rule catches it"
    before = digest(secrets)
    for create in (True, False):
        with pytest.raises(KlaError) as info:
            privacy.get_key(path=secrets, create=create)
        msg = str(info.value)
        assert "secrets.toml.example" in msg and "publik" in msg
        assert f"Hapus baris {privacy.SECRETS_KEY}" in msg and str(secrets) in msg
        assert "token_urlsafe(48)" in msg
    assert digest(secrets) == before


def test_example_copied_as_is_lets_the_app_generate_a_strong_key(no_env_key: None, tmp_path: Path) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    key = privacy.get_key(path=secrets)
    assert re.fullmatch(rb"[0-9a-f]{64}", key), "32 random bytes as hex"
    assert privacy.get_key(path=secrets) == key
    assert tomllib.loads(secrets.read_text(encoding="utf-8"))[privacy.SECRETS_KEY] == key.decode()


def test_short_key_in_secrets_file_is_refused(no_env_key: None, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('nik_hmac_key = "kunci"\n', encoding="utf-8")
    with pytest.raises(KlaError, match=r"'nik_hmac_key' di .* terlalu pendek \(5 byte"):
        privacy.get_key(path=secrets)
    assert secrets.read_text(encoding="utf-8") == 'nik_hmac_key = "kunci"\n', "never replaced behind the user's back"


def test_generated_keys_are_fresh_and_pass_the_rules(no_env_key: None, tmp_path: Path) -> None:
    keys = {privacy.get_key(path=tmp_path / f"s{i}" / "secrets.toml") for i in range(3)}
    assert len(keys) == 3
    assert all(len(k) == 64 and privacy._weakness(k.decode()) is None for k in keys)


CONCURRENT = """
import sys, time
from pathlib import Path
from kla.core import privacy
real_token_hex = privacy.secrets.token_hex
def slow_token_hex(n):  # widen the read-generate-append window, as a slow disk would
    time.sleep(0.3)
    return real_token_hex(n)
privacy.secrets.token_hex = slow_token_hex
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
print(privacy.get_key(path=Path(sys.argv[1])).decode())
"""


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k != privacy.ENV_VAR}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(secrets), str(go)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    go.touch()
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    keys = {out.strip() for out, _ in outs}
    assert len(keys) == 1
    text = secrets.read_text(encoding="utf-8")
    assert text.count(f"{privacy.SECRETS_KEY} =") == 1
    assert tomllib.loads(text)[privacy.SECRETS_KEY] == keys.pop()


@pytest.mark.parametrize("route", ["env", "secrets-file"])
def test_cli_import_with_weak_key_fails_cleanly_and_changes_nothing(db_copy: Path, tmp_path: Path, route: str) -> None:
    path = write_csv(tmp_path / "ekspor.csv", good_rows(5))
    env = {**os.environ, "KLA_DB": str(db_copy)}
    if route == "env":
        env[privacy.ENV_VAR] = "x"
        env["KLA_SECRETS_FILE"] = str(tmp_path / "unused" / "secrets.toml")
    else:
        env.pop(privacy.ENV_VAR, None)
        env["KLA_SECRETS_FILE"] = str(example_uncommented(tmp_path / ".streamlit" / "secrets.toml"))
    before = digest(db_copy)
    proc = run_kla("import", "eppgbm", str(path), env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "GAGAL: Kunci HMAC NIK" in proc.stderr
    assert "token_urlsafe(48)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert digest(db_copy) == before
    assert not list(db_copy.parent.glob("kla.duckdb.tmp*"))
    assert not (tmp_path / "unused").exists()
