"""``python -m kla geo fetch|import|manifest|status``. Registered by :func:`kla.cli.main.build_parser`.

Heavy imports (geopandas) happen inside the commands so ``python -m kla --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geo.manifest import LEVELS


def _print_summary(summary: Any, verb: str) -> None:
    for p in summary.levels:
        print(
            f"{verb} {len(p.rows)} batas {p.level}: luas total {p.total_area_km2:,.2f} km², "
            f"{p.vertices_before:,} → {p.vertices_after:,} titik (toleransi {p.tolerance_m:g} m)",
            file=sys.stderr,
        )
        for note in p.notes:
            print(f"  Catatan: {note}", file=sys.stderr)
    for note in summary.notes:
        print(f"  Catatan: {note}", file=sys.stderr)
    print(f"Selesai dalam {summary.seconds:.2f} s.", file=sys.stderr)


def cmd_fetch(args: argparse.Namespace) -> int:
    from kla.core import config
    from kla.ingest import boundaries
    from kla.read import boundaries as geostore

    db = Path(args.db) if args.db else config.db_path()
    levels = LEVELS if args.level == "semua" else (args.level,)
    if args.if_missing:
        from kla.read.db import connect_readonly

        con = connect_readonly(db)
        try:
            have = geostore.boundary_levels(con)
        finally:
            con.close()
        levels = tuple(lv for lv in levels if not have.get(lv))
        if not levels:
            print("Batas wilayah sudah ada; tidak ada yang diunduh.", file=sys.stderr)
            return 0
    summary = boundaries.fetch_into(db, source=args.source, levels=levels, timeout=args.timeout)
    _print_summary(summary, "Disimpan")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kla.core import config
    from kla.ingest import boundaries

    db = Path(args.db) if args.db else config.db_path()
    summary = boundaries.import_into(
        Path(args.file),
        args.level,
        db,
        code_field=args.code_field,
        name_field=args.name_field,
        parent_field=args.parent_field,
        layer=args.layer,
    )
    _print_summary(summary, "Diimpor")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from kla.core import config
    from kla.read import boundaries as geostore
    from kla.read.db import connect_readonly

    db = Path(args.db) if args.db else config.db_path()
    con = connect_readonly(db)
    try:
        have = geostore.boundary_levels(con)
    finally:
        con.close()
    if not have:
        print("Belum ada batas wilayah. Jalankan: python -m kla geo fetch", file=sys.stderr)
        return 1
    for level, n in have.items():
        print(f"{level}: {n} wilayah", file=sys.stderr)
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from geo.manifest import manifest_rows, write_manifest

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"GAGAL: folder {folder} tidak ada.", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else folder / "manifest.csv"
    rows = manifest_rows(folder, out=out, licence=args.licence, source=args.source)
    write_manifest(rows, out)
    levels = ", ".join(f"{sum(r['level'] == lv for r in rows)} {lv}" for lv in LEVELS)
    print(f'Manifest ditulis: {out} ({levels}). Sebutkan di city.toml: boundary_manifest = "…"', file=sys.stderr)
    return 0


def register_cli(sub: Any, groups: dict[str, Any] | None = None) -> None:
    """Add ``geo`` with its sub-commands to the ``python -m kla`` parser."""
    from geo.fetch import DEFAULT_TIMEOUT

    geo = sub.add_parser("geo", help="batas wilayah untuk peta: unduh, impor, status")
    geo_sub = geo.add_subparsers(dest="geo_command", required=True)

    p = geo_sub.add_parser("fetch", help="unduh batas dari manifest kota (boundary_manifest; sha256 diperiksa)")
    p.add_argument(
        "--from",
        dest="source",
        help="folder cermin atau awalan URL dengan tata letak manifest (bawaan: KLA_GEO_SOURCE, lalu URL hulu)",
    )
    p.add_argument("--level", choices=[*LEVELS, "semua"], default="semua")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="detik per operasi jaringan")
    p.add_argument("--if-missing", action="store_true", help="hanya tingkat yang belum ada di basis data")
    p.add_argument("--db")
    p.set_defaults(func=cmd_fetch)

    p = geo_sub.add_parser("import", help="impor berkas batas resmi sendiri (GeoJSON, GeoPackage, Shapefile .zip)")
    p.add_argument("file")
    p.add_argument("--level", choices=LEVELS, required=True)
    p.add_argument("--code-field", help="kolom berisi kode Kemendagri (PP.KK.CC, mis. 32.73.01, atau tanpa titik)")
    p.add_argument("--name-field", help="kolom berisi nama wilayah")
    p.add_argument("--parent-field", help="kelurahan: kolom berisi nama/kode kecamatan")
    p.add_argument("--layer", help="GeoPackage: nama lapisan")
    p.add_argument("--db")
    p.set_defaults(func=cmd_import)

    p = geo_sub.add_parser(
        "manifest",
        help="tulis manifest (sha256, ukuran) untuk berkas batas .geojson milik kota sendiri di FOLDER",
        description="Satu Feature GeoJSON per berkas, properti code (atau kode) dan name (atau nama). "
        "Manifest ditulis ke FOLDER/manifest.csv; path berkas relatif terhadapnya, upstream_url kosong.",
    )
    p.add_argument("folder")
    p.add_argument("--out", help="berkas manifest (bawaan: FOLDER/manifest.csv)")
    p.add_argument("--licence", default="", help="catatan lisensi untuk setiap baris")
    p.add_argument("--source", default="", help="asal data untuk setiap baris")
    p.set_defaults(func=cmd_manifest)

    p = geo_sub.add_parser("status", help="tingkat batas wilayah yang tersimpan")
    p.add_argument("--db")
    p.set_defaults(func=cmd_status)
