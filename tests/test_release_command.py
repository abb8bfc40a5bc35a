"""python -m ketamine_ssri_evidence release: refuses bad versions and bump kinds in one line,
and cuts a release end to end in a copy of the repository."""

from __future__ import annotations

import json
import shutil

import pytest
from repo_copy import add_source, copy_repository, run

from conftest import ROOT
from ketamine_ssri_evidence import release_cut
from ketamine_ssri_evidence.cli import main
from ketamine_ssri_evidence.release_cut import ReleaseRefused, citation_text
from ketamine_ssri_evidence.release_metadata import parse
from ketamine_ssri_evidence.releases import releases

LAST = releases()[-1]["version"]
NEXT_MINOR = "{}.{}.0".format(LAST.split(".")[0], int(LAST.split(".")[1]) + 1)
NEXT_PATCH = "{}.{}.{}".format(*LAST.split(".")[:2], int(LAST.split(".")[2]) + 1)
SHA = "0123456789abcdef0123456789abcdef01234567"


def _before():
    return {
        p: p.read_bytes()
        for p in [
            ROOT / "schemas" / "package.json",
            ROOT / "build" / "versions.json",
            ROOT / "datapackage.json",
            ROOT / "CHANGELOG.md",
            ROOT / "README.md",
        ]
    }


REFUSED = {
    "not-semver": (["banana"], "not a semantic version"),
    "older": (["0.1.9"], "does not follow"),
    "skips": (["0.9.0"], "does not follow"),
    "existing": ([LAST], "already in schemas/package.json"),
    "date-back": ([NEXT_MINOR, "--date", "2000-01-01"], "is before"),
    "bad-date": ([NEXT_MINOR, "--date", "2026-02-30"], "not an ISO date"),
    "empty-summary": ([NEXT_MINOR, "--summary", " "], "--summary is empty"),
    "redo-other": ([NEXT_MINOR, "--redo"], "--redo cuts the last release again"),
    "bad-commit": ([NEXT_MINOR, "--source-commit", "e337735"], "not a full commit hash"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_releases_are_refused_in_one_line(case, capsys):
    args, words = REFUSED[case]
    if "--summary" not in args:
        args = args + ["--summary", "test"]
    before = _before()
    assert main(["release"] + args) == 1
    out, err = capsys.readouterr()
    assert err.startswith("release refused, nothing was written: ") and words in err
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err
    assert _before() == before


def test_no_change_needs_no_release(capsys):
    """raw/ builds the last release: there is nothing to release."""
    assert main(["release", NEXT_PATCH, "--summary", "nothing", "--source-commit", SHA, "--dry-run"]) == 1
    assert "nothing changed since" in capsys.readouterr().err


def test_git_missing_or_shallow_is_a_clean_message(monkeypatch, tmp_path):
    def no_git(*a, **kw):
        raise FileNotFoundError("git")

    monkeypatch.setattr(release_cut.subprocess, "run", no_git)
    with pytest.raises(ReleaseRefused, match="git is not installed.*--source-commit"):
        release_cut.publishing_commit(tmp_path, "0.2.0")
    monkeypatch.undo()
    monkeypatch.setattr(release_cut, "_git", lambda root, *a: "true" if "--is-shallow-repository" in a else "")
    with pytest.raises(ReleaseRefused, match="shallow.*git fetch --unshallow"):
        release_cut.publishing_commit(tmp_path, "0.2.0")
    monkeypatch.setattr(release_cut, "_git", lambda root, *a: "false" if "--is-shallow-repository" in a else "")
    with pytest.raises(ReleaseRefused, match="no commit of this repository holds build/0.2.0/"):
        release_cut.publishing_commit(tmp_path, "0.2.0")
    monkeypatch.undo()
    with pytest.raises(ReleaseRefused, match="git rev-parse"):
        release_cut.publishing_commit(tmp_path / "not-a-repo", "0.2.0")  # real git, not a repository


def test_citation_keeps_every_other_line():
    text = 'cff-version: 1.2.0\ntitle: "T"\nversion: "0.2.0"\ndate-released: "2026-11-21"\nlicense: CC-BY-4.0\n'
    assert citation_text(text, "0.3.0", "2026-12-01") == (
        'cff-version: 1.2.0\ntitle: "T"\nversion: "0.3.0"\ndate-released: "2026-12-01"\nlicense: CC-BY-4.0\n'
    )
    assert citation_text("cff-version: 1.2.0\n", "0.3.0", "2026-12-01").endswith(
        'version: "0.3.0"\ndate-released: "2026-12-01"\n'
    )


# ------------------------------------------------------------------ end to end, in a copy

_run = run


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    path = tmp_path_factory.mktemp("repo")
    published = copy_repository(path)
    add_source(path)
    return path, published


@pytest.mark.slow  # releases cut in a copy of the repository
def test_a_patch_that_adds_rows_is_refused(repo):
    path, _ = repo
    before = (path / "schemas" / "package.json").read_bytes()
    proc = _run(path, "release", NEXT_PATCH, "--summary", "Adds a source.")
    assert proc.returncode == 1, proc.stderr
    assert f"{NEXT_PATCH} is a patch release, but the changes since {LAST} need a minor release" in proc.stderr
    assert "figures: 5 rows added" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (path / "schemas" / "package.json").read_bytes() == before
    assert not (path / "build" / NEXT_PATCH).exists()


@pytest.mark.slow  # releases cut in a copy of the repository
def test_release_end_to_end(repo):
    path, published = repo
    proc = _run(path, "release", NEXT_MINOR, "--summary", "Adds an example source.", "--date", "2099-01-01")
    assert proc.returncode == 0, proc.stderr
    assert f"release {NEXT_MINOR}: a minor release after {LAST}" in proc.stdout
    assert "figures: 5 rows added" in proc.stdout and "  example-new-source/001" in proc.stdout
    meta = parse((path / "schemas" / "package.json").read_text(encoding="utf-8"))
    prev, new = meta["releases"][-2:]
    assert new == {"version": NEXT_MINOR, "date": "2099-01-01", "summary": "Adds an example source."}
    recorded = [r for r in releases() if r["version"] == LAST][0].get("source_commit")
    assert prev["source_commit"] == (recorded or published)  # the commit that published it
    versions = json.loads((path / "build" / "versions.json").read_text())["versions"]
    assert [v["version"] for v in versions][-1] == NEXT_MINOR
    assert json.loads((path / "datapackage.json").read_text())["version"] == NEXT_MINOR
    assert f"\n## {NEXT_MINOR} (2099-01-01)\n\nAdds an example source.\n" in (path / "CHANGELOG.md").read_text()
    cff = (path / "CITATION.cff").read_text()
    assert f'version: "{NEXT_MINOR}"' in cff and 'date-released: "2099-01-01"' in cff and "keywords:" in cff
    readme = (path / "README.md").read_text()
    assert f"Release **{NEXT_MINOR}** holds" in readme and "`example-new-source` | 5 |" in readme
    assert ("report/" in proc.stdout) or ("skipped: report/" in proc.stdout)
    # the published releases are untouched, and building again changes nothing
    for v in (r["version"] for r in releases()):
        for f in (ROOT / "build" / v).iterdir():
            assert (path / "build" / v / f.name).read_bytes() == f.read_bytes()
    files = {p: p.read_bytes() for p in (path / "build").rglob("*") if p.is_file()}
    assert _run(path, "build").returncode == 0
    assert {p: p.read_bytes() for p in (path / "build").rglob("*") if p.is_file()} == files
    # the same version again is refused; --redo cuts it again with a new summary
    again = _run(path, "release", NEXT_MINOR, "--summary", "x", "--date", "2099-01-01")
    assert again.returncode == 1 and "add --redo" in again.stderr
    redo = _run(
        path, "release", NEXT_MINOR, "--redo", "--summary", "An example source.", "--date", "2099-01-02", "--no-report"
    )
    assert redo.returncode == 0, redo.stderr
    meta = json.loads((path / "schemas" / "package.json").read_text())
    assert [r["version"] for r in meta["releases"]].count(NEXT_MINOR) == 1
    assert meta["releases"][-1]["summary"] == "An example source."
    assert json.loads((path / "build" / "versions.json").read_text())["versions"][-1]["date"] == "2099-01-02"
