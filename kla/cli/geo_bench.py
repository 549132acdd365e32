"""Benchmarks for the maps issue. Measures and prints; asserts nothing.

    .venv/bin/python -m kla.cli.geo_bench [--mirror ../shared/geo] [--runs 7]

* boundary import of the kecamatan files incl. validation and simplification (target < 5 s),
  pure path and the whole ``fetch_into`` (staged copy, provenance, swap);
* figure JSON size sent to the browser, kecamatan (< 150 KB) and kelurahan (< 400 KB).

The Peta page's warm render (< 1 s) and measure switch (< 0.5 s server time) are measured through
Streamlit's AppTest by ``python tests/benchmarks.py peta`` (commands never import streamlit).

Medians, because the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.0f} ms (n={len(samples)}, min {min(samples) * 1000:.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", default=str(ROOT.parent / "shared" / "geo"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    import pandas as pd

    from geo.fetch import fetch
    from geo.validate import prepare
    from kla.core import config
    from kla.ingest import build
    from kla.ingest.boundaries import fetch_into

    city = config.load_city()
    wilayah = pd.read_csv(city.wilayah, dtype=str)
    for level in ("kecamatan", "kelurahan"):
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            frames = fetch(args.mirror, [level])
            prepare(frames[level], level, wilayah, official_area_km2=city.official_area_km2)
            samples.append(time.perf_counter() - t)
        print(f"{level}: fetch (mirror) + verify + validate + simplify, in-process: {_ms(samples)}")

    tmp = Path(tempfile.mkdtemp(prefix="kla-geo-bench-"))
    db = tmp / "kla.duckdb"
    build.build(db)
    samples = []
    for _ in range(args.runs):
        t = time.perf_counter()
        fetch_into(db, source=args.mirror, levels=("kecamatan",))
        samples.append(time.perf_counter() - t)
    print(f"kecamatan: fetch_into (incl. staged copy, provenance, atomic swap): {_ms(samples)}")
    t = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter and module, fixed argv
        [sys.executable, "-m", "kla", "geo", "fetch", "--from", args.mirror, "--db", str(db)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    print(
        f"python -m kla geo fetch --from MIRROR (both levels, whole command): {(time.perf_counter() - t) * 1000:.0f} ms"
    )

    _figure_sizes(db)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _figure_sizes(db: Path) -> None:
    from kla.figures import maps as map_figures
    from kla.figures.charts import Stamp
    from kla.read import boundaries as geostore
    from kla.read import mapdata
    from kla.read.db import connect_readonly
    from kla.views import maps

    con = connect_readonly(db)
    try:
        inputs = maps.MapInputs(mapdata.nutrition(con), mapdata.published(con), mapdata.kla_achievement(con))
        for level, label_size in (("kecamatan", 12), ("kelurahan", 8)):
            frame = geostore.load_boundaries(con, level)
            fc = geostore.feature_collection(frame)
            areas = frame[["code", "name"]]
            for key in ("gizi_stunting", "terbitan_stunting"):
                periods = maps.periods_for(inputs, key, level)
                if not periods:
                    continue
                values = maps.values_for(inputs, key, level, periods[-1], areas)
                stamp = Stamp("x", "y", periods[-1])
                fig = map_figures.choropleth(
                    values,
                    fc,
                    measure=maps.CHOICES[key].measure,
                    stamp=stamp,
                    options=map_figures.MapOptions(label_size=label_size),
                )
                bar = map_figures.ranked_bar(values, measure=maps.CHOICES[key].measure, stamp=stamp)
                print(
                    f"figure JSON {level:9s} {key:18s}: map {map_figures.figure_json_size(fig) / 1024:.1f} KB, "
                    f"ranked bar {map_figures.figure_json_size(bar) / 1024:.1f} KB"
                )
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
