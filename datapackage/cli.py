"""Command line: ``python -m ketamine_ssri_evidence validate|build|tables``."""

from __future__ import annotations

import argparse
import os
import sys

from .issues import render_github, render_json, render_text
from .release_metadata import ReleaseMetadataError

# commands that read the release list of schemas/package.json, which is checked first
READS_RELEASES = ("validate", "build", "changelog", "docs", "release", "check-pr")

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
RENDER = {"text": render_text, "json": render_json, "github": render_github}


def _table_names() -> list[str]:
    from . import schemas

    return list(schemas.table_names())


def _megabytes(text: str) -> float:
    try:
        mb = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not 0 < mb < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of megabytes")
    return mb


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ketamine_ssri_evidence",
        description="Validate, build and inspect the ketamine vs SSRI evidence dataset.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check raw/ (or the given source folders) and report every problem")
    v.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="source folders, or files in them, to check (default: every folder of raw/)",
    )
    v.add_argument(
        "--changed",
        nargs="?",
        const="",
        metavar="BASE",
        help="check the source folders that differ from git revision BASE (default: the merge-base "
        "with origin/main, else main), plus every rule that spans sources",
    )
    v.add_argument("--raw", metavar="DIR", help="the raw/ folder to read (default: the project's)")
    v.add_argument(
        "--snapshots",
        metavar="DIR",
        help="folder of archived source texts; turns on the provenance check (default: $DATAPACKAGE_SNAPSHOTS)",
    )
    v.add_argument("--format", choices=sorted(RENDER), default="text", help="output format (default: text)")
    v.add_argument(
        "--max-file-mb",
        type=_megabytes,
        metavar="N",
        help="size limit of one contributed file, in megabytes (default: $DATAPACKAGE_MAX_FILE_MB, else 20)",
    )

    b = sub.add_parser("build", help="validate, then write build/<version>/ and datapackage.json")
    b.add_argument("--raw", metavar="DIR", help="the raw/ folder to read (default: the project's)")
    b.add_argument(
        "--out", metavar="DIR", help="where to write <version>/ (default: build/); datapackage.json goes beside it"
    )
    b.add_argument("--snapshots", metavar="DIR", help="also run the provenance check (default: $DATAPACKAGE_SNAPSHOTS)")
    b.add_argument("--format", choices=sorted(RENDER), default="text", help="format of problems, if any")
    b.add_argument(
        "--max-file-mb",
        type=_megabytes,
        metavar="N",
        help="size limit of one contributed file, in megabytes (default: $DATAPACKAGE_MAX_FILE_MB, else 20)",
    )

    sub.add_parser("codes", help="list every problem code the validator can report, with its meaning")

    d = sub.add_parser("download", help="fetch a published release (checksums verified) into a folder")
    d.add_argument("--version", metavar="V", help="release version, or 'latest' (default: the newest published)")
    d.add_argument("--dest", metavar="DIR", default=".", help="where to put <version>/ (default: .)")
    d.add_argument(
        "--base-url",
        metavar="URL",
        help="where releases are published "
        "(default: $DATAPACKAGE_BASE_URL, then download_base_url in schemas/package.json)",
    )
    d.add_argument(
        "--cache", metavar="DIR", help="download cache (default: $DATAPACKAGE_CACHE or the user cache folder)"
    )
    d.add_argument(
        "--sha256",
        metavar="[FILE=]HASH",
        action="append",
        help="pin a version this package does not know: the sha256 of its datapackage.json (which "
        "lists every file's hash), or FILE=HASH for one file (repeatable)",
    )
    d.add_argument(
        "--allow-http",
        action="store_true",
        default=None,
        help="accept a plain http:// address beyond loopback (default: $DATAPACKAGE_ALLOW_HTTP)",
    )
    d.add_argument(
        "--timeout", metavar="SECONDS", help="deadline for the whole download (default: $DATAPACKAGE_TIMEOUT or 120)"
    )

    df = sub.add_parser(
        "diff", help="rows added, removed and changed (by full primary key) between two releases, and schema changes"
    )
    df.add_argument("v1", metavar="V1", help="a version, or the path of a release folder")
    df.add_argument("v2", metavar="V2", help="a version, or the path of a release folder")
    df.add_argument(
        "--table",
        default="figures",
        choices=_table_names() + ["all"],
        help="table to compare, or all (default: figures)",
    )
    df.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    sub.add_parser("changelog", help="regenerate CHANGELOG.md from the releases and their diffs")

    sub.add_parser("docs", help="write DATA_DICTIONARY.md from schemas/ and the README's counts from the release")

    rl = sub.add_parser(
        "release",
        help="cut a release: check the version against what changed, record it, "
        "build it, regenerate the changelog, docs, citation, counts and report",
    )
    rl.add_argument("version", metavar="X.Y.Z", help="the new version (a next version of the last release)")
    rl.add_argument("--summary", required=True, metavar="TEXT", help="what the release changes, in a sentence or two")
    rl.add_argument("--date", metavar="YYYY-MM-DD", help="release date (default: today, UTC)")
    rl.add_argument(
        "--source-commit",
        metavar="SHA",
        help="the commit that published the previous release "
        "(default: the recorded one, else the last commit that changed build/<previous>/)",
    )
    rl.add_argument("--redo", action="store_true", help="cut the last release again (only while it is unpublished)")
    rl.add_argument("--dry-run", action="store_true", help="check and show what would change; write nothing")
    rl.add_argument("--no-report", action="store_true", help="do not regenerate report/")

    pr = sub.add_parser(
        "check-pr",
        help="the pull-request check: validate, scratch build, does it need a "
        "release, the tests when code changed, a diff of every table",
    )
    pr.add_argument(
        "--base",
        metavar="REF",
        help="the branch the change goes into, e.g. origin/main "
        "(decides whether the tests run; without it they always run)",
    )
    pr.add_argument(
        "--tests",
        choices=["auto", "always", "never"],
        default="auto",
        help="run the test suite: when code, tests, schemas or packaging changed (auto), always or never",
    )
    pr.add_argument(
        "--summary",
        metavar="FILE",
        help="append the Markdown summary to FILE (default under GitHub Actions: $GITHUB_STEP_SUMMARY)",
    )
    pr.add_argument(
        "--annotations", action="store_true", help="also print GitHub annotations (default under GitHub Actions)"
    )
    pr.add_argument(
        "--max-file-mb",
        type=_megabytes,
        metavar="N",
        help="size limit of one contributed file, in megabytes (default: $DATAPACKAGE_MAX_FILE_MB, else 20)",
    )

    r = sub.add_parser("report", help="write a self-contained HTML report with charts of a release")
    r.add_argument("--version", metavar="V", help="release version (default: current)")
    r.add_argument("--out", metavar="DIR", help="output folder (default: report/)")

    t = sub.add_parser("tables", help="list the tables of a release")
    t.add_argument("--version", metavar="V", help="release version (default: current)")
    return p


def _validate(args) -> int:
    from .validation import UsageError, validate
    from .validation.pandas_probe import skip_pandas_probe

    skip_pandas_probe()  # this process hands pyarrow no pandas object

    try:
        if args.changed is not None:
            result = _validate_changed(args)
            if result is None:
                sys.stdout.write(RENDER[args.format]([]))
                return EXIT_OK
        else:
            result = validate(args.paths or None, raw_dir=args.raw, snapshots=args.snapshots, keep_rows=False)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(RENDER[args.format](result.issues))
    return EXIT_DATA if result.issues else EXIT_OK


def _validate_changed(args):
    """``validate --changed``: the changed folders and every rule that spans sources; None when
    nothing under raw/ or schemas/ changed (only the published files are checked then)."""
    from pathlib import Path

    from . import schemas
    from .changes import ChangesError, changed
    from .validation import UsageError, validate

    raw = Path(args.raw) if args.raw else schemas.ROOT / "raw"
    try:
        ch = changed(raw, schemas.SCHEMAS, args.changed or None)
    except ChangesError as e:
        raise UsageError(str(e)) from None
    print(ch.describe(), file=sys.stderr)
    if not ch.folders and not ch.everything and not args.paths:
        from .published_files import verify_published

        problems = verify_published(raw.parent / "build")
        return _Checked(problems) if problems else None
    if ch.everything:
        return validate(raw_dir=raw, snapshots=args.snapshots, keep_rows=False)
    from .validation.incremental import CachedIndex

    # only the changed folders are read; the others' identifiers come from a cache keyed by git tree
    return validate(
        args.paths or None,
        raw_dir=raw,
        snapshots=args.snapshots,
        keep_rows=False,
        folders=ch.folders,
        cross_sources_everywhere=True,
        others=CachedIndex(raw, ch.merge_base),
    )


class _Checked:
    def __init__(self, issues):
        self.issues = sorted(issues)


def _build(args) -> int:
    from pathlib import Path

    from .release_build import BuildError, BuildWriteError, build
    from .releases import ReleaseConflict
    from .validation import UsageError

    out = Path(args.out) if args.out else None
    root = out.parent / "datapackage.json" if out else None
    try:
        target = build(raw_dir=args.raw, out_dir=out, root_descriptor=root, snapshots=args.snapshots)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BuildError as e:
        sys.stdout.write(RENDER[args.format](e.issues))
        print("build stopped: nothing was written", file=sys.stderr)
        return EXIT_DATA
    except ReleaseConflict as e:
        print(f"build stopped, nothing was written: {e}", file=sys.stderr)
        return EXIT_DATA
    except BuildWriteError as e:
        print(f"build stopped: {e}", file=sys.stderr)
        return EXIT_DATA
    print(f"built {target}")
    return EXIT_OK


def _tables(args) -> int:
    from .loader import ReleaseError, tables

    try:
        for name in tables(args.version):
            print(name)
    except ReleaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _codes(args) -> int:
    from .issues import CODES

    width = max(map(len, CODES))
    for code, meaning in CODES.items():
        print(f"{code:<{width}}  {meaning}")
    return EXIT_OK


def _download(args) -> int:
    import warnings

    from .download import DownloadError, TrustWarning, download
    from .releases import ReleaseError, check_version

    if args.version not in (None, "latest"):
        try:
            check_version(args.version)
        except ValueError as e:
            print(f"error: --version: {e} (or 'latest')", file=sys.stderr)
            return EXIT_USAGE
    pins: str | dict | None = None
    for item in args.sha256 or []:
        name, sep, h = item.rpartition("=")
        pins = pins if isinstance(pins, dict) else {}
        pins[name if sep else "datapackage.json"] = h
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TrustWarning)
            target = download(
                args.version,
                args.dest,
                base_url=args.base_url,
                cache=args.cache,
                sha256=pins,
                allow_http=args.allow_http,
                timeout=args.timeout,
            )
    except ReleaseError as e:  # a DownloadError, or a damaged manifest of the package itself
        print(f"error: {e.cli() if isinstance(e, DownloadError) else e}", file=sys.stderr)
        return EXIT_DATA
    for w in caught:
        if issubclass(w.category, TrustWarning):
            print(
                f"warning: {str(w.message).replace('sha256=HASH, or download --sha256 HASH', '--sha256 HASH')}",
                file=sys.stderr,
            )
    print(f"downloaded {target}")
    return EXIT_OK


def _diff(args) -> int:
    import json as _json

    from .loader import ReleaseError
    from .table_diff import DiffError, diff, diff_all, render, render_all

    try:
        diffs = diff_all(args.v1, args.v2) if args.table == "all" else [diff(args.v1, args.v2, args.table)]
    except (ReleaseError, DiffError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    d: list[dict] | dict = diffs if args.table == "all" else diffs[0]
    text = (
        (lambda limit=None: render_all(diffs, limit))
        if args.table == "all"
        else (lambda limit=None: render(diffs[0], limit))
    )
    if args.format == "json":
        print(_json.dumps(d, ensure_ascii=False, indent=2))
    elif args.format == "markdown":
        print("```\n" + text(50) + "```")
    else:
        sys.stdout.write(text())
    return EXIT_OK


def _write_generated(name: str, text: str) -> int:
    from . import schemas

    path = schemas.ROOT / name
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return EXIT_OK


def _changelog(args) -> int:
    from .changelog import changelog

    return _write_generated("CHANGELOG.md", changelog())


def _docs(args) -> int:
    from . import schemas
    from .data_dictionary import data_dictionary, readme_counts, with_readme_counts

    _write_generated("DATA_DICTIONARY.md", data_dictionary())
    readme = (schemas.ROOT / "README.md").read_text(encoding="utf-8")
    try:
        text = with_readme_counts(readme, readme_counts())
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_DATA
    return _write_generated("README.md", text) if text != readme else EXIT_OK


def _release(args) -> int:
    from .release_build import BuildError, BuildWriteError
    from .release_cut import ReleaseRefused, plan, release, render
    from .releases import ReleaseConflict

    try:
        if args.dry_run:
            result, _ = plan(args.version, args.summary, args.date, source_commit=args.source_commit, redo=args.redo)
        else:
            result = release(
                args.version,
                args.summary,
                args.date,
                source_commit=args.source_commit,
                redo=args.redo,
                report=not args.no_report,
            )
    except ReleaseRefused as e:
        print(f"release refused, nothing was written: {e}", file=sys.stderr)
        return EXIT_DATA
    except BuildError as e:
        sys.stdout.write(RENDER["text"](e.issues))
        print("release stopped: raw/ does not validate; nothing was written", file=sys.stderr)
        return EXIT_DATA
    except (ReleaseConflict, BuildWriteError) as e:
        print(f"release stopped, schemas/package.json is as it was: {e}", file=sys.stderr)
        return EXIT_DATA
    sys.stdout.write(render(result))
    if args.dry_run:
        print("dry run: nothing was written")
    return EXIT_OK


def _check_pr(args) -> int:
    from .pr_check import main as check_pr

    return check_pr(args)


def _report(args) -> int:
    from . import schemas
    from .loader import ReleaseError

    try:
        from .report import write_report

        path = write_report(args.out or schemas.ROOT / "report", args.version)
    except ImportError as e:  # pragma: no cover - altair or vl-convert missing
        print(
            f"error: the report needs altair and vl-convert-python ({e}); pip install -e '.[report]'", file=sys.stderr
        )
        return EXIT_USAGE
    except ReleaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "validate": _validate,
        "build": _build,
        "tables": _tables,
        "codes": _codes,
        "download": _download,
        "diff": _diff,
        "changelog": _changelog,
        "docs": _docs,
        "report": _report,
        "release": _release,
        "check-pr": _check_pr,
    }[args.command]
    from .validation import MAX_FILE_ENV, UsageError, max_file_bytes

    cap_before = os.environ.get(MAX_FILE_ENV)
    try:
        if getattr(args, "max_file_mb", None) is not None:
            # the size cap reaches every validation the command runs (the build's, the pull-request check's)
            os.environ[MAX_FILE_ENV] = repr(args.max_file_mb)
        elif args.command in ("validate", "build", "check-pr"):
            try:
                max_file_bytes()
            except UsageError as e:
                print(f"error: {e}", file=sys.stderr)
                return EXIT_USAGE
        if args.command in READS_RELEASES:
            from .releases import package_metadata

            package_metadata()  # a broken release list: every problem in one line each, before anything else
        return handler(args)
    except ReleaseMetadataError as e:
        from .release_metadata import render_text as render_release_problems

        sys.stdout.write(render_release_problems(e.issues))
        return EXIT_DATA
    except BrokenPipeError:  # output piped into head and closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: say so plainly
        if os.environ.get("DATAPACKAGE_DEBUG"):
            raise
        print(
            f"internal error: {type(e).__name__}: {e} (set DATAPACKAGE_DEBUG=1 for a traceback; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if cap_before is None:
            os.environ.pop(MAX_FILE_ENV, None)
        else:
            os.environ[MAX_FILE_ENV] = cap_before
