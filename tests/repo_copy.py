"""A copy of the repository in a temporary folder, as a git repository of one commit,
with optionally a new source: for commands that write to the project (release, check-pr)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

FOLDERS = ("datapackage", "schemas", "raw", "build", "report")
FILES = ("datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "DATA_DICTIONARY.md")
GIT = ["-c", "user.name=Example", "-c", "user.email=example@example.org"]


def copy_repository(dest: Path) -> str:
    """Copy the project into ``dest``, commit it; return the commit."""
    ignore = shutil.ignore_patterns(".git", ".venv", ".build-python", "*.egg-info", "__pycache__", ".pytest_cache")
    for name in FOLDERS:
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in FILES:
        shutil.copy2(ROOT / name, dest / name)
    subprocess.run(["git", "-C", str(dest), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(dest), *GIT, "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(dest), *GIT, "commit", "-qm", "base"], check=True)
    return subprocess.run(
        ["git", "-C", str(dest), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def add_source(repo: Path, name: str = "example-new-source") -> Path:
    """A contribution: a copy of one small source under a new source_id."""
    src = next(p for p in sorted((repo / "raw").iterdir()) if p.name.startswith("aijoining"))
    new = repo / "raw" / name
    new.mkdir()
    for f in ("source.yaml", "figures.csv"):
        (new / f).write_text((src / f).read_text(encoding="utf-8").replace(src.name, new.name), encoding="utf-8")
    return new


def run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m datapackage ARGS`` in the copy: its own code, with the copy as its root."""
    return subprocess.run(
        [sys.executable, "-m", "datapackage", *args], cwd=repo, capture_output=True, text=True, timeout=300
    )
