"""User-facing errors. Messages are in Bahasa Indonesia because they reach users verbatim.

Pages and the CLI catch :class:`KlaError` and show ``str(err)``; anything else is a bug and
goes to the log, never to the browser as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class KlaError(Exception):
    """An expected failure with a message fit for the user (Indonesian)."""


@dataclass(frozen=True)
class Problem:
    """One validation finding, located as precisely as possible.

    ``row`` is the 1-based row number as a spreadsheet user sees it (header = row 1),
    or ``None`` for file-level problems.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"baris {self.row}")
        if self.column:
            where.append(f"kolom '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class ValidationError(KlaError):
    """Input rejected; nothing was changed. Carries every problem found, not just the first."""

    def __init__(self, summary: str, problems: list[Problem] | None = None, *, limit: int | None = 50) -> None:
        """``limit``: how many problems the message lists (None: all of them)."""
        self.summary = summary
        self.problems = list(problems or [])
        super().__init__(self._render(limit))

    def _render(self, limit: int | None = 50) -> str:
        lines = [self.summary]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if limit is not None and len(self.problems) > limit:
            lines.append(f"  … dan {len(self.problems) - limit} masalah lain")
        return "\n".join(lines)


class DatabaseNotReady(KlaError):
    """The DuckDB file is missing, empty or not a DuckDB file."""
