"""Golden corpus: every invalid contribution yields exactly its expected problems."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from ketamine_ssri_evidence import _schema
from ketamine_ssri_evidence.issues import CODES
from ketamine_ssri_evidence.validation import validate

CASES = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())
sys.path.insert(0, str(FIXTURES))
import make_invalid  # noqa: E402  (the cases made at test time: links, FIFOs, odd file names)

RUNTIME = sorted(make_invalid.RUNTIME)
# codes that no fixture can trigger while no schema field uses the constraint behind them
UNREACHABLE = {"maximum": lambda: not any(f.maximum is not None for t in _schema.table_names() for f in _schema.table(t).fields)}


# codes that the build reports (derived figures and reviews, read by the build, not by validate):
# tests/test_reviews_and_derived.py triggers each of them
BUILD_CODES = {"derived-input", "derived-formula", "review-unknown-figure", "review-stale"}


def _expected(case):
    with (case / "expected.csv").open(encoding="utf-8", newline="") as f:
        return sorted((r["path"], int(r["line"]), r["code"]) for r in csv.DictReader(f))


def _run(case):
    options = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    snapshots = case / "snapshots"
    return validate(raw_dir=case / "raw", snapshots=snapshots if snapshots.is_dir() else None, **options)


def test_valid_fixture_is_clean():
    case = FIXTURES / "valid"
    assert validate(raw_dir=case / "raw", snapshots=case / "snapshots").issues == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_fixture(case):
    got = sorted((i.path, i.line, i.code) for i in _run(case).issues)
    assert got == _expected(case)


@pytest.mark.parametrize("name", RUNTIME)
def test_invalid_case_made_at_test_time(name, tmp_path):
    raw = make_invalid.make_runtime(name, tmp_path / name)
    got = sorted((i.path, i.line, i.code) for i in validate(raw_dir=raw, snapshots=raw.parent / "snapshots").issues)
    assert got == sorted(make_invalid.RUNTIME[name][1])


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_fixture(code):
    covered = {c for case in CASES for _, _, c in _expected(case)}
    covered |= {c for name in RUNTIME for _, _, c in make_invalid.RUNTIME[name][1]}
    if code in BUILD_CODES:
        assert f'"{code}")' in (ROOT / "tests" / "test_reviews_and_derived.py").read_text(encoding="utf-8")
        return
    if code in UNREACHABLE:
        assert UNREACHABLE[code](), f"{code} is reachable now: add a fixture for it"
        return
    assert code in covered, f"no fixture in tests/fixtures/invalid yields {code}"


def test_corpus_is_up_to_date(tmp_path):
    """The committed corpus is what make_invalid.py writes (no hand edits drift)."""
    script = FIXTURES / "make_invalid.py"
    src = script.read_text(encoding="utf-8")
    out = tmp_path / "invalid"
    code = src.replace('OUT = HERE / "invalid"', f"OUT = __import__('pathlib').Path({str(out)!r})")
    subprocess.run([sys.executable, "-c", code.replace("HERE = Path(__file__).resolve().parent", f"HERE = Path({str(FIXTURES)!r})")],
                   check=True, capture_output=True)
    for case in CASES:
        for p in case.rglob("*"):
            if p.is_file():
                assert p.read_bytes() == (out / p.relative_to(FIXTURES / "invalid")).read_bytes(), p


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_reports_without_traceback(case):
    options = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    if options:
        pytest.skip("the CLI has no size-limit option")
    args = [sys.executable, "-m", "ketamine_ssri_evidence", "validate", "--raw", str(case / "raw")]
    if (case / "snapshots").is_dir():
        args += ["--snapshots", str(case / "snapshots")]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith(f"{len(_expected(case))} problem")
    for line in lines[:-1]:
        assert line.endswith("]") and ": " in line


def test_a_100_mb_file_is_refused_by_its_size(tmp_path):
    """Not committed (too big): made here as a sparse file, refused before it is read."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "valid" / "raw", raw)
    big = raw / "demo" / "figures.csv"
    with big.open("r+b") as f:
        f.truncate(100 * 1024 * 1024)
    # peak memory from VmHWM, which starts afresh at exec (ru_maxrss would carry pytest's own)
    code = ("import re, sys, time; t = time.perf_counter(); sys.path.insert(0, %r); "
            "from ketamine_ssri_evidence.validation import validate; r = validate(raw_dir=%r); "
            "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024; "
            "print(time.perf_counter() - t, hwm, ' '.join(sorted({i.code for i in r.issues})))" % (str(ROOT), str(raw)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    seconds, peak_mb, codes = out.stdout.split(maxsplit=2)
    assert codes.strip() == "file-too-large"
    assert float(seconds) < 10 and int(peak_mb) < 300
