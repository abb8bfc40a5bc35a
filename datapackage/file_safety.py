"""What ``raw/`` and its source folders hold, looked at without following links.

A contribution is plain folders holding plain files. Everything else is reported before
any file is opened: symbolic links (never followed, so never read), hard links (a file
with another name elsewhere may be a system file; git never makes one), devices, FIFOs and
sockets, a folder where a file belongs, files whose names are near misses of the names the
validator reads (``Figures.CSV``, ``figure.csv``, ``source.yml``), other files that a
contribution does not use, folder names that are not valid source ids, and more entries
than a contribution can need. Standard library only.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .text_safety import safe_text

MAX_RAW_ENTRIES = 10_000  # source folders (and stray entries) in raw/
MAX_FOLDER_ENTRIES = 100  # entries in one source folder


@dataclass(frozen=True)
class Entry:
    name: str  # as the OS gives it (undecodable bytes as surrogate escapes)
    path: Path
    kind: str  # file, dir, symlink, fifo, device, socket, other, missing


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


KIND_WORDS = {
    "symlink": "a symbolic link",
    "hardlink": "a file with other names (a hard link)",
    "fifo": "a FIFO (named pipe)",
    "device": "a device file",
    "socket": "a socket",
    "other": "not a regular file",
    "dir": "a folder",
    "file": "a file",
}


def lkind(path: Path) -> str:
    """The kind of ``path`` itself (a link is a link), or ``missing``."""
    try:
        return kind_of(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return "missing"


def entries(folder: Path, limit: int) -> tuple[list[Entry], int, str | None]:
    """Up to ``limit`` entries of ``folder`` sorted by name, how many there are (counted up to
    ``limit + 1``), and the reason it could not be listed (or None)."""
    found: list[Entry] = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                if len(found) > limit:
                    break
                try:
                    st = e.stat(follow_symlinks=False)
                    kind = kind_of(st.st_mode)
                    if kind == "file" and st.st_nlink > 1:
                        kind = "hardlink"
                except OSError:
                    kind = "missing"
                found.append(Entry(e.name, Path(e.path), kind))
    except OSError as e:
        return [], 0, e.strerror or str(e)
    found.sort(key=lambda x: x.name)
    return found[:limit], len(found), None


def shown_name(name: str) -> str:
    """A file name as it can be printed on one line (escapes for bytes that are not UTF-8)."""
    return safe_text(name)


def folder_name_problem(name: str, pattern: str, max_length: int | None) -> str | None:
    """Why ``name`` cannot be a source folder named after a source_id of ``pattern`` (None: it can)."""
    if name.startswith("."):
        return "a hidden folder is not read; a source folder is named after its source_id"
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in name):
        return "the folder name is not valid UTF-8; name it after its source_id ([a-z0-9-])"
    if max_length is not None and len(name) > max_length:
        return f"the folder name has {len(name)} characters; a source_id has at most {max_length}"
    if not re.fullmatch(pattern, name):
        return (
            "not a valid source_id (lower-case letters, digits and single hyphens, "
            "such as smith-2020-ketamine-trial); a source folder is named after its source_id"
        )
    return None


def near_miss(name: str, expected: tuple[str, ...]) -> str | None:
    """The expected file name that ``name`` was probably meant to be, or None."""
    low = name.strip().casefold()
    for want in expected:
        w = want.casefold()
        stem, want_stem = low.rsplit(".", 1)[0] if "." in low else low, w.rsplit(".", 1)[0]
        if low == w or stem == want_stem or low.startswith(w) or low.lstrip(".") == w:
            return want
    best = max(expected, key=lambda w: difflib.SequenceMatcher(None, low, w.casefold()).ratio())
    if difflib.SequenceMatcher(None, low, best.casefold()).ratio() >= 0.75:
        return best
    return None


class NotRegular(OSError):
    """The path is not a regular file (``kind`` says what it is)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def open_regular(path: Path):
    """``(binary file, size)`` of a regular file, opened without following a link and without
    blocking on a FIFO; :class:`NotRegular` for anything else."""
    import errno

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP or lkind(path) == "symlink":
            raise NotRegular("symlink") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        os.close(fd)
        raise NotRegular(kind_of(st.st_mode) if not stat.S_ISREG(st.st_mode) else "hardlink")
    return os.fdopen(fd, "rb"), st.st_size
