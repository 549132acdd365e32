"""The import panel of the Gizi Anak page: upload an e-PPGBM export or a recap sheet and import it."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import streamlit as st

from kla.core.errors import KlaError
from kla.core.fmt import integer, number
from kla.ingest import nutrition
from kla.ui.keys import Nutrition, ensure_default, uploader
from kla.ui.loaders import Fingerprint
from kla.views import nutrition as nutrition_view

log = logging.getLogger("kla.ui")


def _xlsx_sheets(data: bytes) -> list[str]:
    """Sheet names of an uploaded workbook (empty when it cannot be opened; the import says why)."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - a broken workbook is reported by the import itself
        return []
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _run_import(kind: str, name: str, data: bytes, db: Path, sheet: str | None, bar) -> object:
    """Import an uploaded file; e-PPGBM straight from memory so no child's data touches the disk."""

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    if kind == "eppgbm":
        return nutrition.import_eppgbm(data, db, name=name, sheet=sheet, progress=progress)
    # a recap sheet holds counts per area only (no personal data): a private temp copy is fine
    with tempfile.TemporaryDirectory(prefix="kla-rekap-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        return nutrition.import_rekap(path, db, progress=progress)


def nutrition_import_panel(fp: Fingerprint) -> None:
    """Upload an e-PPGBM export or a recap sheet and import it with a progress bar.

    Same build-then-swap import as the CLI. An e-PPGBM export is parsed from memory (names and
    NIKs never reach the disk). After a successful import the page reruns on the new database
    and shows the outcome; the uploader is emptied so the same file is not sent twice.
    """
    done = st.session_state.pop(Nutrition.UPLOAD_RESULT, None)
    with st.expander("Impor ekspor e-PPGBM atau rekap bulanan", expanded=done is not None):
        if done is not None:
            (st.success if done["ok"] else st.info)(done["text"])
            if done["problems"]:
                st.markdown("**Baris yang ditolak atau dicatat** (nomor baris dan kolom; isi sel tidak ditampilkan)")
                st.dataframe(pd.DataFrame(done["problems"]), hide_index=True, key=Nutrition.UPLOAD_PROBLEMS)
        kind = st.radio(
            "Jenis berkas",
            ["eppgbm", "rekap"],
            horizontal=True,
            key=Nutrition.UPLOAD_KIND,
            format_func=nutrition_view.SOURCE_LABELS.get,
        )
        limit = int(st.get_option("server.maxUploadSize"))
        st.caption(
            f"CSV (pemisah ';') atau XLSX, maks. {limit} MB lewat halaman ini. Berkas lebih besar: "
            f"`python -m kla import {kind} BERKAS` di komputer ini. "
            + ("NIK disimpan hanya sebagai hash; nama dan alamat tidak disimpan." if kind == "eppgbm" else "")
        )
        nonce = ensure_default(Nutrition.UPLOAD_NONCE, None, 0)
        up = st.file_uploader("Berkas", type=["csv", "xlsx"], key=uploader(nonce))
        if up is None:
            return
        data = up.getvalue()
        sheet = None
        if up.name.lower().endswith(".xlsx"):
            sheets = _xlsx_sheets(data)
            if len(sheets) > 1:
                sheet = st.selectbox("Lembar (sheet) yang berisi data", sheets, key=Nutrition.UPLOAD_SHEET)
        if not st.button("Impor sekarang", key=Nutrition.UPLOAD_GO):
            return
        bar = st.progress(0.0, text="Menyiapkan…")
        try:
            report = _run_import(kind, up.name, data, Path(fp[0]), sheet, bar)
        except KlaError as exc:
            bar.empty()
            other = "rekap" if kind == "eppgbm" else "eppgbm"
            hint = (
                f" Jika berkas ini {nutrition_view.SOURCE_LABELS[other]}, pilih jenis berkas itu di atas."
                if "kolom" in str(exc).lower()
                else ""
            )
            st.error(f"{exc}{hint}")
            return
        except Exception:  # noqa: BLE001 - never a traceback on screen; the database is unchanged by construction
            bar.empty()
            log.exception("impor %s gagal", kind)
            st.error(
                "Impor gagal karena kesalahan tak terduga; basis data tidak diubah. "
                "Coba lewat baris perintah untuk pesan lengkap: "
                f"`python -m kla import {kind} BERKAS`."
            )
            return
        bar.empty()
        if report.status == "already-imported":
            text = f"{report.file} sudah pernah diimpor (sha256 sama); tidak ada perubahan."
            ok = False
        else:
            text = (
                f"Diimpor {integer(report.rows_imported)} dari {integer(report.rows_total)} baris "
                f"({integer(report.rows_rejected)} ditolak) dalam {number(report.seconds, 1)} detik: {report.file}."
            )
            check = nutrition.export_zscore_check(report.stats or {})
            text += f" {check}" if check else ""
            ok = True
        st.session_state[Nutrition.UPLOAD_RESULT] = {
            "ok": ok,
            "text": text,
            "problems": [{"baris": p.row, "kolom": p.column, "masalah": p.message} for p in report.problems[:500]],
        }
        st.session_state[Nutrition.UPLOAD_NONCE] = nonce + 1  # a fresh, empty uploader
        st.cache_data.clear()
        st.rerun()
