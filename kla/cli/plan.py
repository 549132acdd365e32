"""``python -m kla plan``: the Jalan ke Madya plan on the command line (same code as the page)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kla.core import config, planner
from kla.core.errors import KlaError
from kla.read import analysis as analysis_data
from kla.read import repository
from kla.read.db import connect_readonly


def cmd_plan(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else config.db_path()
    con = connect_readonly(db)
    try:
        rb = analysis_data.rulebook_with_crosswalk(con)
        area = args.area or repository.meta(con)["city_code"]
        frame = repository.kla_scores(con, year=args.year, area=area)
    finally:
        con.close()
    points = analysis_data.ensure_scores(frame, year=args.year, area=area)
    difficulty = planner.load_difficulty(Path(args.difficulty), rb) if args.difficulty else {}
    locked = [c.strip().upper() for c in (args.lock or "").split(",") if c.strip()]
    result = planner.plan(
        points, rb, target=args.target, difficulty=difficulty, locked=locked, year=args.year, area=area
    )
    sample = "sample" in set(frame["source_kind"].dropna())
    if args.json:
        out = result.to_dict()
        out["sample"] = sample
        out["weights_label"] = rb.weights_label
        out["weights_official"] = rb.weights_official
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        label = " (DATA CONTOH)" if sample else ""
        print(f"{area} {args.year}{label}: {result.message()}")
        for s in result.steps:
            req = f"  [{'; '.join(s.requirements)}]" if s.requirements else ""
            print(
                f"  {s.number:>2}. {s.name[:60]:<60} {s.from_points:6.2f} → {s.to_points:6.2f}  "
                f"kesulitan {s.difficulty}  upaya {s.effort:g}  ({s.opd}){req}"
            )
        if rb.weights_note:
            print(f"Bobot: {rb.weights_note}")
    if not result.reachable:
        if not args.json:
            print(f"GAGAL: {result.message()}", file=sys.stderr)
        return 2
    return 0


def register_cli(sub: argparse._SubParsersAction, groups: dict) -> None:
    p = sub.add_parser("plan", help="rencana upaya terkecil menuju kategori berikut atau kategori target")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--target", help="kategori target (bawaan: kategori berikutnya)")
    p.add_argument("--difficulty", help="berkas kesulitan 1–5 per indikator (CSV kode_indikator,kesulitan atau JSON)")
    p.add_argument("--lock", help="kode indikator yang dikunci, dipisah koma (mis. I07,I19)")
    p.add_argument("--area", help="kode wilayah (bawaan: kota)")
    p.add_argument("--db", help="basis data (bawaan: KLA_DB atau kla.duckdb di folder kota)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plan)


__all__ = ["cmd_plan", "register_cli", "KlaError"]
