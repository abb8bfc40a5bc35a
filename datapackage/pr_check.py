"""The pull-request check: the checks that make main's tests pass, in one command.

    python -m ketamine_ssri_evidence check-pr [--base REF] [--tests auto|always|never]

1. validates ``raw/`` and the release list (every problem, one line each);
2. checks that published releases are untouched (against ``build/versions.json`` and,
   with ``--base``, against the base branch's ``build/versions.json``);
3. builds ``raw/`` in a scratch folder as the last release of ``schemas/package.json`` and
   compares it with ``build/<that version>/``: when they differ, the change needs a new
   release, and the check says of which kind and the command that makes it;
4. runs the test suite (``python -m pytest``) when code, tests, schemas or packaging
   changed since ``--base`` (always when the base is unknown);
5. diffs every table by its full primary key against the release before.

Everything is printed; under GitHub Actions (or with ``--summary FILE``/``--annotations``)
every problem also goes to the job summary, and each as an annotation, escaped by the
rules of GitHub's workflow commands. Exit 0 when main's tests would pass, else 1.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import schemas

# paths whose change can change what the tests see (a change to raw/ alone is checked by
# the validation and the scratch build, which are what the tests check of it)
CODE_PATHS = (
    "datapackage/",
    "tests/",
    "schemas/",
    "pyproject.toml",
    "setup.py",
    "constraints.txt",
    "benchmarks/",
    ".github/",
    ".ci/",
    "README.md",
    "CONTRIBUTING.md",
    "MAINTAINING.md",
)
ANNOTATION_LIMIT = 10  # GitHub shows this many annotations of each kind per step; the summary has all


# ------------------------------------------------------------------ GitHub workflow commands


def escape_data(text: str) -> str:
    """A workflow command's message: % CR LF escaped."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, plus : and ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """``::error file=F,line=L,title=T::message``, every part escaped."""
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
    if line:
        props.append(f"line={max(int(line), 1)}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def _md(text: str) -> str:
    """Text inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "'")


# ------------------------------------------------------------------ the check


@dataclass
class Problem:
    """One reason the pull request would break main, or one data problem."""

    message: str
    file: str | None = None
    line: int | None = None
    title: str = "problem"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    release: str | None = None  # plain words: does the change need a release, and how to make it
    release_needed: bool = False
    diff_text: str = ""
    tests: str = "not run"
    tests_ok: bool = True
    tests_output: str = ""
    changed: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.release_needed and self.tests_ok


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def changed_files(root: Path, base: str | None) -> list[str] | None:
    """Files changed since ``base`` (committed or not); None when that cannot be known."""
    if not base:
        return None
    merge_base = _git(root, "merge-base", base, "HEAD")
    committed = _git(root, "diff", "--name-only", (merge_base or "").strip() or base, "HEAD")
    local = _git(root, "status", "--porcelain", "--untracked-files=all")
    if committed is None or local is None:
        return None
    names = set(committed.split("\n")) | {line[3:].split(" -> ")[-1] for line in local.split("\n") if len(line) > 3}
    return sorted(n.strip('"') for n in names if n)


def _needs_tests(changed: list[str] | None) -> bool:
    return changed is None or any(p.startswith(CODE_PATHS) for p in changed)


def _published_untouched(root: Path, base: str | None, report: Report) -> bool:
    """False when build/versions.json cannot be read (nothing else can be checked then)."""
    from .release_build import BuildWriteError, checked_manifest
    from .releases import MANIFEST, verify

    try:
        checked_manifest(root / "build")
    except BuildWriteError as e:
        report.problems.append(Problem(str(e), f"build/{MANIFEST}", title="versions.json"))
        return False
    for line in verify(root / "build"):
        report.problems.append(
            Problem(
                f"{line}: published releases never change",
                f"build/{line.split(':')[0]}",
                title="published release changed",
            )
        )
    if not base:
        return True
    text = _git(root, "show", f"{base}:build/{MANIFEST}")
    if text is None:
        return True
    try:
        old = {e["version"]: e for e in json.loads(text)["versions"]}
        new = {e["version"]: e for e in json.loads((root / "build" / MANIFEST).read_text(encoding="utf-8"))["versions"]}
    except (OSError, ValueError, KeyError, TypeError):
        report.problems.append(
            Problem(f"build/{MANIFEST} of {base} cannot be read", f"build/{MANIFEST}", title="versions.json")
        )
        return True
    for v, entry in old.items():
        if new.get(v) != entry:
            report.problems.append(
                Problem(
                    f"release {v} is published on {base} and this change alters or removes "
                    "it: published releases never change",
                    f"build/{MANIFEST}",
                    title="published release changed",
                )
            )
    return True


def _base_versions(root: Path, base: str | None) -> set[str] | None:
    """Versions published on the base branch (None when unknown)."""
    from .releases import MANIFEST

    text = _git(root, "show", f"{base}:build/{MANIFEST}") if base else None
    try:
        return {e["version"] for e in json.loads(text)["versions"]} if text else None
    except (ValueError, KeyError, TypeError):
        return None


def _scratch_build(root: Path, report: Report, work: Path, base: str | None = None):
    """Build raw/ as the last release; compare with build/<version>/. Returns (folder, version)."""
    from .release_build import BuildError, BuildWriteError, build
    from .releases import ReleaseConflict, package_metadata, published
    from .version_bump import changes, needed, next_versions

    version = package_metadata()["releases"][-1]["version"]
    out = work / "build"
    try:
        build(out_dir=out, root_descriptor=work / "datapackage.json")
    except BuildError as e:
        for i in sorted(e.issues):
            report.problems.append(Problem(i.render(), i.path, i.line, i.code))
        return None, version
    except (ReleaseConflict, BuildWriteError) as e:
        report.problems.append(Problem(f"the scratch build stopped: {e}", title="build"))
        return None, version
    scratch = out / version
    committed = root / "build" / version
    files = {p.name: p.read_bytes() for p in scratch.iterdir()}
    same = committed.is_dir() and {p.name: p.read_bytes() for p in committed.iterdir() if p.is_file()} == files
    is_published = published(root / "build", version) is not None
    if same and is_published:
        report.release = f"No new release is needed: the build of raw/ is release {version}, byte for byte."
        return scratch, version
    on_base = _base_versions(root, base)
    if is_published and on_base is not None and version not in on_base:
        report.release_needed = True
        report.release = (
            f"Release {version} is new in this change but build/{version}/ is not what raw/ builds "
            f"now. To make it again from the current raw/, run: python -m ketamine_ssri_evidence "
            f'release {version} --redo --summary "what it changes" and commit everything it writes.'
        )
        return scratch, version
    if is_published and committed.is_dir():
        found = changes(_diffs(committed, scratch), committed, scratch)
        kind = needed(found) or "patch"
        if kind == "major" and version.startswith("0."):
            kind = "minor"
        nxt = next_versions(version)[kind]
        what = "; ".join(w for _, w in found[:8]) or "descriptions changed"
        report.release_needed = True
        report.release = (
            f"This change needs a new release: the build of raw/ differs from the published release "
            f"{version} ({what}), so main's tests would fail. It needs at least a {kind} release, "
            f"{nxt}. To make it, run: python -m ketamine_ssri_evidence release {nxt} --summary "
            f'"what it changes" and commit everything it writes (see MAINTAINING.md); a maintainer '
            f"can also do this after review."
        )
        return scratch, version
    report.release_needed = True
    report.release = (
        f"Release {version} is listed in schemas/package.json but build/{version}/ is not what raw/ "
        f"builds, or is not recorded in build/versions.json. To make it, run: python -m "
        f'ketamine_ssri_evidence release {version} --redo --summary "what it changes" (it builds '
        f"the release and regenerates every file that names it) and commit everything it writes."
    )
    return scratch, version


def _diffs(a: Path, b: Path) -> list[dict]:
    from .table_diff import diff_all

    return diff_all(a, b)


def _diff_text(root: Path, scratch: Path, version: str, base: str | None) -> str:
    """Every table of the scratch build against the last release of the base branch (else
    against the committed release, or the one before it when they are the same)."""
    from .releases import MANIFEST, package_metadata
    from .table_diff import render_all

    against = None
    text = _git(root, "show", f"{base}:build/{MANIFEST}") if base else None
    if text:
        try:
            against = json.loads(text)["versions"][-1]["version"]
        except (ValueError, KeyError, IndexError, TypeError):
            against = None
    if against is None:
        rels = [r["version"] for r in package_metadata()["releases"]]
        against = version
        if _same_dir(root / "build" / version, scratch) and len(rels) > 1:
            against = rels[-2]
    folder = root / "build" / against
    if not (folder / "datapackage.json").is_file():
        return ""
    diffs = _diffs(folder, scratch)
    for d in diffs:
        d["from"], d["to"] = against, "this change"
    return render_all(diffs, limit=200)


def _same_dir(a: Path, b: Path) -> bool:
    if not a.is_dir() or not b.is_dir():
        return False
    return {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}


def _run_tests(root: Path, report: Report, pytest_args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *pytest_args], cwd=root, capture_output=True, text=True
    )
    tail = (proc.stdout + proc.stderr).strip().splitlines()
    report.tests_output = "\n".join(tail[-60:])
    report.tests_ok = proc.returncode == 0
    last = tail[-1] if tail else "no output"
    report.tests = f"{'passed' if report.tests_ok else 'FAILED'}: {last}"
    if not report.tests_ok:
        report.problems.append(Problem(f"the test suite fails ({last}); run: python -m pytest", title="tests"))


def check(
    *, root: Path | None = None, base: str | None = None, tests: str = "auto", pytest_args: list[str] | None = None
) -> Report:
    """Run every check of a pull request; see the module's docstring."""
    from .release_metadata import ReleaseMetadataError

    root = Path(root) if root is not None else schemas.ROOT
    report = Report()
    try:
        from .releases import package_metadata

        package_metadata()
    except ReleaseMetadataError as e:
        for i in e.issues:
            report.problems.append(Problem(i.render(), i.path, i.line, i.code))
        return report
    report.changed = changed_files(root, base)
    if not _published_untouched(root, base, report):
        return report
    with tempfile.TemporaryDirectory(prefix="check-pr-") as tmp:
        scratch, version = _scratch_build(root, report, Path(tmp), base)
        if scratch is not None:
            report.diff_text = _diff_text(root, scratch, version, base)
    if tests == "always" or (tests == "auto" and _needs_tests(report.changed)):
        _run_tests(root, report, pytest_args or [])
    elif tests == "auto":
        report.tests = "not needed: no code, test, schema or packaging file changed"
    else:
        report.tests = "not run (--tests never)"
    return report


# ------------------------------------------------------------------ output


def render_text(report: Report) -> str:
    out = io.StringIO()
    for p in report.problems:
        out.write(p.message + "\n")
    if report.release:
        out.write(("release needed: " if report.release_needed else "") + report.release + "\n")
    out.write(f"tests: {report.tests}\n")
    if report.diff_text:
        out.write("\n" + report.diff_text)
    verdict = (
        "passes"
        if report.ok
        else f"fails: {len(report.problems)} problems" + ("; a new release is needed" if report.release_needed else "")
    )
    out.write(f"\ncheck-pr {verdict}\n")
    return out.getvalue()


def render_summary(report: Report) -> str:
    """The job summary (Markdown): every problem, the release verdict, the tests, the diff."""
    w = io.StringIO()
    w.write("## Pull-request check: " + ("passes" if report.ok else "fails") + "\n\n")
    if report.release:
        w.write(("**A new release is needed.** " if report.release_needed else "") + _md(report.release) + "\n\n")
    w.write(f"Tests: {_md(report.tests)}\n\n")
    if report.problems:
        w.write(f"### {len(report.problems)} problems\n\n| where | problem |\n|---|---|\n")
        for p in report.problems:
            where = f"{p.file}:{p.line}" if p.file and p.line else (p.file or "-")
            w.write(f"| `{_md(where)}` | {_md(p.message)} |\n")
        w.write("\n")
    if not report.tests_ok and report.tests_output:
        w.write("### Test output (last lines)\n\n```\n" + report.tests_output.replace("```", "'''") + "\n```\n\n")
    if report.diff_text:
        w.write(
            "### What this change does to every table (by full primary key)\n\n```\n"
            + report.diff_text.replace("```", "'''")
            + "```\n"
        )
    return w.getvalue()


def render_annotations(report: Report) -> str:
    lines = [annotation("error", p.message, file=p.file, line=p.line, title=p.title) for p in report.problems]
    if len(report.problems) > ANNOTATION_LIMIT:
        lines.append(
            annotation(
                "notice",
                f"{len(report.problems)} problems in all: GitHub shows the first "
                f"{ANNOTATION_LIMIT} as annotations; the job summary lists every one",
                title="every problem is in the job summary",
            )
        )
    if report.release_needed and report.release:
        lines.append(annotation("error", report.release, file="schemas/package.json", title="a new release is needed"))
    return "".join(line + "\n" for line in lines)


def main(args) -> int:
    report = check(base=args.base, tests=args.tests)
    sys.stdout.write(render_text(report))
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    if args.annotations or github:
        sys.stdout.write(render_annotations(report))
    summary = args.summary or (os.environ.get("GITHUB_STEP_SUMMARY") if github else None)
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(render_summary(report))
    return 0 if report.ok else 1
