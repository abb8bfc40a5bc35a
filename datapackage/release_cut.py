"""Cut a release: ``python -m ketamine_ssri_evidence release X.Y.Z --summary TEXT``.

1. The version must be a next version of the last release, of a kind that agrees with
   what changed (:mod:`.version_bump`), computed from the diff of the last release to a
   scratch build of ``raw/``. The date defaults to today (UTC) and never goes back.
2. The previous release gets its ``source_commit``: the commit that published it, the
   last commit that changed ``build/<previous>/`` (``git log -1 -- build/<previous>/``),
   unless it is recorded already or given with ``--source-commit``.
3. ``schemas/package.json`` gets the new release; then the build writes
   ``build/<version>/``, ``build/versions.json`` and ``datapackage.json``, and CHANGELOG.md,
   DATA_DICTIONARY.md, CITATION.cff, the README's counts and ``report/`` (when altair
   is installed) are regenerated.

Every refusal is a :class:`ReleaseRefused` with a one-line message, raised before anything
is written; ``schemas/package.json`` is restored if the build fails after it was written.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import schemas
from .release_metadata import COMMIT, POST, ReleaseMetadataError, parse, parse_date, render_text


class ReleaseRefused(Exception):
    """The release cannot be cut; the message (one line) says why and what to do."""


@dataclass
class ReleaseResult:
    version: str
    previous: str
    kind: str
    source_commit: str
    changes: list[tuple[str, str]]
    diffs: list[dict]
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ReleaseRefused(
            "git is not installed, so the commit that published the previous release cannot "
            "be found: install git, or pass --source-commit SHA"
        ) from None
    except (OSError, subprocess.SubprocessError) as e:
        raise ReleaseRefused(f"git failed ({type(e).__name__}): pass --source-commit SHA") from None
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no message"])[0]
        raise ReleaseRefused(
            f"git {' '.join(args[:2])} failed ({first}): run the release from a clone of the "
            "repository, or pass --source-commit SHA"
        )
    return proc.stdout.strip()


def publishing_commit(root: Path, version: str) -> str:
    """The commit that published ``version``: the last one that changed ``build/<version>/``."""
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        raise ReleaseRefused(
            "this clone is shallow, so the commit that published the previous release may be "
            "missing: git fetch --unshallow, or pass --source-commit SHA"
        )
    sha = _git(root, "log", "-1", "--format=%H", "--", f"build/{version}/")
    if not COMMIT.fullmatch(sha):
        raise ReleaseRefused(
            f"no commit of this repository holds build/{version}/: commit the release first, "
            "or pass --source-commit SHA"
        )
    return sha


def _today() -> str:
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def _new_metadata(text: str, version: str, date: str, summary: str, source_commit: str, redo: bool) -> tuple[dict, str]:
    meta = json.loads(text)
    rels = meta["releases"][:-1] if redo else meta["releases"]
    rels[-1]["source_commit"] = source_commit
    meta["releases"] = rels + [{"version": version, "date": date, "summary": summary}]
    meta.pop(POST, None)  # a new data release starts without code-only fixes
    new_text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    try:
        parse(new_text)
    except ReleaseMetadataError as e:
        raise ReleaseRefused(render_text(e.issues).splitlines()[0]) from None
    return meta, new_text


def citation_text(text: str, version: str, date: str) -> str:
    """CITATION.cff with its version and date-released set (every other line kept)."""
    for key, value in (("version", version), ("date-released", date)):
        line = f'{key}: "{value}"'
        if re.search(rf"^{key}:.*$", text, flags=re.M):
            text = re.sub(rf"^{key}:.*$", line, text, count=1, flags=re.M)
        else:
            text = text.rstrip("\n") + "\n" + line + "\n"
    return text


def _atomic_text(path: Path, text: str) -> None:
    from .release_build import _write_atomic

    _write_atomic(path, text.encode("utf-8"))


def plan(
    version: str,
    summary: str,
    date: str | None = None,
    *,
    source_commit: str | None = None,
    redo: bool = False,
    root: Path | None = None,
    raw_dir=None,
) -> tuple[ReleaseResult, str]:
    """Every check of :func:`release`, with nothing written: the result and package.json's new text."""
    from .release_build import BuildError, build, checked_manifest
    from .releases import package_metadata
    from .table_diff import diff_all
    from .version_bump import changes, check_bump, needed

    root = Path(root) if root is not None else schemas.ROOT
    meta = package_metadata()  # ReleaseMetadataError: the list as it is cannot be used
    text = (root / "schemas" / "package.json").read_text(encoding="utf-8")
    rels = meta["releases"]
    summary = (summary or "").strip()
    if not summary:
        raise ReleaseRefused("--summary is empty: say in a sentence what the release changes")
    if redo:
        if rels[-1]["version"] != version:
            raise ReleaseRefused(f"--redo cuts the last release again, which is {rels[-1]['version']}, not {version}")
        if len(rels) < 2:
            raise ReleaseRefused("--redo needs a release before the last one")
        previous = rels[-2]
    else:
        if any(r["version"] == version for r in rels):
            raise ReleaseRefused(
                f"{version} is already in schemas/package.json; to cut the last release again "
                "(only while it is unpublished) add --redo"
            )
        previous = rels[-1]
    early = check_bump(previous["version"], version, "patch", strict=False)
    if early:  # not a version, or not a next one: no need to build to say so
        raise ReleaseRefused(early)
    date = date or _today()
    if parse_date(date) is None:
        raise ReleaseRefused(f"--date {date!r} is not an ISO date YYYY-MM-DD")
    if date < previous["date"]:
        raise ReleaseRefused(f"--date {date} is before {previous['version']}'s date {previous['date']}")
    prev_v = previous["version"]
    out = root / "build"
    prev_folder = out / prev_v
    listed = {e["version"] for e in checked_manifest(out)["versions"]}  # BuildWriteError: a corrupt versions.json
    if prev_v not in listed or not (prev_folder / "datapackage.json").is_file():
        raise ReleaseRefused(
            f"the previous release {prev_v} is not in build/ and build/versions.json: build and commit it first"
        )
    recorded = previous.get("source_commit")
    if source_commit is not None and not COMMIT.fullmatch(source_commit):
        raise ReleaseRefused(f"--source-commit {source_commit!r} is not a full commit hash (40 lower-case hex digits)")
    if recorded and source_commit and recorded != source_commit:
        raise ReleaseRefused(f"{prev_v} already records source_commit {recorded}; it never changes")
    commit = recorded or source_commit or publishing_commit(root, prev_v)
    new_meta, new_text = _new_metadata(text, version, date, summary, commit, redo)

    # a scratch build of raw/ as the new release, to see what changed
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        scratch = Path(tmp)
        try:
            build(
                raw_dir=raw_dir,
                out_dir=scratch / "build",
                root_descriptor=scratch / "datapackage.json",
                version=version,
                meta=new_meta,
            )
        except BuildError as e:
            raise ReleaseRefused(
                f"raw/ does not validate ({len(e.issues)} problems): run python -m ketamine_ssri_evidence validate"
            ) from None
        diffs = diff_all(prev_folder, scratch / "build" / version)
        found = changes(diffs, prev_folder, scratch / "build" / version)
        files = {p.name: p.read_bytes() for p in (scratch / "build" / version).iterdir()}
    for d in diffs:
        d["from"], d["to"] = prev_v, version
    need = needed(found)
    why = check_bump(prev_v, version, need)
    if why:
        detail = "; ".join(w for _, w in found[:6]) or "no table, schema or file differs"
        raise ReleaseRefused(f"{why} (changes: {detail})")
    from .version_bump import bump_kind

    kind = bump_kind(prev_v, version) or "?"
    return ReleaseResult(version, prev_v, kind, commit, found, diffs, files), new_text


def release(
    version: str,
    summary: str,
    date: str | None = None,
    *,
    source_commit: str | None = None,
    redo: bool = False,
    root: Path | None = None,
    report: bool = True,
) -> ReleaseResult:
    """Check, record and build release ``version``; regenerate the files that name it."""
    from .changelog import changelog
    from .data_dictionary import data_dictionary, readme_counts, with_readme_counts
    from .release_build import build, checked_manifest
    from .releases import MANIFEST, manifest_bytes

    root = Path(root) if root is not None else schemas.ROOT
    result, new_text = plan(version, summary, date, source_commit=source_commit, redo=redo, root=root)
    pkg = root / "schemas" / "package.json"
    old_text = pkg.read_text(encoding="utf-8")
    readme_path = root / "README.md"
    readme = readme_path.read_text(encoding="utf-8") if readme_path.is_file() else ""
    try:
        with_readme_counts(readme, "")
    except ValueError as e:
        raise ReleaseRefused(str(e)) from None
    _atomic_text(pkg, new_text)
    try:
        if redo:  # the unpublished last release is cut again: its old record goes
            m = checked_manifest(root / "build")
            m["versions"] = [e for e in m["versions"] if e["version"] != version]
            _atomic_text(root / "build" / MANIFEST, manifest_bytes(m).decode("utf-8"))
        build(out_dir=root / "build", root_descriptor=root / "datapackage.json", files=result.files)
    except BaseException:
        _atomic_text(pkg, old_text)
        raise
    result.written += ["schemas/package.json", f"build/{version}/", "build/versions.json", "datapackage.json"]
    new_date = json.loads(new_text)["releases"][-1]["date"]
    for name, text in (
        ("CHANGELOG.md", changelog()),
        ("DATA_DICTIONARY.md", data_dictionary()),
        ("README.md", with_readme_counts(readme, readme_counts(version))),
    ):
        _atomic_text(root / name, text)
        result.written.append(name)
    cff = root / "CITATION.cff"
    if root.resolve() == schemas.ROOT.resolve():  # the whole file, references included, from schemas/ and raw/
        from .citation import citation_cff

        _atomic_text(cff, citation_cff(version, new_date, raw_dir=root / "raw"))
    else:
        _atomic_text(
            cff,
            citation_text(
                cff.read_text(encoding="utf-8") if cff.is_file() else "cff-version: 1.2.0\n", version, new_date
            ),
        )
    result.written.append("CITATION.cff")
    if report:
        try:
            import altair  # noqa: F401
            import vl_convert  # noqa: F401
        except ImportError:
            result.skipped.append(
                "report/: altair and vl-convert are not installed (pip install -e '.[report]', then "
                "python -m ketamine_ssri_evidence report)"
            )
        else:
            from .report import write_report

            write_report(root / "report", version)
            result.written.append("report/")
    return result


def render(result: ReleaseResult) -> str:
    from .table_diff import render_all

    lines = [
        f"release {result.version}: a {result.kind} release after {result.previous} "
        f"(source_commit of {result.previous}: {result.source_commit})",
        "",
        "what changed:",
    ]
    lines += [f"  {kind:5}  {what}" for kind, what in result.changes]
    lines += ["", render_all(result.diffs, limit=20).rstrip("\n"), "", "written:"]
    lines += [f"  {w}" for w in result.written]
    lines += [f"skipped: {s}" for s in result.skipped]
    lines += [
        "",
        "next: review git diff, run the tests, then commit everything in one commit, "
        f"for example: git add -A && git commit -m 'Release {result.version}'",
    ]
    return "\n".join(lines) + "\n"
