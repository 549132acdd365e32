"""The one way tests run the command line: ``python -m kla …`` in a child process, from the project root.

A child process, not :func:`kla.cli.main.main` in-process, because that is what users run: the
exit code, what reaches stdout and stderr (no traceback, no personal data) and the environment
variables are those of a real invocation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_kla(
    *args: str,
    env: Mapping[str, str] | None = None,
    input: str | None = None,  # noqa: A002 - the name subprocess.run uses
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """Run ``python -m kla *args`` with this interpreter; text output captured, never raises on exit code.

    ``env`` is the child's whole environment (default: this process's), as in :func:`subprocess.run`.
    """
    return subprocess.run(  # noqa: S603 - our interpreter and our module; arguments are the test's own
        [sys.executable, "-m", "kla", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=None if env is None else dict(env),
        input=input,
        timeout=timeout,
        check=False,
    )
