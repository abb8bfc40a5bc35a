"""A rebuild replaces a release atomically: a crash at any step leaves the old or the new
release in place, the next run cleans up, and file-system faults are one-line messages."""

from __future__ import annotations

import errno
import json
import os
import shutil

import pytest

from conftest import FIXTURES
from ketamine_ssri_evidence import release_build
from ketamine_ssri_evidence.cli import main
from ketamine_ssri_evidence.release_build import BuildWriteError, build, recover, render_release
from ketamine_ssri_evidence.releases import MANIFEST, current_release, verify

VERSION = current_release()["version"]


class Crash(Exception):
    pass


@pytest.fixture(scope="module")
def new_files():
    return render_release(raw_dir=FIXTURES / "valid" / "raw")


@pytest.fixture
def fast(monkeypatch, new_files):
    """build() with the rendering done once: only the writing is under test. The disk's own
    flush is skipped (no test can see it); the steps that call it are still counted and crashed."""
    monkeypatch.setattr(release_build, "render_release", lambda **kw: dict(new_files))
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def _old_files(new_files):
    return {name: b"the release that was here before: " + name.encode() for name in new_files}


def _setup(out, scenario, new_files):
    """'new': no release folder yet; 'replace': an unpublished folder with other bytes;
    'same': the same release already built and recorded."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    if scenario == "replace":
        (out / VERSION).mkdir()
        for name, data in _old_files(new_files).items():
            (out / VERSION / name).write_bytes(data)
    if scenario == "same":
        build(out_dir=out, root_descriptor=out.parent / "datapackage.json")


def _release(out):
    folder = out / VERSION
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else None


def _steps(monkeypatch, crash_at):
    """Make the crash_at-th file-system step (write, fsync, rename, exchange) raise."""
    count = {"n": 0}

    def wrap(fn):
        def step(*a, **kw):
            count["n"] += 1
            if count["n"] == crash_at:
                raise Crash(f"step {crash_at}")
            return fn(*a, **kw)

        return step

    for name in ("_write_file", "_fsync_dir", "_exchange"):
        monkeypatch.setattr(release_build, name, wrap(getattr(release_build, name)))
    monkeypatch.setattr(os, "replace", wrap(os.replace))
    monkeypatch.setattr(os, "rename", wrap(os.rename))
    return count


# each way of replacing a folder and each starting state once in the fast tier; every pair in
# the slow tier (python -m pytest --slow)
CRASH_CASES = [
    pytest.param(
        scenario,
        exchange,
        id=f"{scenario}-{'atomic-exchange' if exchange else 'two-renames'}",
        marks=() if (scenario, exchange) in {("replace", True), ("new", False)} else pytest.mark.slow,
    )
    for scenario in ("new", "replace", "same")
    for exchange in (True, False)
]


@pytest.mark.parametrize("scenario,exchange", CRASH_CASES)
def test_a_crash_at_any_step_leaves_the_old_or_the_new_release(
    tmp_path, monkeypatch, fast, new_files, scenario, exchange
):
    out = tmp_path / "build"
    desc = tmp_path / "datapackage.json"
    before = {"new": None, "replace": _old_files(new_files), "same": new_files}[scenario]
    k = 0
    while True:
        k += 1
        _setup(out, scenario, new_files)
        with monkeypatch.context() as m:
            if not exchange:
                m.setattr(release_build, "_exchange", lambda a, b: False)
            count = _steps(m, k)
            try:
                build(out_dir=out, root_descriptor=desc)
                crashed = False
            except Crash:
                crashed = True
        if not crashed:
            assert count["n"] < k
            break
        if not exchange:
            recover(out)  # the first thing the next run does; with two renames the gap is closed here
        assert _release(out) in (before, new_files), f"step {k}: neither the old nor the new release"
        for path in (out / MANIFEST, desc):
            if path.exists():
                json.loads(path.read_text())  # never half-written
        # the next run completes the build and leaves no scratch folders behind
        build(out_dir=out, root_descriptor=desc)
        assert _release(out) == new_files
        assert sorted(p.name for p in out.iterdir()) == [VERSION, MANIFEST], f"step {k}: leftovers"
        assert verify(out) == []
    assert k > 10 or (scenario == "same" and k == 1)  # every step visited; an unchanged release: none


def test_leftovers_of_an_interrupted_build_are_removed(tmp_path, fast):
    out = tmp_path / "build"
    (out / f".staging-{VERSION}-abc").mkdir(parents=True)
    (out / f".staging-{VERSION}-abc" / "figures.csv").write_text("half")
    (out / f".old-{VERSION}-def" / VERSION).mkdir(parents=True)
    (out / f".{MANIFEST}.xyz").write_text("{")
    build(out_dir=out, root_descriptor=tmp_path / "datapackage.json")
    assert sorted(p.name for p in out.iterdir()) == [VERSION, MANIFEST]


def test_a_release_moved_aside_is_moved_back(tmp_path):
    out = tmp_path / "build"
    (out / ".old-1.0.0-x" / "1.0.0").mkdir(parents=True)
    (out / ".old-1.0.0-x" / "1.0.0" / "figures.csv").write_text("old")
    recover(out)
    assert (out / "1.0.0" / "figures.csv").read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["1.0.0"]


def _oserror(code):
    def raise_(*a, **kw):
        raise OSError(code, os.strerror(code), "somefile")

    return raise_


FAULTS = {
    "read-only": (errno.EROFS, "read-only"),
    "full-disk": (errno.ENOSPC, "no space left"),
    "permission": (errno.EACCES, "permission denied"),
    "quota": (errno.EDQUOT, "quota"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("where", ["_write_file", "replace"])
def test_file_system_faults_are_one_line(tmp_path, monkeypatch, capsys, fast, new_files, fault, where):
    code, words = FAULTS[fault]
    out = tmp_path / "build"
    _setup(out, "replace", {"figures.csv": b""})
    before = _release(out)
    if where == "replace":
        monkeypatch.setattr(os, "replace", _oserror(code))
    else:
        monkeypatch.setattr(release_build, where, _oserror(code))
    assert main(["build", "--out", str(out)]) == 1
    o, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and words in err and "internal error" not in err
    assert _release(out) in (before, new_files)
    if where == "_write_file":
        assert _release(out) == before


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"versions": 5}',
        '{"versions": [{"version": "0.1.0"}]}',
        "\xff",
        "[]",
        '{"versions": [{"version": "../x", "files": []}]}',
    ],
)
def test_a_corrupt_versions_json_is_one_line(tmp_path, capsys, fast, text):
    out = tmp_path / "build"
    out.mkdir()
    (out / MANIFEST).write_bytes(text.encode("latin-1"))
    with pytest.raises(BuildWriteError, match="corrupt"):
        build(out_dir=out, root_descriptor=tmp_path / "datapackage.json")
    assert main(["build", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "versions.json: corrupt" in err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_build_folder(tmp_path, capsys, fast):
    out = tmp_path / "build"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["build", "--out", str(out)]) == 1
    finally:
        out.chmod(0o755)
    err = capsys.readouterr().err
    assert "permission denied" in err and "internal error" not in err
