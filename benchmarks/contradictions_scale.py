"""Contradictions at scale: the build's contradictions step on many figures of one source.

    python benchmarks/contradictions_scale.py [--figures 10000 50000 200000]

Takes the real figures of the long article (raw/ktfd-ketamine-vs-antidepressants), and makes N
figures of one source from them: copies with new ids whose numbers are shifted a little
(0 to 18 %), so that groups hold many agreeing and disagreeing figures, as a growing source
would. Shape 'real keys' keeps the article's comparison keys (a few hundred groups); shape
'many keys' also gives every copy one of 100 subgroups, so that the groups are a hundred
times as many. Prints, per shape and size, the time of the contradictions step alone
(grouping, the rules, the rows), the rows it publishes, and the rows a pairwise table
would have had (pairs of figures that share a key), without computing those pairs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCE = "ktfd-ketamine-vs-antidepressants"


def base_figures() -> list[dict]:
    from ketamine_ssri_evidence.release_build import _records
    from ketamine_ssri_evidence.validation import validate

    rows = validate(raw_dir=ROOT / "raw").rows["figures"]
    return [f for f in _records("figures", rows) if f["source_id"] == SOURCE]


def synthetic(base: list[dict], n: int, many_keys: bool) -> list[dict]:
    out = []
    for i in range(n):
        f = dict(base[i % len(base)])
        shift = 1 + 0.03 * ((i // len(base)) % 7)
        for k in ("value", "low", "high"):
            if f.get(k) is not None:
                f[k] = round(f[k] * shift, 2)
        f["figure_id"] = f"{SOURCE}/{i + 1:06d}"
        if many_keys:
            f["subgroup"] = f"subgroup {i % 100}"
        out.append(f)
    return out


def main() -> None:
    from ketamine_ssri_evidence.comparison import key_fields, key_value, span
    from ketamine_ssri_evidence.contradictions import contradictions

    ap = argparse.ArgumentParser()
    ap.add_argument("--figures", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    args = ap.parse_args()
    base = base_figures()
    print(f"base: {len(base)} figures of {SOURCE}")
    print("| shape | figures | seconds | rows published | of which conflict/tension | pairs sharing a key |")
    print("|---|---:|---:|---:|---:|---:|")
    for many in (False, True):
        for n in args.figures:
            figs = synthetic(base, n, many)
            t0 = time.perf_counter()
            rows = contradictions(figs)
            dt = time.perf_counter() - t0
            sizes = Counter(tuple(key_value(f, k["field"]) for k in key_fields()) for f in figs if span(f) is not None)
            pairs = sum(c * (c - 1) // 2 for c in sizes.values())
            headline = sum(r["severity"] in ("conflict", "tension") for r in rows)
            print(
                f"| {'many keys' if many else 'real keys'} | {n:,} | {dt:.2f} | {len(rows):,} | {headline:,} | {pairs:,} |"
            )


if __name__ == "__main__":
    main()
