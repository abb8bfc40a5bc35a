"""Validation and build at scale: the commands a user runs, on data made from the real sources.

    python benchmarks/scale.py [--quick] [--shape NAME ...] [--limit S] [--frictionless-limit S]
                               [--keep DIR]

Each shape is a synthetic raw/ folder made from the project's own raw/: every source.yaml is a
real one with a new source_id, every figure row a real row with new ids, a distinct note and,
where its printed numbers can be shifted without changing what the text says, shifted numbers
(each such variant is kept only if the validator accepts it). ``attributed_to`` points at the
synthetic copy of the study the real row credits, when that copy exists, and is empty otherwise.

For every shape the script runs, each in a fresh process, with a time limit and a memory limit
(a child above 6 GB resident is stopped):

- ``floor``: reading the same CSV files with ``pyarrow.csv.read_csv`` (every file, tables kept);
- ``frictionless``: ``frictionless validate`` on a data package listing the same CSV files by
  relative path, with the contributed columns of the figures Table Schema (vocabularies as enums);
- ``validate``: ``python -m ketamine_ssri_evidence validate --raw raw``;
- on some shapes ``validate one``: the same command for one source folder among all of them,
  ``validate --changed`` (one source changed in a git commit; run twice: the first run reads
  every folder and writes the index cache under .git/, the second reads the changed folder and
  the cache), and ``build --raw raw --out out/build``.

It prints wall time, the ratio to the floor and to frictionless measured in the same run, the peak
memory (maximum RSS of the child process, from ``os.wait4``) and its ratio to the CSV bytes.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_RAW = ROOT / "raw"
PY = sys.executable
CLI = [PY, "-m", "ketamine_ssri_evidence"]
FRICTIONLESS = str(Path(sys.executable).parent / "frictionless")


# ------------------------------------------------------------------ shapes


def _spread(sources: int, total: int, lo: int, hi: int) -> list[int]:
    """``sources`` sizes between lo and hi (a fixed, even spread) that add up to ``total``."""
    step = (hi - lo) / max(sources - 1, 1)
    sizes = [lo + round(i * step) for i in range(sources)]
    sizes = [sizes[(i * 7919) % sources] for i in range(sources)]  # mixed order, same multiset
    diff = total - sum(sizes)
    i = 0
    while diff:
        d = 1 if diff > 0 else -1
        if lo <= sizes[i % sources] + d <= hi:
            sizes[i % sources] += d
            diff -= d
        i += 1
    return sizes


@dataclasses.dataclass
class Shape:
    name: str
    label: str
    sizes: list[int]
    commands: tuple[str, ...]
    lean: bool = False  # notes left empty, so that one source's file stays under the 20 MiB cap


def shapes(quick: bool) -> list[Shape]:
    full = ("floor", "frictionless", "validate")
    if quick:
        return [
            Shape("one-file", "1 source of 20,000 rows", [20_000], full),
            Shape(
                "sources-1k",
                "10 sources of 300 rows",
                [300] * 10,
                full + ("validate one", "validate --changed", "build"),
            ),
            Shape(
                "sources-10k",
                "100 sources of 10 to 190 rows",
                _spread(100, 10_000, 10, 190),
                full + ("validate one", "validate --changed"),
            ),
            Shape("one-row", "100 sources of one row", [1] * 100, full),
            Shape(
                "contradictions",
                "1 source of 1,000 rows, no notes (build)",
                [1_000],
                ("floor", "validate", "build"),
                True,
            ),
        ]
    return [
        Shape("one-file", "1 source of 1,000,000 rows", [1_000_000], full),
        Shape(
            "sources-1k",
            "1,000 sources of 1,000 rows",
            [1_000] * 1_000,
            full + ("validate one", "validate --changed", "build"),
        ),
        Shape(
            "sources-10k",
            "10,000 sources of 10 to 190 rows",
            _spread(10_000, 1_000_000, 10, 190),
            full + ("validate one", "validate --changed"),
        ),
        Shape("one-row", "5,000 sources of one row", [1] * 5_000, full),
        Shape(
            "contradictions",
            "1 source of 50,000 rows, no notes (build)",
            [50_000],
            ("floor", "validate", "build"),
            True,
        ),
    ]


# ------------------------------------------------------------------ templates from the real sources

_NUM = re.compile(r"(?<![\d.,])\d+(?:\.\d+)?(?![\d,]|\.\d)")


def _shifted(row: dict, d: int) -> dict | None:
    """The row with every printed number raised by ``d``, when text and numbers say the same."""
    q = row["qualifier"]
    names = ("low", "high") if q in ("range", "approx_range") else ("value",)
    fields = [row[n] for n in names]
    if q == "qualitative" or "" in fields:
        return None
    tokens = _NUM.findall(row["value_text"])
    if tokens != fields or re.search(r"\d,\d", row["value_text"]):
        return None

    def up(tok: str) -> str:
        dec = len(tok.split(".")[1]) if "." in tok else 0
        return f"{float(tok) + d:.{dec}f}"

    new = dict(row)
    new["value_text"] = _NUM.sub(lambda m: up(m.group(0)), row["value_text"])
    for n in names:
        new[n] = up(row[n])
    return new


def real_templates(raw: Path = REAL_RAW) -> tuple[list[str], list[dict], list[tuple[str, str]]]:
    """(CSV columns, figure rows, (source_id, source.yaml text)) of the real raw/ folder."""
    cols: list[str] = []
    rows: list[dict] = []
    yamls = []
    for d in sorted(p for p in raw.iterdir() if p.is_dir() and not p.name.startswith(".")):
        yamls.append((d.name, (d / "source.yaml").read_text(encoding="utf-8")))
        f = d / "figures.csv"
        if f.is_file():
            with f.open(encoding="utf-8", newline="") as fh:
                r = csv.DictReader(fh)
                cols = cols or list(r.fieldnames)
                # a copy gets new ids, so a note's "Restates <figure_id>" would name a figure
                # that the synthetic data does not hold
                rows.extend(dict(row, note=_RESTATES.sub("Repeats", row["note"])) for row in r)
    return cols, rows, yamls


_RESTATES = re.compile(r"\bRestates\b", re.IGNORECASE)


def _yaml_with_id(text: str, sid: str) -> str:
    return re.sub(r"(?m)^source_id: .*$", f"source_id: {sid}", text, count=1)


def template_pool(variants: int = 12) -> tuple[list[str], list[dict], list[tuple[str, str]]]:
    """Real rows plus number-shifted variants that the validator accepts."""
    from ketamine_ssri_evidence.validation import validate

    cols, rows, yamls = real_templates()
    candidates = list(rows)
    for d in range(1, variants + 1):
        candidates.extend(v for v in (_shifted(r, d) for r in rows) if v is not None)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        for sid, text in yamls:  # the real sources, so that attributed_to resolves
            (raw / sid).mkdir(parents=True)
            (raw / sid / "source.yaml").write_text(text, encoding="utf-8")
        pool = raw / "pool"
        pool.mkdir()
        (pool / "source.yaml").write_text(_yaml_with_id(yamls[0][1], "pool"), encoding="utf-8")
        with (pool / "figures.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            lines = []  # the line each candidate starts on
            line = 2
            for i, r in enumerate(candidates):
                r = dict(r, figure_id=f"pool/{i + 1:07d}", source_id="pool")
                cells = [r[c] for c in cols]
                w.writerow(cells)
                lines.append(line)
                line += 1 + sum(c.count("\n") for c in cells)
        result = validate(raw_dir=raw, keep_rows=False, max_bytes=1 << 40)
        bad_lines = {i.line for i in result.issues if i.path.startswith("raw/pool/figures.csv")}
        if any(not i.path.startswith("raw/pool/") for i in result.issues):
            raise SystemExit("the real raw/ folder does not validate: " + str(result.issues[0]))
    keep = [r for r, ln in zip(candidates, lines) if ln not in bad_lines]
    if len(keep) < len(rows):
        raise SystemExit("real rows were rejected when copied; the generator needs fixing")
    return cols, keep, yamls


# ------------------------------------------------------------------ writing a shape


def source_ids(n: int, yamls) -> list[str]:
    return [f"s{k:05d}-{yamls[k % len(yamls)][0]}"[:80].rstrip("-") for k in range(n)]


def write_raw(raw: Path, sizes: list[int], pool, start: int = 0, lean: bool = False) -> int:
    """Write ``len(sizes)`` source folders under ``raw``; returns the CSV bytes written."""
    cols, rows, yamls = pool
    ids = source_ids(len(sizes), yamls)
    index = {sid: i for i, (sid, _) in enumerate(yamls)}
    total = 0
    for k, size in enumerate(sizes):
        sid = ids[k]
        d = raw / sid
        d.mkdir(parents=True, exist_ok=True)
        (d / "source.yaml").write_text(_yaml_with_id(yamls[k % len(yamls)][1], sid), encoding="utf-8")
        width = max(3, len(str(size)))
        block = (k // len(yamls)) * len(yamls)
        with (d / "figures.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for j in range(size):
                t = rows[(start + k * 7919 + j) % len(rows)]
                r = dict(
                    t,
                    figure_id=f"{sid}/{j + 1:0{width}d}",
                    source_id=sid,
                    note="" if lean else (t["note"] + f" (Copy {j + 1} in {sid}.)").strip(),
                )
                if t["attributed_to"]:
                    target = block + index.get(t["attributed_to"], -1)
                    r["attributed_to"] = (
                        ids[target]
                        if index.get(t["attributed_to"], -1) >= 0 and target < len(sizes) and target != k
                        else ""
                    )
                w.writerow([r[c] for c in cols])
        total += (d / "figures.csv").stat().st_size
    return total


def frictionless_package(folder: Path, raw: Path) -> Path:
    """A data package of every figures.csv by relative path, with the contributed columns' schema."""
    from ketamine_ssri_evidence import schemas
    from ketamine_ssri_evidence.package_descriptor import resource_schema

    schema = resource_schema("figures")
    names = {f.name for f in schemas.table("figures").raw_fields}
    schema["fields"] = [f for f in schema["fields"] if f["name"] in names]
    schema.pop("foreignKeys", None)
    (folder / "figures.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    resources = [
        {
            "name": f"figures-{i}",
            "path": p.relative_to(folder).as_posix(),
            "schema": "figures.schema.json",
            "format": "csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
        }
        for i, p in enumerate(sorted(raw.glob("*/figures.csv")))
    ]
    path = folder / "datapackage.json"
    path.write_text(json.dumps({"name": "bench", "resources": resources}), encoding="utf-8")
    return path


def write_shape(folder: Path, shape: Shape) -> None:
    """Write the shape's raw/ and frictionless package in ``folder``; print CSV bytes and pool sizes."""
    cache = folder.parent / "templates.json"
    if cache.is_file():
        pool = json.loads(cache.read_text(encoding="utf-8"))
    else:
        pool = template_pool()
        cache.write_text(json.dumps(pool), encoding="utf-8")
    raw = folder / "raw"
    n = write_raw(raw, shape.sizes, pool, lean=shape.lean)
    frictionless_package(folder, raw)
    print(n, len(pool[1]), len(real_templates()[1]), len(pool[2]))


# ------------------------------------------------------------------ running


@dataclasses.dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the child
    rss_mb: float
    rc: int | None  # None: stopped at the time limit
    out: str


MEMORY_LIMIT_MB = 6_000  # a child above this resident size is stopped: quadratic outputs can fill a machine


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return next((int(ln.split()[1]) / 1024 for ln in f if ln.startswith("VmRSS:")), 0.0)
    except OSError:
        return 0.0


def run(cmd: list[str], cwd: Path, limit: float, env: dict | None = None) -> Run:
    """Wall time, peak RSS and exit status of one fresh process, stopped after ``limit`` seconds
    or above ``MEMORY_LIMIT_MB``."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        stopped = threading.Event()
        done = threading.Event()

        def stop():
            stopped.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def watch():  # time and memory limits
            while not done.wait(0.2):
                if time.perf_counter() - t0 > limit or _rss_mb(p.pid) > MEMORY_LIMIT_MB:
                    stop()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        watcher.join()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return Run(
        wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, None if stopped.is_set() else p.returncode, text
    )


def cap_setting() -> tuple[list[str], dict, str]:
    """How a user raises the file-size cap on the command line: (extra arguments, environment, note)."""
    helptext = subprocess.run(CLI + ["validate", "--help"], capture_output=True, text=True).stdout
    if "--max-file-mb" in helptext:
        return ["--max-file-mb", "100000"], {}, "cap raised with --max-file-mb"
    return [], {}, "the command line has no way to raise the 20 MiB file cap"


def has_changed_option() -> bool:
    helptext = subprocess.run(CLI + ["validate", "--help"], capture_output=True, text=True).stdout
    return "--changed" in helptext


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def changed_repo(folder: Path) -> str:
    """Commit raw/ in ``folder``, then change one figure of one source in a second commit; the base."""
    _git(folder, "init", "-q")
    _git(folder, "add", "raw")
    _git(folder, "commit", "-q", "-m", "base")
    base = _git(folder, "rev-parse", "HEAD")
    one = sorted((folder / "raw").glob("*/figures.csv"))[len(list((folder / "raw").iterdir())) // 2]
    text = one.read_text(encoding="utf-8")
    changed = text.replace(" (Copy 1 in ", " (Changed copy 1 in ", 1)
    if changed == text:  # a shape kept from an earlier run (--keep) holds the change already
        changed = text.replace(" (Changed copy 1 in ", " (Copy 1 in ", 1)
    one.write_text(changed, encoding="utf-8")
    _git(folder, "commit", "-q", "-am", "one change")
    return base


def _summary(r: Run) -> str:
    if r.rc is None:
        return "stopped at the memory limit" if r.rss_mb > MEMORY_LIMIT_MB else "stopped at the time limit"
    lines = [ln for ln in r.out.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    if r.rc == 0:
        return ""
    codes = sorted(set(re.findall(r"\[([a-z-]+)\]$", r.out, re.MULTILINE)))
    return f"exit {r.rc}: " + (", ".join(codes) if codes else last[:120])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small shapes (under a minute in all)")
    ap.add_argument("--shape", nargs="+", help="run only these shapes (names as printed)")
    ap.add_argument("--limit", type=float, default=600, help="time limit of each command, seconds (default 600)")
    ap.add_argument(
        "--frictionless-limit",
        type=float,
        default=300,
        help="time limit of frictionless validate, seconds (default 300)",
    )
    ap.add_argument(
        "--keep",
        metavar="DIR",
        help="write the shapes here and keep them, or reuse the ones "
        "an earlier run kept there (default: a temporary folder)",
    )
    ap.add_argument("--write", nargs=2, metavar=("FOLDER", "SHAPE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:  # in a child process, so that the measuring process stays small
        return write_shape(Path(args.write[0]), next(s for s in shapes(args.quick) if s.name == args.write[1]))

    cap_args, cap_env, cap_note = cap_setting()
    changed = has_changed_option()
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}")
    print(f"file cap: {cap_note}; validate --changed: {'present' if changed else 'absent (skipped)'}")
    templates_said = False
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kse-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    if not args.keep:
        (base / "templates.json").unlink(missing_ok=True)
    try:
        for shape in shapes(args.quick):
            if args.shape and shape.name not in args.shape:
                continue
            folder = base / shape.name
            raw = folder / "raw"
            stamp = folder / "written.txt"  # what --write printed, for reuse with --keep
            if args.keep and stamp.is_file() and not (folder / ".git").exists():
                made = stamp.read_text(encoding="utf-8").split()
            else:
                if folder.exists():
                    shutil.rmtree(folder)
                folder.mkdir(parents=True)
                made = subprocess.run(
                    [PY, __file__, "--write", str(folder), shape.name] + ["--quick"] * args.quick,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                stamp.write_text(" ".join(made), encoding="utf-8")
            if not templates_said:
                print(
                    f"templates: {made[1]} figure rows ({made[2]} real, the rest with shifted numbers), "
                    f"{made[3]} source.yaml files\n"
                )
                print(
                    "| shape | rows | CSV MB | command | wall s | × floor | × frictionless | CPU s | CPU × floor | "
                    "peak MB | peak / CSV | note |"
                )
                print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
                templates_said = True
            mb = int(made[0]) / 1e6
            rows = sum(shape.sizes)
            floor = fr = None

            def show(command, r: Run | None, note=""):
                if r is None:
                    print(f"| {shape.label} | {rows:,} | {mb:.1f} | {command} | | | | | | | | {note} |", flush=True)
                    return
                limited = r.rc is None
                wall = f"> {r.wall:.0f}" if limited else f"{r.wall:.2f}"
                xf = (
                    ""
                    if floor is None or command == "floor"
                    else ("> " if limited else "") + f"{r.wall / floor.wall:.1f}"
                )
                xfr = ""
                if fr is not None and command != "frictionless":
                    xfr = (
                        f"< {r.wall / fr.wall:.2f}"
                        if fr.rc is None
                        else ("> " if limited else "") + f"{r.wall / fr.wall:.2f}"
                    )
                xc = (
                    ""
                    if floor is None or command == "floor"
                    else ("> " if limited else "") + f"{r.cpu / floor.cpu:.1f}"
                )
                note = "; ".join(x for x in (_summary(r), note) if x)
                print(
                    f"| {shape.label} | {rows:,} | {mb:.1f} | {command} | {wall} | {xf} | {xfr} | "
                    f"{r.cpu:.1f} | {xc} | {r.rss_mb:,.0f} | {r.rss_mb / mb:.1f} | {note} |",
                    flush=True,
                )

            for command in shape.commands:
                if command == "floor":
                    code = (
                        "import pathlib, sys, pyarrow.csv as c; "
                        "t = [c.read_csv(p) for p in sorted(pathlib.Path('raw').glob('*/figures.csv'))]"
                    )
                    floor = run([PY, "-c", code], folder, args.limit)
                    show(command, floor)
                elif command == "frictionless":
                    fr = run([FRICTIONLESS, "validate", "datapackage.json"], folder, args.frictionless_limit)
                    if fr.rc not in (0, None):
                        show(command, fr, "frictionless reported errors")
                    else:
                        show(command, fr)
                elif command == "validate":
                    big = any(p.stat().st_size > 20 * 1024 * 1024 for p in raw.glob("*/figures.csv"))
                    extra, env = (cap_args, cap_env) if big else ([], {})
                    r = run(CLI + ["validate", "--raw", "raw", *extra], folder, args.limit, env)
                    show(command, r, cap_note if big else "")
                elif command == "validate one":
                    one = sorted(raw.iterdir())[len(shape.sizes) // 2].resolve()
                    show(
                        command,
                        run(CLI + ["validate", "--raw", str(raw.resolve()), str(one)], folder, args.limit),
                        "one folder named; every folder is read",
                    )
                elif command == "validate --changed":
                    if not changed:
                        show(command, None, "skipped: the command line has no validate --changed")
                        continue
                    base_commit = changed_repo(folder)
                    for note in (
                        "one source changed in a commit; first run: reads every folder, writes the index cache",
                        "the same again: the other folders' identifiers from the cache",
                    ):
                        show(
                            command,
                            run(
                                CLI + ["validate", "--raw", "raw", "--changed", base_commit, *cap_args],
                                folder,
                                args.limit,
                            ),
                            note,
                        )
                elif command == "build":
                    big = any(p.stat().st_size > 20 * 1024 * 1024 for p in raw.glob("*/figures.csv"))
                    r = run(
                        CLI + ["build", "--raw", "raw", "--out", "out/build", *(cap_args if big else [])],
                        folder,
                        args.limit,
                    )
                    note = ""
                    built = next((folder / "out" / "build").glob("*/contradictions.csv"), None)
                    if built is not None and r.rc == 0:
                        with built.open(encoding="utf-8", newline="") as fh:
                            note = f"{sum(1 for _ in csv.reader(fh)) - 1:,} contradiction rows"
                    show(command, r, note)
            shutil.rmtree(folder / "out", ignore_errors=True)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
