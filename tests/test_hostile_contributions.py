"""A careless or hostile contributor: odd files, odd names, odd sizes.

Every case is made in a temporary copy of the valid fixture, beside a small published
``build/``, and run through the command line's ``main`` in this process (``conftest.cli``).
Each asserts the exit status, one clean ``path:line: field: value: reason [code]`` line per
problem and the count line, no traceback, bounded time and peak memory (``conftest.bounded``),
that nothing a link points at is printed, and that ``build/`` (the case's and the project's)
is unchanged, also after ``build`` was tried on it. A link and a FIFO also run as a real
process, which shows the same with the interpreter's own start and exit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, bounded, cli
from ketamine_ssri_evidence.issues import CODES

sys.path.insert(0, str(FIXTURES))
import make_invalid  # noqa: E402

LINE = re.compile(
    r"^(?P<path>[^\n]+?):(?P<line>[0-9]+): (?P<field>[^:\n]+): (?P<value>.*): (?P<reason>.+) \[(?P<code>[a-z0-9-]+)\]$"
)
PEAK_MB = 700  # a fresh process, interpreter and libraries included
RUN_PEAK_MB = 150  # the growth of this process's peak during one in-process run (libraries already loaded)
SECONDS = 90
FIG = "raw/demo/figures.csv"
SRC = "raw/demo/source.yaml"
SECRET = "root:x:0:0"  # a line of /etc/passwd


def _header(d: Path) -> bytes:
    return (d / "figures.csv").read_bytes().split(b"\n", 1)[0]


def _first_row(d: Path) -> bytes:
    return (d / "figures.csv").read_bytes().split(b"\n")[1]


def _rows(d: Path, n: int, change=lambda i, r: r) -> Path:
    row = _first_row(d)
    body = b"\n".join(change(i, row.replace(b"demo/001", b"demo/%07d" % i)) for i in range(1, n + 1))
    (d / "figures.csv").write_bytes(_header(d) + b"\n" + body + b"\n")
    return d / "figures.csv"


def _fifo(path: Path) -> Path:
    """``path`` replaced by a named pipe (reading it would block)."""
    path.unlink()
    os.mkfifo(path)
    return path


def _yaml(d: Path, text: bytes) -> None:
    (d / "source.yaml").write_bytes(text)


def _crlf_rows(d: Path, n: int) -> None:
    _rows(d, n)
    (d / "figures.csv").write_bytes((d / "figures.csv").read_bytes().replace(b"\n", b"\r\n"))


def _passwd_link(d: Path, name: str) -> None:
    target = Path("/etc/passwd") if Path("/etc/passwd").is_file() else Path(__file__)
    (d / name).unlink()
    (d / name).symlink_to(target)


# name -> (change the copy's raw/demo folder, the set of codes expected)
HOSTILE = {
    "figures-links-to-passwd": (lambda d: _passwd_link(d, "figures.csv"), {"symlink"}),
    "source-links-to-passwd": (lambda d: _passwd_link(d, "source.yaml"), {"symlink"}),
    "source-folder-is-a-link": (lambda d: (d.parent / "copy").symlink_to(d, target_is_directory=True), {"symlink"}),
    "raw-entry-links-outside": (lambda d: (d.parent / "etc").symlink_to("/etc", target_is_directory=True), {"symlink"}),
    "figures-is-a-fifo": (lambda d: _fifo(d / "figures.csv"), {"special-file"}),
    "source-is-a-folder": (lambda d: ((d / "source.yaml").unlink(), (d / "source.yaml").mkdir()), {"not-a-file"}),
    "figures-upper-case": (lambda d: (d / "figures.csv").rename(d / "FIGURES.csv"), {"misnamed-file"}),
    "figures-trailing-space": (lambda d: (d / "figures.csv").rename(d / "figures.csv "), {"misnamed-file"}),
    "source-yml": (lambda d: (d / "source.yaml").rename(d / "Source.yml"), {"misnamed-file", "missing-file"}),
    "hidden-file": (lambda d: (d / ".DS_Store").write_bytes(b"\0\0"), {"unexpected-file"}),
    "folder-name-upper": (lambda d: shutil.copytree(d, d.parent / "Demo"), {"bad-folder-name"}),
    "folder-name-long": (lambda d: shutil.copytree(d, d.parent / ("a" * 200)), {"bad-folder-name"}),
    "folder-name-bidi": (lambda d: shutil.copytree(d, d.parent / "demo\u202eexe"), {"bad-folder-name"}),
    "folder-name-not-utf8": (lambda d: os.mkdir(os.path.join(os.fsencode(d.parent), b"d\xffmo")), {"bad-folder-name"}),
    "empty-folder": (lambda d: (d.parent / "empty").mkdir(), {"missing-file"}),
    "wide-header": (
        lambda d: (d / "figures.csv").write_bytes(b",".join(b"c%d" % i for i in range(200_000)) + b"\n"),
        {"too-many-columns"},
    ),
    "only-a-bom": (lambda d: (d / "figures.csv").write_bytes(b"\xef\xbb\xbf"), {"bom", "empty-file"}),
    "nul-bytes": (lambda d: (d / "figures.csv").write_bytes(b"\0" * 10_000), {"nul-byte"}),
    "quoted-newline": (
        lambda d: (d / "figures.csv").write_bytes(
            (d / "figures.csv").read_bytes().replace(b"Paragraph 2,2", b'"Paragraph\n2",2')
        ),
        {"invisible-character"},
    ),
    "rows-all-bad": (
        lambda d: _rows(d, 5_000, lambda i, r: r.replace(b"remission_rate", b"remision_rate")),
        {"unknown-code", "too-many-problems"},
    ),
    "rows-all-ragged": (
        lambda d: (d / "figures.csv").write_bytes(_header(d) + b"\n" + b"a,b\n" * 100_000),
        {"ragged-row", "too-many-problems"},
    ),
    "rows-many-valid-crlf": (lambda d: _crlf_rows(d, 20_000), {"crlf"}),
    "invisible-everywhere": (
        lambda d: _rows(d, 5_000, lambda i, r: r.replace(b"Paragraph 1", b"Para\xe2\x80\x8bgraph")),
        {"invisible-character", "too-many-problems"},
    ),
    "yaml-deep": (lambda d: _yaml(d, b"title: " + b"[" * 100_000 + b"\n"), {"yaml-limit"}),
    "yaml-deep-mapping": (lambda d: _yaml(d, b"".join(b"  " * i + b"k:\n" for i in range(500))), {"yaml-limit"}),
    "yaml-big": (lambda d: _yaml(d, b"title: " + b"x" * 300_000 + b"\n"), {"file-too-large"}),
    "yaml-duplicate-keys": (
        lambda d: _yaml(d, (d / "source.yaml").read_bytes() + b"title: again\n"),
        {"yaml-duplicate-key"},
    ),
    "yaml-non-string-keys": (
        lambda d: _yaml(d, (d / "source.yaml").read_bytes() + b"1: x\ntrue: y\n? [a]\n: b\n"),
        {"unknown-column", "yaml-structure"},
    ),
    "yaml-merge-key": (
        lambda d: _yaml(d, (d / "source.yaml").read_bytes() + b"<<: {title: x}\n"),
        {"unknown-column", "yaml-structure"},
    ),
    "yaml-large-integer": (
        lambda d: _yaml(d, (d / "source.yaml").read_bytes() + b"pmid: " + b"9" * 5000 + b"\n"),
        {"pattern"},
    ),
    "yaml-rlo": (
        lambda d: _yaml(d, (d / "source.yaml").read_bytes().replace(b"Demo article", b"Demo \xe2\x80\xaeelcitra")),
        {"invisible-character"},
    ),
    "yaml-python-tag": (lambda d: _yaml(d, b"title: !!python/object/apply:os.system ['echo hacked']\n"), {"yaml-tag"}),
    "duration-arabic-digits": (
        lambda d: (d / "figures.csv").write_bytes(
            (d / "figures.csv").read_bytes().replace(b",P6M,", ",P\u0666M,".encode())
        ),
        {"non-ascii-digit"},
    ),
    "number-superscript": (
        lambda d: (d / "figures.csv").write_bytes(
            (d / "figures.csv").read_bytes().replace(b",72,", ",7\u00b2,".encode())
        ),
        {"non-ascii-digit"},
    ),
}
CASES = sorted(HOSTILE) + [f"fixture:{n}" for n in sorted(make_invalid.RUNTIME)]
# the build is also tried (and must refuse, writing nothing) where a file is not what it seems
BUILD_TOO = {
    "figures-links-to-passwd",
    "source-links-to-passwd",
    "source-folder-is-a-link",
    "raw-entry-links-outside",
    "figures-is-a-fifo",
    "source-is-a-folder",
    "figures-upper-case",
    "wide-header",
    "yaml-deep",
    "fixture:symlink-folder",
    "fixture:folder-name-not-utf8",
    "fixture:too-many-entries",
}


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def project_build_unchanged():
    before = _tree_digest(ROOT / "build")
    yield
    assert _tree_digest(ROOT / "build") == before, "a hostile contribution changed the project's build/"


def published_files(case: Path) -> None:
    """A small published release beside raw/, which validate checks and build must not touch."""
    data = b"id\n1\n"
    manifest = {
        "versions": [
            {
                "version": "0.1.0",
                "date": "2026-11-21",
                "files": [{"path": "0.1.0/a.csv", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}],
            }
        ]
    }
    (case / "build" / "0.1.0").mkdir(parents=True)
    (case / "build" / "0.1.0" / "a.csv").write_bytes(data)
    (case / "build" / "versions.json").write_text(json.dumps(manifest), encoding="utf-8")


def _make(name: str, tmp: Path) -> tuple[Path, set[str]]:
    case = tmp / "case"
    if name.startswith("fixture:"):
        name = name.split(":", 1)[1]
        raw = make_invalid.make_runtime(name, case)
        codes = {c for _, _, c in make_invalid.RUNTIME[name][1]}
    else:
        shutil.copytree(FIXTURES / "valid", case, symlinks=True)
        raw = case / "raw"
        change, codes = HOSTILE[name]
        change(raw / "demo")
    published_files(case)
    return raw, codes


def _cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run the command line in a fresh process; also return its peak memory in MB."""
    code = (
        "import re, sys; from ketamine_ssri_evidence.cli import main; rc = main(sys.argv[1:]); "
        "sys.stdout.flush(); "
        "hwm = int(re.search(r'VmHWM:\\s+([0-9]+)', open('/proc/self/status').read()).group(1)) // 1024; "
        "print(f'peak-mb {hwm}', file=sys.stderr); sys.exit(rc)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATAPACKAGE_SNAPSHOTS", "DATAPACKAGE_DEBUG")}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        env=env,
        errors="replace",
    )
    peak = re.search(r"peak-mb ([0-9]+)", proc.stderr)
    return proc, int(peak.group(1)) if peak else 0


def _check_output(code: int, out: str, err: str, codes: set[str]) -> None:
    assert code == 1, (code, out, err)
    assert "Traceback" not in out + err and "internal error" not in err
    assert SECRET not in out and SECRET not in err
    lines = out.splitlines()
    count = re.match(r"^([0-9]+) problems?: ", lines[-1])
    assert count and int(count.group(1)) == len(lines) - 1, lines[-1]
    found = set()
    for line in lines[:-1]:
        m = LINE.match(line)
        assert m, f"not one clean problem line: {line!r}"
        assert m["code"] in CODES and line.isprintable()
        found.add(m["code"])
    assert found == codes, out[-2000:]


@pytest.fixture(scope="module", autouse=True)
def libraries_loaded():
    """Validate and build the valid fixture once, so that each case's peak is its own work,
    not the first import of the validation libraries."""
    from ketamine_ssri_evidence.release_build import render_release

    with bounded(SECONDS):
        assert cli("validate", "--raw", str(FIXTURES / "valid" / "raw")).code == 0
        render_release(raw_dir=FIXTURES / "valid" / "raw")


@pytest.fixture
def clean_env(monkeypatch):
    for k in ("DATAPACKAGE_SNAPSHOTS", "DATAPACKAGE_DEBUG"):
        monkeypatch.delenv(k, raising=False)


@pytest.mark.parametrize("name", CASES)
def test_hostile_contribution(name, tmp_path, monkeypatch, clean_env):
    raw, codes = _make(name, tmp_path)
    build = raw.parent / "build"
    before = _tree_digest(build)
    monkeypatch.chdir(tmp_path)
    with bounded(SECONDS) as run:
        r = cli("validate", "--raw", str(raw))
    _check_output(r.code, r.out, r.err, codes)
    assert run.peak_mb < RUN_PEAK_MB, f"peak memory grew by {run.peak_mb:.0f} MB ({run.how})"
    assert _tree_digest(build) == before
    if name not in BUILD_TOO:
        return
    # the build refuses, and writes nothing anywhere
    with bounded(SECONDS):
        r = cli("build", "--raw", str(raw), "--out", str(build))
    assert r.code == 1 and "Traceback" not in r.out + r.err, r.err
    assert _tree_digest(build) == before and not (raw.parent / "datapackage.json").exists()


# in a real process: a link (validate and build) and a FIFO (which would block a reader for ever)
SMOKE = {"figures-links-to-passwd": True, "figures-is-a-fifo": False}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
@pytest.mark.parametrize("name", sorted(SMOKE))
def test_hostile_contribution_in_a_fresh_process(name, tmp_path):
    raw, codes = _make(name, tmp_path)
    build = raw.parent / "build"
    before = _tree_digest(build)
    proc, peak = _cli("validate", "--raw", str(raw), cwd=tmp_path)
    _check_output(proc.returncode, proc.stdout, proc.stderr.replace(f"peak-mb {peak}", ""), codes)
    assert peak < PEAK_MB, f"peak memory {peak} MB"
    assert _tree_digest(build) == before
    if SMOKE[name]:
        proc, _ = _cli("build", "--raw", str(raw), "--out", str(build), cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        assert _tree_digest(build) == before and not (raw.parent / "datapackage.json").exists()


def test_a_tampered_published_file_stops_validate_and_build(tmp_path, monkeypatch, clean_env):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "valid", tmp_path / "case")
    raw = tmp_path / "case" / "raw"
    published_files(tmp_path / "case")
    (tmp_path / "case" / "build" / "0.1.0" / "a.csv").write_bytes(b"id\n2\n")  # one byte flipped
    for command in (["validate", "--raw", str(raw)], ["build", "--raw", str(raw), "--out", str(raw.parent / "build")]):
        r = cli(*command)
        assert r.code == 1 and "build/0.1.0/a.csv:0: -: -: it has 5 bytes" in r.out, r.out
        assert "[published-changed]" in r.out
