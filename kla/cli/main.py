"""Command line: ``python -m kla <command>``. Messages in Indonesian; exit 0 ok, 1 usage, 2 rejected input.

The commands of :mod:`kla.cli.geo`, :mod:`kla.cli.plan` and :mod:`kla.cli.nutrition` are added by
their ``register_cli(sub, groups)``, called from :func:`build_parser` (``groups["import"]`` is the
sub-parser set of ``kla import``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import NoReturn

from kla.core import config
from kla.core.errors import KlaError

#: commands of :mod:`kla.cli.nutrition` parsed by that module alone, so that they start without
#: pandas or DuckDB (``python -m kla zscore`` is timed as a whole process, interpreter start included)
LIGHT_COMMANDS = frozenset({"zscore"})

#: argparse's own error texts, in Indonesian (the parser itself is English-only)
_ARGPARSE_ID = (
    (r"^the following arguments are required: (.*)$", r"argumen wajib belum diisi: \1"),
    (r"^unrecognized arguments: (.*)$", r"argumen tidak dikenal: \1"),
    (
        r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$",
        r"argumen \1: pilihan \2 tidak ada (pilih dari \3)",
    ),
    (r"^argument (\S+): expected one argument$", r"argumen \1: perlu satu nilai"),
    (r"^argument (\S+): invalid (\w+) value: (.*)$", r"argumen \1: \3 bukan nilai \2 yang sah"),
)


# argparse's own words in ``-h`` output
_HELP_ID = (
    ("positional arguments:", "argumen posisi:"),
    ("\noptions:", "\nopsi:"),
    ("show this help message and exit", "tampilkan bantuan ini lalu keluar"),
)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are in Indonesian (exit status 2, as argparse's)."""

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "penggunaan:", 1)

    def format_help(self) -> str:
        text = super().format_help().replace("usage:", "penggunaan:", 1)
        for english, indonesian in _HELP_ID:
            text = text.replace(english, indonesian)
        return text

    def error(self, message: str) -> NoReturn:
        for pattern, repl in _ARGPARSE_ID:
            message = re.sub(pattern, repl, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: galat: {message}\n")


def _progress(fraction: float, message: str) -> None:
    bar = "#" * int(fraction * 20)
    print(f"\r[{bar:<20}] {fraction:4.0%} {message:<60}", end="" if fraction < 1 else "\n", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from kla.ingest import build

    db = Path(args.db) if args.db else config.db_path()
    if args.if_stale and not build.needs_build(db):
        print(f"{db} sudah mutakhir.", file=sys.stderr)
        return 0
    start = time.perf_counter()
    report = build.build(db, progress=_progress if not args.quiet else build.quiet)
    for note in report.notes:
        print(f"Catatan: {note}", file=sys.stderr)
    summary = ", ".join(f"{t}={n}" for t, n in report.tables.items())
    print(
        f"Basis data dibangun: {db} ({time.perf_counter() - start:.2f} s; {summary}; "
        f"sumber impor dibawa: {report.carried_sources}; catatan kota: {config.load_city().records_dir})",
        file=sys.stderr,
    )
    return 0


def cmd_records_backup(args: argparse.Namespace) -> int:
    from kla.ingest import records

    files = records.backup(Path(args.dest))
    folder = files[0].parent if files else Path(args.dest)
    print(f"Catatan kota dicadangkan ke {folder}: {', '.join(f.name for f in files) or '(kosong)'}.", file=sys.stderr)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from kla.core import scoring
    from kla.read import repository
    from kla.read.db import connect_readonly

    db = Path(args.db) if args.db else config.db_path()
    con = connect_readonly(db)
    try:
        rb = repository.rulebook(con)
        area = args.area or repository.meta(con)["city_code"]
        frame = repository.kla_scores(con, year=args.year, area=area)
    finally:
        con.close()
    points = repository.points_by_code(frame)
    if not points:
        raise KlaError(f"Belum ada nilai KLA untuk tahun {args.year}, wilayah {area}.")
    summary = scoring.summarise(points, rb, year=args.year, area=area)
    kinds = sorted(set(frame["source_kind"].dropna()))
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        label = " (DATA CONTOH)" if "sample" in kinds else ""
        print(f"{area} {args.year}{label}: {summary.total:g} poin, {summary.category}")
        if summary.next_category:
            print(f"Kurang {summary.points_to_next:g} poin ke {summary.next_category}")
        for g in summary.groups:
            print(f"  {g.label:<12} {g.points:6.1f}/{g.max:5.0f}  {g.pct:5.1f}%")
        if rb.weights_note:
            print(f"Bobot: {rb.weights_note}")
    return 0


def cmd_import_scores(args: argparse.Namespace) -> int:
    from kla.ingest.sheet_imports import import_scores

    result = import_scores(Path(args.file), Path(args.db) if args.db else None, year=args.year)
    if result.status == "already-imported":
        print(f"{result.file} sudah pernah diimpor untuk tahun {args.year}; tidak ada perubahan.", file=sys.stderr)
        return 0
    print(f"Diimpor {result.rows} nilai indikator dari {result.file} untuk tahun {args.year}.", file=sys.stderr)
    return 0


def cmd_import_rulebook(args: argparse.Namespace) -> int:
    """Make the city's official evaluation sheet the active rulebook (records file + atomic rebuild)."""
    from kla.core import fmt
    from kla.ingest import build
    from kla.ingest.sheet_imports import install_rulebook

    result = install_rulebook(
        Path(args.file),
        Path(args.db) if args.db else None,
        sheet=args.sheet,
        rulebook_id=args.id,
        version=args.version,
        title=args.title,
        weights_official=not args.bobot_ilustratif,
        progress=_progress if not args.quiet else build.quiet,
    )
    rb, sha = result.rulebook, result.sha256
    if result.status == "unchanged":
        for note in result.notes:
            print(f"Catatan: {note}", file=sys.stderr)
        print(f"{result.file} sudah menjadi rulebook aktif ({rb.key}); tidak ada perubahan.", file=sys.stderr)
        return 0
    for note in result.notes:
        print(f"Catatan: {note}", file=sys.stderr)
    groups = ", ".join(
        f"{g.label} {fmt.number(sum(i.max_points for i in rb.indicators if i.group == g.code))}" for g in rb.groups
    )
    print(
        f"Rulebook aktif sekarang {rb.key}: {len(rb.indicators)} indikator, "
        f"{'bobot resmi' if rb.weights_official else rb.weights_label} ({groups}); "
        f"dari {result.file} (sha256 {sha[:12]}…), disimpan di {result.records_file}. "
        f"Basis data dibangun ulang: {result.db} (sumber impor dibawa: {result.carried_sources}).",
        file=sys.stderr,
    )
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from kla.core.rulebook import load_rulebook
    from kla.ingest.scores_io import write_template

    rb = load_rulebook(config.load_city().rulebook)
    out = write_template(rb, Path(args.out))
    print(f"Templat ditulis: {out}", file=sys.stderr)
    return 0


def cmd_sample_scores(args: argparse.Namespace) -> int:
    import pandas as pd

    from kla.core.rulebook import load_rulebook
    from kla.ingest.sample_kla import write_kecamatan_sample, write_samples

    city = config.load_city(check=False)  # the score files are what this command writes
    rb = load_rulebook(Path(args.rulebook) if args.rulebook else city.require(city.rulebook, "rulebook"))
    wilayah = pd.read_csv(city.require(city.wilayah, "wilayah"), dtype=str)
    kecamatan = wilayah.loc[wilayah["level"] == "kecamatan", "code"].tolist()
    out_dir = Path(args.out_dir)
    for p in [*write_samples(rb, out_dir), write_kecamatan_sample(rb, out_dir, kecamatan)]:
        print(f"DATA CONTOH ditulis: {p}", file=sys.stderr)
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; for a command of :data:`LIGHT_COMMANDS`, only its module's."""
    parser = _Parser(prog="python -m kla", description="Dasbor KLA: basis data dan analisis.")
    sub = parser.add_subparsers(dest="command", required=True)
    if command in LIGHT_COMMANDS:
        from kla.cli import nutrition  # alone: it imports neither pandas nor DuckDB at the top

        unused = {"import": argparse.ArgumentParser().add_subparsers()}  # its import commands are not parsed here
        nutrition.register_cli(sub, unused)
        return parser

    p = sub.add_parser("build", help="bangun basis data DuckDB dari sumber teks folder kota (KLA_CITY, bawaan data/)")
    p.add_argument("--db", help="berkas keluaran (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.add_argument("--if-stale", action="store_true", help="hanya jika belum ada atau lebih tua dari sumbernya")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("score", help="nilai total, kategori dan poin hilang untuk satu tahun")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--area", help="kode wilayah (bawaan: kota)")
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_score)

    imp = sub.add_parser("import", help="impor berkas (nilai KLA, e-PPGBM, rekap, …)")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    p = imp_sub.add_parser("kla-scores", help="nilai penilaian mandiri KLA (CSV/XLSX dari templat)")
    p.add_argument("file", help="berkas CSV atau XLSX")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.set_defaults(func=cmd_import_scores)

    p = imp_sub.add_parser(
        "rulebook",
        help="lembar evaluasi KLA resmi (XLSX, CSV atau TOML) menjadi rulebook aktif",
        description="Baca lembar evaluasi KLA resmi kota (kolom nomor, indikator, klaster, poin maksimal; "
        "opsional tingkat poin, OPD, sumber), periksa, simpan sebagai catatan kota (records/rulebook.toml) "
        "lalu bangun ulang basis data dengan rulebook itu.",
    )
    p.add_argument("file", help="berkas .xlsx, .csv atau .toml")
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.add_argument("--id", help="id rulebook (bawaan: kla-resmi-<kode kota>)")
    p.add_argument("--version", help="versi rulebook (bawaan: 12 digit awal sha256 berkas)")
    p.add_argument("--title", help="judul rulebook")
    p.add_argument("--sheet", help="nama sheet XLSX (bila ada beberapa tabel indikator)")
    p.add_argument(
        "--bobot-ilustratif",
        action="store_true",
        help="bobotnya belum resmi: label 'bobot ilustratif' tetap tampil",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_import_rulebook)

    rec = sub.add_parser("records", help="catatan kota (impor, skenario, rulebook resmi) di luar basis data")
    rec_sub = rec.add_subparsers(dest="what", required=True)
    p = rec_sub.add_parser(
        "backup",
        help="salin folder catatan kota ke DEST/records-<waktu UTC> (aman saat aplikasi berjalan)",
    )
    p.add_argument("dest", help="folder tujuan cadangan")
    p.set_defaults(func=cmd_records_backup)

    p = sub.add_parser("template", help="tulis templat penilaian mandiri (.csv atau .xlsx)")
    p.add_argument("out")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("sample", help="buat ulang DATA CONTOH nilai KLA")
    p.add_argument("--out-dir", default=str(config.data_dir() / "sample"))
    p.add_argument("--rulebook", help="berkas rulebook TOML (bawaan: rulebook kota)")
    p.set_defaults(func=cmd_sample_scores)

    # Here, not at the top of this module: kla.cli.plan imports pandas and DuckDB, which a light
    # command must not wait for.
    from kla.cli import admin, geo, nutrition, plan

    groups = {"import": imp_sub}
    # python -m kla geo …; plan (issue 5); import eppgbm|rekap, zscore, bench; admin hash (issue 13)
    for module in (geo, plan, nutrition, admin):
        module.register_cli(sub, groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KlaError as exc:
        print(f"GAGAL: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Dibatalkan; basis data lama tidak diubah.", file=sys.stderr)
        return 130
