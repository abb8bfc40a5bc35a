"""The pre-commit hook, run by pre-commit itself in a temporary git repository.

The repository is a copy of raw/ and the project's .pre-commit-config.yaml on a branch
``main``; a contributor's branch then commits a source folder. A bad contribution is
blocked (and not committed), a good one passes, and ``validate --changed`` says so when
nothing changed. pre-commit's own runs are the slow tier; the hook's command
(``validate --raw raw --changed``) is also run in process on a staged contribution, in the
fast tier.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, cli

pytest.importorskip("pre_commit", reason="pre-commit is in the test extra: pip install -e '.[test]'")
if shutil.which("git") is None:  # pragma: no cover - git is part of every checkout
    pytest.skip("git is not installed", allow_module_level=True)


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp / "pre-commit-cache"),
        HOME=str(tmp),
        GIT_AUTHOR_NAME="Contributor",
        GIT_AUTHOR_EMAIL="c@example.org",
        GIT_COMMITTER_NAME="Contributor",
        GIT_COMMITTER_EMAIL="c@example.org",
        GIT_CONFIG_NOSYSTEM="1",
    )
    env.pop("DATAPACKAGE_SNAPSHOTS", None)
    return env


def _git(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("precommit")
    repo = tmp / "repo"
    repo.mkdir()
    env = _env(tmp)
    shutil.copytree(ROOT / "raw", repo / "raw")
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo / ".pre-commit-config.yaml")
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", repo / ".pre-commit-hooks.yaml")
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("commit", "-q", "-m", "Published data"),
        ("checkout", "-q", "-b", "contribution"),
    ):
        assert _git(repo, env, *args).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo, env


def _add_source(repo: Path, name: str, figures: bytes | None = None) -> None:
    src = FIXTURES / "valid" / "raw" / "demo"
    d = repo / "raw" / name
    d.mkdir()
    (d / "source.yaml").write_bytes(
        (src / "source.yaml").read_bytes().replace(b"source_id: demo\n", f"source_id: {name}\n".encode())
    )
    (d / "figures.csv").write_bytes(
        figures if figures is not None else (src / "figures.csv").read_bytes().replace(b"demo", name.encode())
    )


@pytest.mark.slow  # pre-commit itself
def test_nothing_changed_says_so(repo):
    repo, env = repo
    proc = subprocess.run(
        [sys.executable, "-m", "ketamine_ssri_evidence", "validate", "--raw", "raw", "--changed"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "nothing changed under raw/" in proc.stderr and proc.stdout == "0 problems\n"


@pytest.mark.slow  # pre-commit itself
def test_a_bad_contribution_is_blocked(repo):
    repo, env = repo
    head = _git(repo, env, "rev-parse", "HEAD").stdout
    figures = (FIXTURES / "valid" / "raw" / "demo" / "figures.csv").read_bytes().replace(b"demo", b"bad-new-source")
    # a figure attributed to its own source, and an id another source already uses
    figures = figures.replace(b",,,,,\n", b",,,,bad-new-source,\n", 1)
    figures += b"ktfd-ketamine-vs-antidepressants/005,bad-new-source,Paragraph 9,Half,exact,50,,,%,discontinuation_rate,,ssri,oral,,unspecified,,,,,,,,,,,,\n"
    _add_source(repo, "bad-new-source", figures)
    _git(repo, env, "add", "-A")
    proc = _git(repo, env, "commit", "-m", "Add a source")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "[self-attribution]" in out and "[duplicate-id]" in out and "[id-prefix]" in out
    assert "raw/bad-new-source/figures.csv:2: attributed_to: bad-new-source:" in out
    assert "Traceback" not in out
    assert _git(repo, env, "rev-parse", "HEAD").stdout == head  # nothing was committed
    shutil.rmtree(repo / "raw" / "bad-new-source")
    _git(repo, env, "add", "-A")


@pytest.mark.slow  # pre-commit itself
def test_a_good_contribution_passes(repo):
    repo, env = repo
    _add_source(repo, "good-new-source")
    _git(repo, env, "add", "-A")
    proc = _git(repo, env, "commit", "-m", "Add a source")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout + proc.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "ketamine_ssri_evidence", "validate", "--raw", "raw", "--changed"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0 and "checking 1 changed source folder since main" in listed.stderr


def test_hook_definitions_name_the_command():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["validate-contribution"]
    assert all(r["repo"] == "local" for r in local["repos"])  # nothing is fetched
    assert hooks[0]["entry"] == local["repos"][0]["hooks"][0]["entry"]


# ------------------------------------------------------------------ the hook's command, in process

HOOK = ["validate", "--raw", "raw", "--changed"]


@pytest.fixture
def branch(tmp_path, monkeypatch):
    """raw/ committed on main, a contributor's branch checked out; the hook's command runs here."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = _env(tmp_path)
    shutil.copytree(ROOT / "raw", repo / "raw")
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("commit", "-q", "-m", "Published data"),
        ("checkout", "-q", "-b", "contribution"),
    ):
        assert _git(repo, env, *args).returncode == 0
    for k in [k for k in os.environ if k.startswith("GIT_")] + ["DATAPACKAGE_SNAPSHOTS"]:
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    monkeypatch.chdir(repo)
    return repo, env


def test_the_hook_command_says_when_nothing_changed(branch):
    r = cli(*HOOK)
    assert (r.code, r.out) == (0, "0 problems\n") and "nothing changed under raw/" in r.err


def test_the_hook_command_blocks_a_bad_staged_contribution(branch):
    repo, env = branch
    figures = (FIXTURES / "valid" / "raw" / "demo" / "figures.csv").read_bytes().replace(b"demo", b"bad-new-source")
    figures = figures.replace(b",,,,,\n", b",,,,bad-new-source,\n", 1)
    figures += b"ktfd-ketamine-vs-antidepressants/005,bad-new-source,Paragraph 9,Half,exact,50,,,%,discontinuation_rate,,ssri,oral,,unspecified,,,,,,,,,,,,\n"
    _add_source(repo, "bad-new-source", figures)
    _git(repo, env, "add", "-A")
    r = cli(*HOOK)
    assert r.code == 1, r.out + r.err
    assert "[self-attribution]" in r.out and "[duplicate-id]" in r.out and "[id-prefix]" in r.out
    assert "raw/bad-new-source/figures.csv:2: attributed_to: bad-new-source:" in r.out


def test_the_hook_command_passes_a_good_contribution(branch):
    repo, env = branch
    _add_source(repo, "good-new-source")
    _git(repo, env, "add", "-A")
    r = cli(*HOOK)
    assert (r.code, r.out) == (0, "0 problems\n"), r.out + r.err
    assert "checking 1 changed source folder since main" in r.err
