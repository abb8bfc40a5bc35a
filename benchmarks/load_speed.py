"""Whole-process time of loading the figures table: this package against plain pandas.

    python benchmarks/load_speed.py [--runs N]

Prints the median wall time of N fresh processes for each command and their ratio (goal:
at most 1.3). Both read the same Parquet file of the current release.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ketamine_ssri_evidence.releases import current_release  # noqa: E402


def median_time(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    path = ROOT / "build" / current_release()["version"] / "figures.parquet"
    ours = median_time("import ketamine_ssri_evidence as kse; kse.load('figures')", args.runs)
    plain = median_time(f"import pandas; pandas.read_parquet({str(path)!r})", args.runs)
    print(f"runs per command: {args.runs} (median wall time of a whole python process)")
    print(f"kse.load('figures'):  {ours * 1000:.0f} ms")
    print(f"pandas.read_parquet(path):     {plain * 1000:.0f} ms")
    print(f"ratio: {ours / plain:.2f} (goal: at most 1.3)")


if __name__ == "__main__":
    main()
