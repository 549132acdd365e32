"""The provenance ledger and published figures, shaped for the Sumber Data page (indicator names:
:mod:`kla.core.labels`)."""

from __future__ import annotations

import pandas as pd

from kla.core.labels import indicator_label

KIND_LABELS = {
    "reference": "referensi",
    "published": "terbitan (dengan URL)",
    "imported": "impor",
    "sample": "DATA CONTOH",
}


def ledger(provenance: pd.DataFrame) -> pd.DataFrame:
    """Provenance rows with Indonesian labels and a short checksum for display."""
    out = provenance.copy()
    out["jenis"] = out["kind"].map(KIND_LABELS).fillna(out["kind"])
    out["sha256 (awal)"] = out["sha256"].str[:12]
    return out.rename(
        columns={"path": "berkas", "table_name": "tabel", "rows": "baris", "built_at": "masuk (UTC)", "note": "catatan"}
    )[["berkas", "jenis", "tabel", "baris", "sha256 (awal)", "masuk (UTC)", "catatan"]]


def rulebook_frame(info: pd.DataFrame) -> pd.DataFrame:
    """The active rulebook as ``(keterangan, nilai)`` rows for the Sumber Data page.

    ``info`` is :func:`kla.read.repository.rulebook_info` (one row). An imported sheet (provenance kind
    ``imported``) shows its file name, full sha256 and import time; a shipped rulebook its path and URL.
    """
    if info.empty:
        return pd.DataFrame({"keterangan": [], "nilai": []})
    r = info.iloc[0]
    official = bool(r["weights_official"])
    imported = r["kind"] == "imported"
    version = str(r["version"] or "")
    rows = [
        ("Rulebook", f"{r['rulebook_id']}@{version}" if version else str(r["rulebook_id"])),
        ("Judul", str(r["title"] or "")),
        ("Bobot", "resmi" if official else f"{r['weights_label']} (bukan bobot resmi)"),
        ("Asal", "lembar evaluasi resmi yang diimpor" if imported else "berkas rulebook bawaan repo"),
        ("Berkas", str(r["path"] or "")),
        ("sha256", str(r["sha256"] or "")),
        ("Diimpor (UTC)" if imported else "Dibaca (UTC)", str(r["built_at"])[:19]),
    ]
    if r["source_url"]:
        rows.append(("URL sumber", str(r["source_url"])))
    if imported and r["note"]:
        rows.append(("Catatan", str(r["note"])))
    return pd.DataFrame(rows, columns=["keterangan", "nilai"])


def status_counts(published: pd.DataFrame) -> list[tuple[str, str, int]]:
    """``(indicator label, status, count)`` for the reliability chart."""
    grouped = published.groupby(["indicator", "status"]).size().reset_index(name="n")
    return [(indicator_label(r.indicator), r.status, int(r.n)) for r in grouped.itertuples()]
