"""The city's official KLA evaluation sheet → a validated rulebook (``python -m kla import rulebook``).

Pure: reads the sheet, returns the rulebook and the normalised TOML text for the records file;
writing the records file and rebuilding the database is :func:`kla.ingest.build.build`'s job.

Reading the sheet (header row, column synonyms, cells, indicator rows) is
:mod:`kla.ingest.rulebook_sheet`; this module checks what was read and applies it. Groups and
category bands are copied from the active rulebook (a TOML may bring its own), and its health
crosswalk rules are re-pointed by indicator NUMBER with their points converted to the new levels
(:func:`repoint_crosswalk`). A ``Jumlah`` row's number must equal the sum of the maxima.

The final check is :func:`kla.core.rulebook.parse_rulebook`, the one validator; its findings are
reported with the sheet's own row numbers and column names.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kla.core import fmt
from kla.core.crosswalk import parse_crosswalk
from kla.core.errors import Problem, ValidationError
from kla.core.rulebook import Rulebook, parse_rulebook
from kla.ingest.rulebook_sheet import Sheet, SheetRows, clean_number, read_csv, read_xlsx, sheet_indicators
from kla.ingest.tabular import MAX_BYTES, decode_text, readable_file

#: parse_rulebook's indicator fields → the sheet field whose column a problem names.
_FIELD_OF = {"number": "nomor", "code": "nomor", "group": "klaster", "max_points": "poin_maksimal", "levels": "levels"}


@dataclass(frozen=True)
class ImportMeta:
    """Identity and provenance of the imported rulebook."""

    source_name: str  # the sheet's file name
    sha256: str
    imported_at: datetime  # UTC, naive
    id: str
    version: str
    title: str
    weights_official: bool = True


@dataclass(frozen=True)
class ImportResult:
    rulebook: Rulebook
    text: str  # the normalised rulebook TOML for the records file
    notes: tuple[str, ...]  # what the user should know (crosswalk rules converted or dropped, encoding)


# --------------------------------------------------------------------------- sheet → rulebook


def _groups_bands(active: Rulebook) -> tuple[list[dict], list[dict]]:
    groups = [{"code": g.code, "label": g.label, "title": g.title} for g in active.groups]
    bands = [{"name": b.name, "min": b.min, "max": b.max} for b in active.bands]
    return groups, bands


def _rulebook_table(meta: ImportMeta, active: Rulebook, rows: int, kind: str) -> dict:
    return {
        "id": meta.id,
        "version": meta.version,
        "title": meta.title,
        "regulation": str(active.raw.get("rulebook", {}).get("regulation", "")),
        "source_url": "",
        "total_points": 1000,
        "weights_official": meta.weights_official,
        "weights_label": "bobot resmi" if meta.weights_official else "bobot ilustratif",
        "default_level_steps": 4,
        "imported_from": meta.source_name,
        "imported_sha256": meta.sha256,
        "imported_at": meta.imported_at.isoformat(timespec="seconds"),
        "imported_rows": rows,
        "imported_kind": kind,
        "groups_bands_from": active.key,
    }


def _located(exc: ValidationError, rows: SheetRows, name: str) -> ValidationError:
    """parse_rulebook's findings, re-addressed to the sheet's row numbers and column headers."""
    first_row: dict[int, int] = {}
    for spec, line in zip(rows.specs, rows.sheet_rows, strict=True):
        first_row.setdefault(spec["number"], line)
    out: list[Problem] = []
    dup_rows = {p.row for p in exc.problems if p.column == "number" and "ganda" in p.message}
    for p in exc.problems:
        if p.row is None or p.column not in _FIELD_OF or p.row > len(rows.sheet_rows):
            out.append(Problem(name, None, None, p.message))
            continue
        if p.column == "code" and p.row in dup_rows:
            continue  # the code is derived from the number: one message is enough
        line = rows.sheet_rows[p.row - 1]
        fld = _FIELD_OF[p.column]
        msg = p.message
        if p.column == "number" and "ganda" in msg:
            msg += f" (sudah ada di baris {first_row[rows.specs[p.row - 1]['number']]})"
        out.append(Problem(name, line, rows.headers.get(fld, fld), msg))
    return ValidationError(f"Lembar rulebook {name} ditolak ({len(out)} masalah); tidak ada yang diubah.", out)


def _crosswalk_problems(spec: dict, indicator: object) -> list[str]:
    found: list[str] = []
    parse_crosswalk([spec], {spec["indicator"]: indicator}, lambda msg, *_a: found.append(msg))
    return found


def repoint_crosswalk(active: Rulebook, new: Rulebook) -> tuple[list[dict], list[str]]:
    """The active rulebook's crosswalk rules for the new rulebook, matched by indicator NUMBER.

    Each step's points keep their share of the old maximum and snap to the nearest new level at
    or below it. Steps that end up with the same points merge (the looser threshold stays, which
    gives exactly the same points for every measured value); a rule whose steps all collapse to
    its ``otherwise`` points says nothing any more and is dropped. Returns ``(rules, notes)``.
    """
    old_by_code = {i.code: i for i in active.indicators}
    new_by_number = {i.number: i for i in new.indicators}
    rules: list[dict] = []
    notes: list[str] = []
    for rule in active.crosswalk:
        old = old_by_code[rule.indicator]
        ind = new_by_number.get(old.number)
        what = f"aturan crosswalk {rule.measure} → indikator {old.number}"
        if ind is None:
            notes.append(f"{what} dihapus: nomor {old.number} tidak ada di rulebook baru")
            continue

        def snap(points: float, old=old, ind=ind) -> float:
            target = points / old.max_points * ind.max_points if old.max_points else 0.0
            return max((lv for lv in ind.levels if lv <= target + 1e-9), default=0.0)

        otherwise = snap(rule.otherwise)
        steps: list[list[float]] = []
        for threshold, points in rule.steps:
            p = snap(points)
            if p <= otherwise + 1e-9:
                continue
            if steps and abs(steps[-1][1] - p) < 1e-9:
                steps[-1][0] = threshold  # same points: the looser threshold gives the same result
            else:
                steps.append([threshold, p])
        spec = {
            "indicator": ind.code,
            "measure": rule.measure,
            "illustrative": rule.illustrative,
            "source": rule.source,
            "steps": [[clean_number(t), clean_number(p)] for t, p in steps],
            "otherwise": clean_number(otherwise),
        }
        if not steps:
            notes.append(f"{what} dihapus: setelah dikonversi ke tingkat poin baru semua langkah memberi poin sama")
            continue
        found = _crosswalk_problems(spec, ind)
        if found:
            notes.append(f"{what} dihapus: tidak sah setelah dikonversi ({'; '.join(found)})")
            continue
        if len(steps) != len(rule.steps) or [p for _, p in rule.steps] != [p for _, p in steps]:
            notes.append(
                f"{what}: poin dikonversi ke tingkat poin baru ({fmt.number_list(p for _, p in rule.steps)} → "
                f"{fmt.number_list(p for _, p in steps)})"
            )
        rules.append(spec)
    return rules, notes


def _finish(raw: dict, active: Rulebook, name: str, rows: SheetRows | None, keep_crosswalk: bool) -> ImportResult:
    """Validate (parse_rulebook), add the re-pointed crosswalk, render and re-read the TOML."""
    base = {k: v for k, v in raw.items() if k != "crosswalk"}
    try:
        first = parse_rulebook(base, source=name)
    except ValidationError as exc:
        raise (_located(exc, rows, name) if rows else exc) from None
    notes: list[str] = []
    if rows and rows.total_row:
        line, total = rows.total_row
        got = sum(i.max_points for i in first.indicators)
        if abs(total - got) > 1e-6:
            raise ValidationError(
                f"Lembar rulebook {name} ditolak; tidak ada yang diubah.",
                [
                    Problem(
                        name,
                        line,
                        rows.headers["poin_maksimal"],
                        f"baris jumlah menyebut {fmt.number(total)}, tetapi jumlah poin maksimal indikator "
                        f"{fmt.number(got)}",
                    )
                ],
            )
    if keep_crosswalk:
        crosswalk = raw.get("crosswalk", [])
    else:
        crosswalk, notes = repoint_crosswalk(active, first)
    text = to_toml({**base, "crosswalk": crosswalk})
    rulebook = parse_rulebook(tomllib.loads(text), source=name)  # what the records file will say
    return ImportResult(rulebook, text, tuple(notes))


def rulebook_from_sheet(sheet: Sheet, *, active: Rulebook, meta: ImportMeta) -> ImportResult:
    """Turn a read sheet into a validated rulebook (raises :class:`ValidationError` naming rows/columns)."""
    rows = sheet_indicators(sheet, active, official=meta.weights_official)
    if rows.problems:
        raise ValidationError(
            f"Lembar rulebook {sheet.name} ditolak ({len(rows.problems)} masalah); tidak ada yang diubah.",
            rows.problems,
        )
    groups, bands = _groups_bands(active)
    raw = {
        "rulebook": _rulebook_table(meta, active, len(rows.specs), sheet.kind),
        "group": groups,
        "band": bands,
        "indicator": rows.specs,
    }
    result = _finish(raw, active, sheet.name, rows, keep_crosswalk=False)
    return ImportResult(result.rulebook, result.text, (*sheet.notes, *result.notes))


def rulebook_from_toml(
    path: Path, *, active: Rulebook, meta: ImportMeta, id_given: bool, version_given: bool
) -> ImportResult:
    """A rulebook TOML: its own id/version/bands/crosswalk when present, the active rulebook's otherwise."""
    text, _ = decode_text(path.read_bytes(), path.name, windows_1252=True)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"Berkas {path.name} bukan TOML yang sah ({exc}); tidak ada yang diubah.") from exc
    own = dict(raw.get("rulebook", {}))
    table = _rulebook_table(meta, active, len(raw.get("indicator", [])), "toml")
    for key in ("id", "version", "title", "regulation", "source_url", "weights_official", "weights_label"):
        given = {"id": id_given, "version": version_given}.get(key, False)
        if key in own and not given:
            table[key] = own[key]
    if not meta.weights_official:  # --bobot-ilustratif wins over the file
        table["weights_official"], table["weights_label"] = False, "bobot ilustratif"
    elif "weights_official" in own and "weights_label" not in own:
        table["weights_label"] = "bobot resmi" if own["weights_official"] else "bobot ilustratif"
    groups, bands = _groups_bands(active)
    indicators = []
    for spec in raw.get("indicator", []):
        spec = dict(spec)
        if "code" not in spec and isinstance(spec.get("number"), int):
            spec["code"] = f"I{spec['number']:02d}"
        indicators.append(spec)
    out = {
        "rulebook": table,
        "group": raw.get("group") or groups,
        "band": raw.get("band") or bands,
        "indicator": indicators,
    }
    if raw.get("crosswalk"):
        out["crosswalk"] = raw["crosswalk"]
    return _finish(out, active, path.name, None, keep_crosswalk=bool(raw.get("crosswalk")))


def import_rulebook_file(
    path: Path,
    *,
    active: Rulebook,
    meta: ImportMeta,
    sheet: str | None = None,
    id_given: bool = False,
    version_given: bool = False,
) -> ImportResult:
    """Read and validate an official sheet (``.xlsx``/``.xlsm``, ``.csv``/``.txt``) or a rulebook ``.toml``."""
    size = readable_file(path, expect="lembar rulebook .xlsx, .csv atau .toml")
    if size > MAX_BYTES:
        raise ValidationError(f"Berkas {path.name} terlalu besar untuk lembar rulebook; tidak ada yang diubah.")
    if size == 0:
        raise ValidationError(f"Berkas {path.name} kosong; tidak ada yang diubah.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return rulebook_from_sheet(read_xlsx(path, sheet=sheet), active=active, meta=meta)
    if suffix in (".csv", ".txt"):
        return rulebook_from_sheet(read_csv(path), active=active, meta=meta)
    if suffix == ".toml":
        return rulebook_from_toml(path, active=active, meta=meta, id_given=id_given, version_given=version_given)
    raise ValidationError(
        f"Jenis berkas {suffix or '(tanpa ekstensi)'} tidak didukung untuk rulebook; gunakan .xlsx, .csv atau .toml."
    )


# --------------------------------------------------------------------------- TOML output


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"nilai TOML tidak didukung: {type(v).__name__}")


def to_toml(raw: dict) -> str:
    """Render a rulebook mapping (``[rulebook]`` + arrays of tables) as TOML text."""
    lines = [
        "# Rulebook KLA aktif kota ini, dibuat oleh `python -m kla import rulebook` dari lembar resmi.",
        "# Catatan kota: build ulang dan `make clean` tidak menghapusnya. Hapus/pindahkan berkas ini lalu",
        "# jalankan `python -m kla build` untuk kembali ke rulebook yang disebut data/city.toml.",
        "",
        "[rulebook]",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in raw["rulebook"].items()]
    for table in ("group", "band", "indicator", "crosswalk"):
        for item in raw.get(table, []):
            lines += ["", f"[[{table}]]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def default_id(city_code: str) -> str:
    """``kla-resmi-<city code>`` with the dots as dashes (``36.73`` → ``kla-resmi-36-73``)."""
    return "kla-resmi-" + re.sub(r"[^0-9A-Za-z]+", "-", city_code).strip("-")


def default_version(sha256: str) -> str:
    """The first 12 hex digits of the sheet's sha256: the same sheet gives the same rulebook key."""
    return sha256[:12]
