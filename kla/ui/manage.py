"""The import panel of the Kelola Data page: upload any kind of file and run the CLI's own importer.

Every kind runs the same function as its command (:data:`kla.views.manage.KINDS`): e-PPGBM
straight from memory (:func:`kla.ingest.nutrition.import_eppgbm`, nothing of the export touches
the disk); the others from a private temporary folder (0700, removed afterwards), because their
importers read a path. Before such a copy is written, a file whose header carries e-PPGBM's
identifying columns (NIK, names) is refused, so an export uploaded as the wrong kind never reaches
the disk. Every import, refused or not, is recorded in the audit log (who, kind, file, sha256,
outcome). The panel is open only in an admin session (:mod:`kla.ui.admin`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from kla.core import fmt
from kla.core.errors import KlaError, Problem
from kla.ingest import filecheck, nutrition
from kla.ingest.eppgbm_columns import PII, map_columns
from kla.ui.admin import is_admin, record
from kla.ui.keys import Manage, ensure_default, uploader
from kla.ui.loaders import Fingerprint
from kla.views import manage as view

log = logging.getLogger("kla.ui")

#: Bytes of a text file read to find its header row (personal-data check before a temp copy).
HEAD_BYTES = 256 * 1024


@dataclass
class Outcome:
    """What one import did, shown after the run (and kept for one rerun after a successful swap)."""

    ok: bool
    text: str
    problems: list[dict]
    problems_total: int = 0


# ----------------------------------------------------------------------------- file checks in memory


def xlsx_sheets(data: bytes, name: str) -> list[str]:
    """Sheet names of an uploaded workbook, from the zip directory (bomb-checked; empty when broken).

    :func:`kla.ingest.filecheck.check_xlsx` reads only the workbook's small parts, so a hostile
    file is refused here before anything parses it; the import then says why.
    """
    try:
        return [s.name for s in filecheck.check_xlsx(data, name, max_rows=2_000_000, max_expanded=1 << 30)]
    except Exception:  # noqa: BLE001 - a broken workbook is reported by the import itself
        return []


def _header_cells(data: bytes, name: str) -> list[str]:
    """The first row of an uploaded CSV or XLSX (each sheet's), as text; empty when it cannot be read."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        if not xlsx_sheets(data, name):
            return []
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        except Exception:  # noqa: BLE001 - unreadable: the importer refuses it with its own message
            return []
        try:
            return [str(c) for ws in wb.worksheets for row in ws.iter_rows(max_row=1, values_only=True) for c in row]
        finally:
            wb.close()
    head = data[:HEAD_BYTES]
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[2:].decode(enc, errors="ignore")
            break
    else:
        text = head.decode("utf-8", errors="ignore")
    line = text.replace("\r", "\n").lstrip("\ufeff").split("\n", 1)[0]
    for sep in (";", ",", "\t", "|"):
        line = line.replace(sep, "\x00")
    return line.split("\x00")


def refuse_personal_columns(data: bytes, name: str, kind: str) -> None:
    """Refuse, before any copy is written, a file whose header has e-PPGBM's identifying columns."""
    found = map_columns(_header_cells(data, name))
    personal = [c for c in PII if c in found and c not in ("rt", "rw")]
    if personal:
        label = view.KIND_BY_KEY[kind].label
        raise KlaError(
            f"Berkas {fmt.plain(name, 80)} punya kolom data pribadi (NIK atau nama), jadi tampaknya ekspor "
            f"e-PPGBM, bukan {label}. Pilih jenis 'Ekspor e-PPGBM' (dibaca dari memori, tidak disimpan ke "
            "disk). Berkas ini tidak disimpan dan tidak ada yang diubah."
        )


# ----------------------------------------------------------------------------- running an import


def _private_copy(folder: str, name: str, data: bytes) -> Path:
    """The upload as ``folder/<its own name>`` (0600 in a 0700 folder), so provenance shows the name."""
    base = Path(name.replace("\\", "/")).name  # a browser sends a bare name; never a path out of the folder
    path = Path(folder) / (base if base not in ("", ".", "..") else "unggahan")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def run_import(kind: str, name: str, data: bytes, db: Path, options: dict, bar) -> tuple[str, list[Problem]]:
    """Run the CLI's importer for ``kind`` on the upload: (success text, rows it rejected); KlaError on refusal."""

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    if kind == "eppgbm":
        report = nutrition.import_eppgbm(data, db, name=name, sheet=options.get("sheet"), progress=progress)
        return _nutrition_text(report), report.problems
    refuse_personal_columns(data, name, kind)
    progress(0.05, "Memeriksa berkas")
    # mkdtemp makes the folder 0700; it and the copy are removed whatever happens
    with tempfile.TemporaryDirectory(prefix="kla-unggah-") as tmp:
        path = _private_copy(tmp, name, data)
        if kind == "rekap":
            report = nutrition.import_rekap(path, db, progress=progress)
            return _nutrition_text(report), report.problems
        if kind == "kla-scores":
            from kla.ingest.sheet_imports import import_scores

            res = import_scores(path, db, year=int(options["year"]))
            if res.status == "already-imported":
                return (
                    f"{fmt.plain(res.file, 80)} sudah pernah diimpor untuk tahun {res.year}; tidak ada perubahan.",
                    [],
                )
            return (
                f"Diimpor {fmt.integer(res.rows)} nilai indikator dari {fmt.plain(res.file, 80)} "
                f"untuk tahun {res.year}.",
                [],
            )
        if kind == "rulebook":
            from kla.ingest.sheet_imports import install_rulebook

            res = install_rulebook(
                path,
                db,
                sheet=options.get("sheet"),
                weights_official=not options.get("illustrative"),
                progress=progress,
            )
            if res.status == "unchanged":
                return (
                    f"{fmt.plain(res.file, 80)} sudah menjadi rulebook aktif ({res.rulebook.key}); "
                    "tidak ada perubahan.",
                    [],
                )
            notes = " ".join(f"Catatan: {n}" for n in res.notes)
            return (
                f"Rulebook aktif sekarang {res.rulebook.key}: {len(res.rulebook.indicators)} indikator, dari "
                f"{fmt.plain(res.file, 80)}. Basis data dibangun ulang (sumber impor dibawa: {res.carried_sources}). "
                + notes
            ).strip(), []
        if kind == "boundary":
            from kla.ingest.boundaries import import_into

            summary = import_into(
                path,
                options["level"],
                db,
                code_field=options.get("code_field") or None,
                name_field=options.get("name_field") or None,
                parent_field=options.get("parent_field") or None,
                layer=options.get("layer") or None,
            )
            n = sum(len(p.rows) for p in summary.levels)
            return f"Diimpor {fmt.integer(n)} batas {options['level']} dari {fmt.plain(name, 80)}.", []
    raise KlaError(f"Jenis berkas {fmt.plain(kind, 20)} tidak dikenal.")


def _nutrition_text(report: nutrition.ImportReport) -> str:
    if report.status == "already-imported":
        return f"{fmt.plain(report.file, 80)} sudah pernah diimpor (sha256 sama); tidak ada perubahan."
    text = (
        f"Diimpor {fmt.integer(report.rows_imported)} dari {fmt.integer(report.rows_total)} baris "
        f"({fmt.integer(report.rows_rejected)} ditolak) dalam {fmt.number(report.seconds, 1)} detik: "
        f"{fmt.plain(report.file, 80)}."
    )
    check = nutrition.export_zscore_check(report.stats or {})
    return f"{text} {check}" if check else text


def _problem_records(problems: list[Problem]) -> tuple[list[dict], int]:
    return view.problem_frame(problems).to_dict("records"), len(problems)


# ----------------------------------------------------------------------------- the panel


def show_outcome(done: Outcome) -> None:
    """The outcome of the last import: message, then the validation report as a table and a CSV."""
    (st.success if done.ok else st.error)(done.text)
    if not done.problems:
        return
    frame = pd.DataFrame(done.problems, columns=view.PROBLEM_COLUMNS)
    more = f" (ditampilkan {fmt.integer(len(frame))} dari {fmt.integer(done.problems_total)})"
    st.markdown(
        "**Laporan validasi**"
        + (more if done.problems_total > len(frame) else "")
        + ": baris dan kolom di berkas, masalahnya, dan cara memperbaikinya. Isi sel yang bisa berisi data "
        "pribadi tidak ditampilkan."
    )
    st.dataframe(frame, hide_index=True, width="stretch", key=Manage.UPLOAD_PROBLEMS)
    st.download_button(
        "Unduh laporan validasi (CSV)",
        view.problems_csv(frame),
        file_name="laporan_validasi.csv",
        mime="text/csv",
        key=Manage.PROBLEMS_CSV,
    )


def _options(kind: str) -> dict:
    """The kind's own choices (year, weights, level, field names), drawn above the uploader so they
    keep their values while no file is chosen."""
    out: dict = {}
    if kind == "kla-scores":
        ensure_default(Manage.YEAR, None, date.today().year - 1)
        out["year"] = st.number_input("Tahun penilaian", min_value=2000, max_value=2100, step=1, key=Manage.YEAR)
    if kind == "rulebook":
        out["illustrative"] = st.checkbox(
            "Bobotnya belum resmi (label 'bobot ilustratif' tetap tampil)", key=Manage.ILLUSTRATIVE
        )
    if kind == "boundary":
        from geo.manifest import LEVELS

        out["level"] = st.selectbox("Tingkat wilayah", list(LEVELS), key=Manage.LEVEL)
        with st.expander("Nama kolom (bila tidak dikenali otomatis)"):
            out["code_field"] = st.text_input("Kolom kode Kemendagri", key=Manage.CODE_FIELD, max_chars=80)
            out["name_field"] = st.text_input("Kolom nama wilayah", key=Manage.NAME_FIELD, max_chars=80)
            out["parent_field"] = st.text_input(
                "Kelurahan: kolom kecamatan induk", key=Manage.PARENT_FIELD, max_chars=80
            )
            out["layer"] = st.text_input("GeoPackage: nama lapisan", key=Manage.LAYER, max_chars=80)
    return out


def _sheet(kind: str, name: str, data: bytes) -> dict:
    """The sheet of a workbook with several, for the kinds whose importer takes one."""
    out: dict = {}
    if kind in ("eppgbm", "rulebook") and name.lower().endswith((".xlsx", ".xlsm")):
        sheets = xlsx_sheets(data, name)
        if len(sheets) > 1:
            out["sheet"] = st.selectbox("Lembar (sheet) yang berisi data", sheets, key=Manage.UPLOAD_SHEET)
    return out


def import_panel(fp: Fingerprint, *, admin: bool) -> None:
    """Upload a file of any kind and import it with a progress bar; refused files get a validation report.

    ``admin``: whether this session may change data (otherwise the button is off). After a
    successful import the page reruns on the new database and shows the outcome once; the
    uploader is emptied so the same file is not sent twice.
    """
    done = st.session_state.pop(Manage.UPLOAD_RESULT, None)
    if done is not None:
        show_outcome(done)
    kind = st.radio(
        "Jenis berkas",
        [k.key for k in view.KINDS],
        key=Manage.UPLOAD_KIND,
        format_func=lambda k: view.KIND_BY_KEY[k].label,
    )
    spec = view.KIND_BY_KEY[kind]
    limit = int(st.get_option("server.maxUploadSize"))
    st.caption(f"{spec.help} Maks. {limit} MB lewat halaman ini; berkas lebih besar: `{spec.command}` di server.")
    options = _options(kind)
    nonce = ensure_default(Manage.UPLOAD_NONCE, None, 0)
    up = st.file_uploader("Berkas", type=list(spec.types), key=uploader(nonce), disabled=not admin)
    if up is None:
        return
    data = up.getvalue()
    options |= _sheet(kind, up.name, data)
    if not st.button("Impor sekarang", key=Manage.UPLOAD_GO, disabled=not admin, type="primary"):
        return
    if not is_admin():  # the session may have ended since the page was drawn
        st.error("Mode admin sudah berakhir; masuk lagi dengan kata sandi admin. Tidak ada yang diubah.")
        return
    sha = hashlib.sha256(data).hexdigest()
    bar = st.progress(0.0, text="Menyiapkan…")
    try:
        text, rejected = run_import(kind, up.name, data, Path(fp[0]), options, bar)
    except KlaError as exc:
        bar.empty()
        problems, total = _problem_records(list(getattr(exc, "problems", [])))
        summary = getattr(exc, "summary", None) or str(exc)
        outcome = Outcome(False, summary, problems, total)
        record("import", view.import_summary(kind, up.name, f"ditolak ({total} masalah)"), sha256=sha)
        show_outcome(outcome)
        return
    except MemoryError:
        bar.empty()
        record("import", view.import_summary(kind, up.name, "gagal: memori tidak cukup"), sha256=sha)
        st.error(
            "Berkas terlalu besar untuk memori server; pecah berkasnya atau impor lewat baris perintah. "
            "Tidak ada yang diubah."
        )
        return
    except Exception:  # noqa: BLE001 - never a traceback on screen; the database is unchanged by construction
        bar.empty()
        log.exception("impor %s gagal", kind)
        record("import", view.import_summary(kind, up.name, "gagal: kesalahan tak terduga"), sha256=sha)
        st.error(
            "Impor gagal karena kesalahan tak terduga; basis data tidak diubah. "
            f"Coba lewat baris perintah untuk pesan lengkap: `{spec.command}`."
        )
        return
    bar.empty()
    warning = record("import", view.import_summary(kind, up.name, view.as_text(text, 120)), sha256=sha)
    problems, total = _problem_records(rejected)
    st.session_state[Manage.UPLOAD_RESULT] = Outcome(True, text + (f" {warning}" if warning else ""), problems, total)
    st.session_state[Manage.UPLOAD_NONCE] = nonce + 1  # a fresh, empty uploader
    st.cache_data.clear()
    st.rerun()


def recent_audit(limit: int = 500) -> list[dict]:
    """The last ``limit`` audit entries, oldest first (an unreadable log: none, with a warning)."""
    from kla.ingest import audit

    try:
        return audit.read(limit)
    except (OSError, KlaError) as exc:
        st.warning(f"Log audit tidak bisa dibaca ({exc}).")
        return []
