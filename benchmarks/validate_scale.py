"""Validation at scale: the full validator against `frictionless validate` on synthetic data.

    python benchmarks/validate_scale.py [--rows 10000 100000 1000000] [--no-frictionless]

Writes a synthetic, valid source folder (source.yaml and a figures.csv of N rows made from
varied templates), then times, each in a fresh process: our validator (schema, cross-field
rules, value-text agreement, keys) and `frictionless validate` with the same Table Schema on
the same CSV. Prints wall time, rows per second and peak memory (max RSS) of each.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def templates(k: int) -> list[dict]:
    """Eight kinds of figure; k (0-99) varies their numbers, as real data would."""
    a, b = 10 + k % 40, 50 + k % 40
    return [
        dict(value_text=f"up to {b}%", qualifier="up_to", value=str(b), unit="%", measure="remission_rate", treatment="ketamine", route="iv", population="trd"),
        dict(value_text=f"{k % 4 + 1}–{k % 4 + 6} weeks", qualifier="range", low=str(k % 4 + 1), high=str(k % 4 + 6), unit="wk", measure="onset_time", treatment="ssri", route="oral", population="unspecified"),
        dict(value_text=f"about {a}% to {b}%", qualifier="approx_range", low=str(a), high=str(b), unit="%", measure="remission_rate", treatment="ssri", route="oral", population="mdd"),
        dict(value_text="hours to days", qualifier="qualitative", measure="onset_time", treatment="ketamine", route="unspecified", population="unspecified"),
        dict(value_text=f"${400 + k}–${800 + k}", qualifier="range", low=str(400 + k), high=str(800 + k), unit="USD", measure="cost_per_session", treatment="ketamine", route="iv", population="unspecified"),
        dict(value_text="two-thirds", qualifier="exact", value="66.67", unit="%", measure="discontinuation_rate", treatment="ssri", route="oral", population="mdd", timepoint=f"P{k % 12 + 1}M", timepoint_anchor="treatment_start"),
        dict(value_text=f"1.{k:02d}", qualifier="exact", value=f"1.{k:02d}", unit="1", measure="effect_size", treatment="ketamine", route="iv", population="trd", comparator="placebo"),
        dict(value_text=f"about {a}%", qualifier="approx", value=str(a), unit="%", measure="adverse_effect_rate", event="nausea", treatment="ketamine", route="iv", population="unspecified", n=str(20 + k)),
    ]


TEMPLATES = [templates(k) for k in range(100)]


def write_dataset(folder: Path, rows: int) -> Path:
    from ketamine_ssri_evidence import _schema

    src = folder / "raw" / "bench"
    src.mkdir(parents=True)
    (src / "source.yaml").write_text("source_id: bench\nkind: web_article\nresolution: archived\n"
                                     "title: Synthetic benchmark source\naccessed: 2026-11-21\n", encoding="utf-8")
    cols = [f.name for f in _schema.table("figures").raw_fields]
    with (src / "figures.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for i in range(rows):
            t = TEMPLATES[(i // 8) % 100][i % 8]
            r = dict(t, figure_id=f"bench/{i + 1:07d}", source_id="bench", locator=f"Section {i % 97}",
                     note=f"Synthetic row {i}.")
            w.writerow([r.get(c, "") for c in cols])
    return src / "figures.csv"


def table_schema(path: Path) -> Path:
    """The contributed columns of figures, with vocabularies as enums (what frictionless can check)."""
    from ketamine_ssri_evidence import _schema
    from ketamine_ssri_evidence.building import resource_schema

    schema = resource_schema("figures")
    raw = {f.name for f in _schema.table("figures").raw_fields}
    schema["fields"] = [f for f in schema["fields"] if f["name"] in raw]
    schema.pop("foreignKeys", None)
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, exit status of a fresh process."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
               "w = time.perf_counter() - t; "
               "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    wall, rss, rc = out.stdout.split()
    return float(wall), float(rss), int(rc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--no-frictionless", action="store_true")
    args = ap.parse_args()
    frictionless = str(Path(sys.executable).parent / "frictionless")
    print("| rows | CSV MB | validator s | rows/s | peak MB | peak / CSV | frictionless s | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            csv_path = write_dataset(tmp, n)
            mb = csv_path.stat().st_size / 1e6
            ours = [sys.executable, "-c",
                    "import sys; sys.path.insert(0, %r); from ketamine_ssri_evidence.validation import validate; "
                    "r = validate(raw_dir='raw', max_bytes=10**10, keep_rows=False); sys.exit(1 if r.issues else 0)" % str(ROOT)]
            wall, rss, rc = timed(ours, tmp)
            if rc != 0:
                raise SystemExit(f"the synthetic data did not validate (exit {rc})")
            fr = "-"
            speedup = "-"
            if not args.no_frictionless:
                table_schema(tmp / "schema.json")
                rel = csv_path.relative_to(tmp).as_posix()
                fwall, _, _ = timed([frictionless, "validate", rel, "--schema", "schema.json"], tmp)
                fr, speedup = f"{fwall:.1f}", f"{fwall / wall:.1f}×"
            print(f"| {n:,} | {mb:.1f} | {wall:.2f} | {n / wall:,.0f} | {rss:.0f} | {rss / mb:.1f} | {fr} | {speedup} |",
                  flush=True)


if __name__ == "__main__":
    main()
