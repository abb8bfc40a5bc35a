"""What a branch changed under ``raw/``, from git: the folders ``validate --changed`` reports.

The base is a git revision; by default the branch is compared with ``origin/main`` when that
exists, else with ``main``. What changed is every file that differs between the merge-base
of the base and ``HEAD`` and the working tree (so committed, staged and unstaged changes
all count), plus untracked files that git does not ignore. A change under ``schemas/``
changes every source. Standard library only; git is run as a subprocess.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASES = ("origin/main", "main")
GIT_TIMEOUT = 60


class ChangesError(Exception):
    """git cannot say what changed (no git, not a repository, an unknown base)."""


@dataclass
class Changes:
    base: str  # the revision compared with, as given or chosen
    merge_base: str  # its merge-base with HEAD
    folders: set[str] = field(default_factory=set)  # source folders (or other entries of raw/) that changed
    everything: bool = False  # schemas/ changed: every source is affected

    def describe(self) -> str:
        since = f"since {self.base} (merge-base {self.merge_base[:12]})"
        if self.everything:
            return f"schemas/ changed {since}: checking every source folder"
        if not self.folders:
            return f"nothing changed under raw/ or schemas/ {since}"
        n = len(self.folders)
        return f"checking {n} changed source folder{'s' if n != 1 else ''} {since}, and every rule that spans sources"


def _git(top: str | os.PathLike, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", os.fspath(top), *args], capture_output=True, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise ChangesError("--changed needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ChangesError(f"git {args[0]} did not answer within {GIT_TIMEOUT} s") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChangesError(f"git {args[0]} failed: {msg[-1] if msg else 'exit status ' + str(proc.returncode)}")
    return proc.stdout.decode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=16)
def toplevel(real_dir: str) -> str:
    """The top of the working tree holding the directory ``real_dir`` (a real path)."""
    return _git(real_dir, "rev-parse", "--show-toplevel").strip()


def _revision(top: str, rev: str) -> bool:
    try:
        _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        return True
    except ChangesError:
        return False


def changed(
    raw_dir: str | os.PathLike, schemas_dir: str | os.PathLike | None = None, base: str | None = None
) -> Changes:
    """The entries of ``raw_dir`` that differ from the merge-base of ``base`` and HEAD."""
    raw_real = os.path.realpath(raw_dir)
    if not os.path.isdir(raw_real):
        raise ChangesError(f"{raw_dir} does not exist")
    top = toplevel(raw_real)
    if base:
        if base.startswith("-") or not _revision(top, base):
            raise ChangesError(f"{base!r} is not a git revision (a branch, tag or commit) of this repository")
    else:
        base = next((b for b in DEFAULT_BASES if _revision(top, b)), None)
        if base is None:
            raise ChangesError(
                "there is no main or origin/main branch to compare with; name the base: validate --changed BASE"
            )
    merge_base = _git(top, "merge-base", base, "HEAD").strip()
    rel = Path(os.path.relpath(raw_real, os.path.realpath(top))).as_posix()
    if rel.startswith(".."):
        raise ChangesError(f"{raw_dir} is not inside the git repository at {top}")
    specs = [rel]
    schemas_rel = None
    if schemas_dir is not None:
        s = Path(os.path.relpath(os.path.realpath(schemas_dir), os.path.realpath(top))).as_posix()
        if not s.startswith(".."):
            schemas_rel = s
            specs.append(s)
    names = _git(top, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", merge_base, "--", *specs)
    names += _git(top, "ls-files", "-z", "--others", "--exclude-standard", "--", *specs)
    result = Changes(base, merge_base)
    prefix = "" if rel == "." else rel + "/"
    for name in filter(None, names.split("\0")):
        if schemas_rel is not None and (name + "/").startswith(schemas_rel + "/"):
            result.everything = True
        elif name.startswith(prefix):
            result.folders.add(name[len(prefix) :].split("/", 1)[0])
    return result
