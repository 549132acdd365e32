"""One typed function per named query in ``kla/sql/``. Values are always bound parameters."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import duckdb
import pandas as pd

from kla.core.rulebook import Band, Group, Indicator, Rulebook
from kla.core.scoring import points_by_code  # noqa: F401 - moved to core; callers still import it from here


@cache
def sql(name: str) -> str:
    """The text of ``kla/sql/<name>.sql``."""
    return (resources.files("kla.read") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run a named query on a fresh cursor (cursors are cheap and thread-safe to create)."""
    return con.cursor().execute(sql(name), params).df()


def has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when a table or view ``name`` exists in the connection's own database.

    The one "does this table exist" check: parts of the store are optional (nutrition, boundaries,
    scenarios), and a database built before a part existed simply lacks it. Tables of an attached
    database (the old file during a rebuild) do not count.
    """
    (n,) = con.cursor().execute(sql("relation_exists"), {"name": name}).fetchone()
    return n > 0


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.cursor().execute("SELECT key, value FROM meta").fetchall())


def rulebook(con: duckdb.DuckDBPyConnection) -> Rulebook:
    """Rebuild the :class:`Rulebook` stored by the build (already validated there)."""
    cur = con.cursor()
    rid, title, official, label, version, source_url = cur.execute(
        "SELECT rulebook_id, title, weights_official, weights_label, version, source_url FROM rulebook"
    ).fetchone()
    groups = tuple(
        Group(*r)
        for r in cur.execute(
            "SELECT code, label, title FROM kla_group WHERE rulebook_id = ? ORDER BY ord", [rid]
        ).fetchall()
    )
    bands = tuple(
        Band(*r)
        for r in cur.execute(
            "SELECT name, min_points, max_points FROM kla_band WHERE rulebook_id = ? ORDER BY min_points", [rid]
        ).fetchall()
    )
    inds = tuple(
        Indicator(
            number=r[0],
            code=r[1],
            name=r[2],
            group=r[3],
            opd=r[4],
            max_points=r[5],
            status=r[6],
            levels=tuple(r[7]),
            source_url=r[8],
        )
        for r in cur.execute(
            "SELECT number, code, name, group_code, opd, max_points, status, levels, source_url FROM kla_indicator "
            "WHERE rulebook_id = ? ORDER BY number",
            [rid],
        ).fetchall()
    )
    return Rulebook(
        id=rid,
        title=title,
        weights_official=official,
        weights_label=label,
        groups=groups,
        bands=bands,
        indicators=inds,
        version=version,
        source_url=source_url,
    )


def rulebook_info(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: the active rulebook (id, version, title, weights) with its source file's provenance."""
    return query(con, "rulebook_info")


def kla_scores(con: duckdb.DuckDBPyConnection, *, year: int, area: str) -> pd.DataFrame:
    """Every indicator with its points for ``year``/``area`` (points NaN when not scored)."""
    return query(con, "kla_scores", year=year, area=area)


def score_years(con: duckdb.DuckDBPyConnection, *, area: str) -> pd.DataFrame:
    return query(con, "score_years", area=area)


def published_stunting(con: duckdb.DuckDBPyConnection, *, area: str) -> pd.DataFrame:
    return query(con, "published_stunting", area=area)


def published_all(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "published_all")


def peer_figures(con: duckdb.DuckDBPyConnection, indicators: Sequence[str]) -> pd.DataFrame:
    """Published figures of ``indicators`` for every area: the KLA categories, scores, survey stunting
    and award counts :mod:`kla.views.peers` compares (it names them in ``peers.INDICATORS``)."""
    return query(con, "peer_figures", indicators=list(indicators))


def provenance(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return (
        con.cursor()
        .execute(
            "SELECT source_id, path, kind, table_name, rows, sha256, built_at, note FROM provenance ORDER BY source_id"
        )
        .df()
    )


def area_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``code, level, name, parent_code`` of every area, by code (the one ``wilayah`` query)."""
    return query(con, "wilayah")
