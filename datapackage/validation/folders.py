"""The ``raw/`` folder walk: which source folders there are, which files each holds.

Job: turn the paths a user names into the raw/ folder and the source folders to report
(:func:`select`), list raw/'s source folders, reporting every other entry (:func:`raw_entries`),
and say what kind of entry each expected file of a folder is, reporting links, special files,
near-miss names and stray entries (:func:`folder_files`). Nothing here opens a file.

Reads: directory listings (without following links). May import: ``file_safety``,
``schemas``, ``text_safety``, ``issues``; ``derived_figures`` and ``reviews`` for the names of the
other contributed files.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import schemas, text_safety
from ..issues import Issue


class UsageError(Exception):
    """The caller asked for something impossible (a missing path, say): exit status 2."""


ALL = None  # a selection of every source folder


def select(paths, raw_dir: Path, raw_given: bool) -> tuple[Path, set[str] | None]:
    """The raw/ folder and the names of the source folders that ``paths`` name (None: all).

    A path may be written in any form (relative, absolute, ``./``, a trailing slash, from
    inside raw/) and may name raw/ itself, a source folder or a file in one. Paths are
    compared by the folder that holds them, so a link is named, never followed.
    """
    names: set[str] = set()
    every = False
    inferred: Path | None = None
    for p in paths:
        text = os.fspath(p)
        try:
            ap = os.path.abspath(text)
            exists = os.path.lexists(ap)
            real = os.path.realpath(ap)
            parent, name = os.path.split(ap)
            grand, folder = os.path.split(parent)
            raw_real = os.path.realpath(raw_dir)
            real_parent, real_grand = os.path.realpath(parent), os.path.realpath(grand)
        except (OSError, ValueError) as e:
            raise UsageError(f"{text_safety.safe_text(text)}: {getattr(e, 'strerror', None) or e}") from None
        if not exists:
            raise UsageError(f"{text_safety.safe_text(text)} is not a source folder (no such directory or file)")
        if real == raw_real and not os.path.islink(ap):
            every = True
        elif real_parent == raw_real:
            names.add(name)
        elif real_grand == raw_real:
            names.add(folder)
        elif not raw_given:
            # a folder outside the project's raw/: its own parent is the raw/ to read
            is_dir = os.path.isdir(ap) and not os.path.islink(ap)
            holds = is_dir and any(
                os.path.lexists(os.path.join(ap, str(t.raw_file)))
                for t in map(schemas.table, schemas.contributed_table_names())
            )
            here = Path(ap) if is_dir and not holds else Path(parent) if is_dir else Path(grand)
            if inferred is not None and os.path.realpath(here) != os.path.realpath(inferred):
                raise UsageError("the given paths are in different raw/ folders; validate one at a time or pass --raw")
            inferred = raw_dir = here
            if here == Path(ap):
                every = True
            else:
                names.add(name if here == Path(parent) else folder)
        else:
            raise UsageError(
                f"{text_safety.safe_text(text)} is not inside {text_safety.safe_text(str(raw_dir))} "
                "(a source folder, or a file in one)"
            )
    return raw_dir, (ALL if every else names)


def raw_entries(raw_dir: Path, label: str, local: dict[str, list[Issue]], general: list[Issue]) -> list[str]:
    """Names of the source folders in ``raw_dir``; every other entry is reported under its name."""
    from .. import file_safety as fs

    found, count, error = fs.entries(raw_dir, fs.MAX_RAW_ENTRIES)
    if error:
        raise UsageError(f"cannot list {raw_dir}: {error}")
    if count > fs.MAX_RAW_ENTRIES:
        general.append(
            Issue(
                label,
                0,
                "",
                "",
                "too-many-entries",
                f"raw/ holds more than {fs.MAX_RAW_ENTRIES:,} entries; the limit is {fs.MAX_RAW_ENTRIES:,}; "
                "nothing was read",
            )
        )
        return []
    folders = []
    sid = schemas.table("sources").field("source_id")  # a source folder is named after its source_id
    tables = [schemas.table(n) for n in schemas.contributed_table_names()]
    expected = tuple(str(t.raw_file) for t in tables) + extra_files()[0]
    own = extra_files()[1]  # files of raw/ itself
    for e in found:
        shown = f"{label}/{fs.shown_name(e.name)}"
        out = local.setdefault(e.name, [])
        if e.name in own and e.kind == "file":
            continue
        if e.name in own and e.kind == "dir":
            out.append(Issue(shown, 0, "", "", "not-a-file", f"{e.name} is a folder; it must be a file"))
        elif e.kind == "dir":
            why = fs.folder_name_problem(e.name, sid.pattern or ".+", sid.max_length)
            if why is None:
                folders.append(e.name)
            else:
                out.append(Issue(shown, 0, "", "", "bad-folder-name", why))
        elif e.kind == "symlink":
            out.append(
                Issue(
                    shown,
                    0,
                    "",
                    "",
                    "symlink",
                    "a symbolic link in raw/ is never followed; put the source folder itself here",
                )
            )
        elif e.kind == "hardlink":
            out.append(
                Issue(
                    shown,
                    0,
                    "",
                    "",
                    "hard-link",
                    "a file directly in raw/ is not read, and this one "
                    "has other names (a hard link); raw/ holds only source folders",
                )
            )
        elif e.kind == "file":
            hint = fs.near_miss(e.name, expected)
            where = (
                f"; {hint} belongs in the source folder raw/<source_id>/"
                if hint
                else "; raw/ holds only source folders"
            )
            out.append(Issue(shown, 0, "", "", "unexpected-file", f"a file directly in raw/ is not read{where}"))
        else:
            out.append(
                Issue(
                    shown,
                    0,
                    "",
                    "",
                    "special-file",
                    f"{fs.KIND_WORDS.get(e.kind, 'not a regular file')} is never read; raw/ holds only source folders",
                )
            )
    return folders


def extra_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Contributed files the build reads besides the tables of schemas/: in a source folder
    (derived figures) and in raw/ itself (reviewed verdicts)."""
    from ..derived_figures import DERIVED_FILE
    from ..reviews import REVIEWS_FILE

    return (DERIVED_FILE,), (REVIEWS_FILE,)


def folder_files(d: Path, shown_dir: str, tables, out: list[Issue]) -> dict[str, str]:
    """The kind of each table's file in source folder ``d`` (``file`` can be read); reports
    links, special files, folders where a file belongs, near-miss names and stray entries."""
    from .. import file_safety as fs

    expected = tuple(str(t.raw_file) for t in tables) + extra_files()[0]
    found, count, error = fs.entries(d, fs.MAX_FOLDER_ENTRIES)
    kinds = {name: "missing" for name in expected}
    if error:
        out.append(Issue(shown_dir, 0, "", "", "missing-file", f"cannot list the folder: {error}"))
        return kinds
    if count > fs.MAX_FOLDER_ENTRIES:
        out.append(
            Issue(
                shown_dir,
                0,
                "",
                "",
                "too-many-entries",
                f"the folder holds more than {fs.MAX_FOLDER_ENTRIES} entries; the limit is {fs.MAX_FOLDER_ENTRIES}; "
                "it was not read",
            )
        )
        return {name: "unlisted" for name in expected}
    for e in found:
        shown = f"{shown_dir}/{fs.shown_name(e.name)}"
        if e.name in kinds:
            kinds[e.name] = e.kind
            if e.kind == "symlink":
                out.append(
                    Issue(
                        shown,
                        0,
                        "",
                        "",
                        "symlink",
                        f"{e.name} is a symbolic link; links are never followed or read: commit the file itself",
                    )
                )
            elif e.kind == "hardlink":
                out.append(
                    Issue(
                        shown,
                        0,
                        "",
                        "",
                        "hard-link",
                        f"{e.name} has other names (a hard link), so it "
                        "may be another file on this machine; it is never read: put a copy here",
                    )
                )
            elif e.kind == "dir":
                out.append(Issue(shown, 0, "", "", "not-a-file", f"{e.name} is a folder; it must be a file"))
            elif e.kind != "file":
                out.append(
                    Issue(
                        shown,
                        0,
                        "",
                        "",
                        "special-file",
                        f"{e.name} is {fs.KIND_WORDS.get(e.kind, 'not a regular file')}; it must be a regular file",
                    )
                )
            continue
        if e.kind == "symlink":
            out.append(
                Issue(shown, 0, "", "", "symlink", "a symbolic link in a source folder is never followed or read")
            )
            continue
        if e.kind == "hardlink":
            out.append(Issue(shown, 0, "", "", "hard-link", "a file with other names (a hard link) is never read"))
            continue
        if e.kind not in ("file", "dir"):
            out.append(
                Issue(
                    shown, 0, "", "", "special-file", f"{fs.KIND_WORDS.get(e.kind, 'not a regular file')} is never read"
                )
            )
            continue
        hint = fs.near_miss(e.name, expected)
        if hint:
            also = f" ({hint} is there too: merge them)" if (d / hint).exists() or os.path.lexists(d / hint) else ""
            out.append(
                Issue(
                    shown,
                    0,
                    "",
                    "",
                    "misnamed-file",
                    f"only {hint} is read (exact name, lower case); rename this {'folder' if e.kind == 'dir' else 'file'} to {hint}{also}",
                )
            )
        else:
            out.append(
                Issue(
                    shown,
                    0,
                    "",
                    "",
                    "unexpected-file",
                    f"{fs.KIND_WORDS[e.kind]} that no table reads; a source folder holds only "
                    f"{', '.join(expected[:-1])} and {expected[-1]}",
                )
            )
    return kinds
