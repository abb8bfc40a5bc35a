"""``validate --changed`` reads only the changed folders and the cached index of the others,
and reports exactly what a full run reports for the changed folders, plus the full run's
problems of the rules that span sources wherever they are."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, cli

if shutil.which("git") is None:  # pragma: no cover - git is part of every checkout
    pytest.skip("git is not installed", allow_module_level=True)

CROSS = {"duplicate-id", "unknown-reference", "restates-unknown"}  # rules that span sources
ENV = {
    "GIT_AUTHOR_NAME": "c",
    "GIT_AUTHOR_EMAIL": "c@example.org",
    "GIT_COMMITTER_NAME": "c",
    "GIT_COMMITTER_EMAIL": "c@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | ENV
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "raw", repo / "raw")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "change")
    return repo


def _folders(raw: Path) -> list[str]:
    return sorted(p.name for p in raw.iterdir() if (p / "figures.csv").is_file())


def _edit(path: Path, change) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    fields = list(rows[0])
    change(rows)
    out = io.StringIO()
    w = csv.DictWriter(out, fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _lines(text: str) -> list[str]:
    return text.splitlines()[:-1]  # without the count line


def _folder(line: str) -> str:
    return line.split("/", 2)[1]


def _compare(repo: Path, changed: set[str]) -> list[str]:
    raw = repo / "raw"
    full = cli("validate", "--raw", str(raw))
    inc = cli("validate", "--raw", str(raw), "--changed", "main")
    assert inc.code == full.code, inc.err
    want = [ln for ln in _lines(full.out) if _folder(ln) in changed or ln.rsplit("[", 1)[1][:-1] in CROSS]
    assert _lines(inc.out) == want
    again = cli("validate", "--raw", str(raw), "--changed", "main")  # from the cache
    assert again.out == inc.out
    return want


def _first_figure(raw: Path, folder: str) -> str:
    with (raw / folder / "figures.csv").open(encoding="utf-8", newline="") as f:
        return next(csv.DictReader(f))["figure_id"]


def test_a_duplicate_of_an_id_in_an_unchanged_source(repo):
    raw = repo / "raw"
    names = _folders(raw)
    early, late = names[0], names[-1]
    for changed, other in ((late, early), (early, late)):  # the repeat is the later one in folder order
        theirs = _first_figure(raw, other)
        _edit(raw / changed / "figures.csv", lambda rows, t=theirs: rows[0].update(figure_id=t))
        lines = _compare(repo, {changed})
        assert any("[duplicate-id]" in ln for ln in lines)
        _git(repo, "checkout", "-q", "--", "raw")


def test_a_duplicate_between_two_unchanged_sources(repo):
    """The cache keeps the values its folders use twice: the repeat is reported from it, and again
    once a second folder changes (the cached rows of that folder are left out)."""
    raw = repo / "raw"
    names = _folders(raw)
    first, second, changed, later = names[0], names[1], names[2], names[3]
    _git(repo, "checkout", "-q", "main")
    theirs = _first_figure(raw, first)
    _edit(raw / second / "figures.csv", lambda rows: rows[0].update(figure_id=theirs))
    _git(repo, "commit", "-q", "-am", "a repeated figure_id")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--ff-only", "main")
    _edit(raw / changed / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    lines = _compare(repo, {changed})
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == second]
    _edit(raw / later / "figures.csv", lambda rows: rows[0].update(figure_id=theirs))
    lines = _compare(repo, {changed, later})
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == later]
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == second]


def test_an_unknown_attributed_to(repo):
    raw = repo / "raw"
    one = _folders(raw)[len(_folders(raw)) // 2]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    assert any("[unknown-reference]" in ln for ln in _compare(repo, {one}))


def test_restates_of_figures_in_an_unchanged_folder(repo):
    raw = repo / "raw"
    names = _folders(raw)
    one, other = names[1], names[2]
    known = _first_figure(raw, other)

    def change(rows):
        rows[0]["note"] = f"Restates {known}."
        rows[1]["note"] = f"Restates {other}/no-such-figure."

    _edit(raw / one / "figures.csv", change)
    lines = _compare(repo, {one})
    assert [ln for ln in lines if "[restates-unknown]" in ln and f"{other}/no-such-figure" in ln]
    assert not [ln for ln in lines if f"restates {known}," in ln]


def test_a_removed_source_still_referenced(repo):
    raw = repo / "raw"
    cited: dict[str, str] = {}
    for name in _folders(raw):
        with (raw / name / "figures.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["attributed_to"] and row["attributed_to"] != name:
                    cited.setdefault(row["attributed_to"], name)
    gone = sorted(cited)[0]
    shutil.rmtree(raw / gone)
    lines = _compare(repo, {gone})
    assert [ln for ln in lines if "[unknown-reference]" in ln and _folder(ln) == cited[gone]]


def test_a_damaged_cache_is_rebuilt(repo):
    raw = repo / "raw"
    one = _folders(raw)[0]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    first = cli("validate", "--raw", str(raw), "--changed", "main")
    cache = Path(repo / _git(repo, "rev-parse", "--git-path", "ketamine-ssri-evidence/validate-index.arrow").strip())
    assert cache.is_file() and raw not in cache.parents
    for garbage in (b"", b"PAR1 not parquet", cache.read_bytes()[: cache.stat().st_size // 2]):
        cache.write_bytes(garbage)
        assert cli("validate", "--raw", str(raw), "--changed", "main").out == first.out
        assert cache.is_file() and cache.stat().st_size > 100  # written again, whole
