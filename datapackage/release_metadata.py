"""The release list of ``schemas/package.json``, checked strictly before anything uses it.

Every release is ``{"version", "date", "summary"}`` plus, for every release but the last,
``source_commit`` (the 40-hex commit its files were built from, which the tests rebuild it
from). Versions are semantic versions ``MAJOR.MINOR.PATCH`` (digits, no leading zeros),
strictly increasing; dates are ISO ``YYYY-MM-DD`` and never decrease. Every problem is an
:class:`~ketamine_ssri_evidence.issues.Issue` with its line in the file, rendered as ``path:line: field: value: reason [code]``.
Standard library only.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass

PATH = "schemas/package.json"
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
COMMIT = re.compile(r"[0-9a-f]{40}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RELEASE_KEYS = ("version", "date", "summary", "source_commit")


# Stable codes of the problems of the release list (kept apart from the codes of raw/).
CODES: dict[str, str] = {
    "release-metadata": "schemas/package.json or its release list is not the expected JSON structure.",
    "release-version": "A release's version is not a semantic version MAJOR.MINOR.PATCH.",
    "release-order": "A release's version is not greater than the one before it.",
    "release-date": "A release's date is missing, not an ISO date, or earlier than the one before it.",
    "release-summary": "A release has no summary.",
    "release-commit": "A release before the last has no source_commit, or it is not a 40-hex commit hash.",
}


@dataclass(frozen=True, order=True)
class Issue:
    """One problem of the release list, rendered like the problems of raw/.

    Not :class:`~ketamine_ssri_evidence.issues.Issue`: setup.py loads this module on its own,
    outside the package, to read the version, so it imports nothing from the package."""

    path: str
    line: int
    field: str
    value: str
    code: str
    reason: str

    def render(self) -> str:
        value = _printable(self.value) or '""'
        return f"{self.path}:{self.line}: {_printable(self.field) or '-'}: {value}: {self.reason} [{self.code}]"


def _printable(text: str) -> str:
    """``text`` on one line: a key or value with a newline or control character is shown escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def render_text(issues: list[Issue]) -> str:
    word = "problem" if len(issues) == 1 else "problems"
    return "".join(i.render() + "\n" for i in sorted(issues)) + f"{len(issues)} {word} in the release list\n"


class ReleaseMetadataError(ValueError):
    """``schemas/package.json`` cannot be used; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues)
        first = self.issues[0].render() if self.issues else ""
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first + more)

    @classmethod
    def unreadable(cls, path, error: Exception) -> ReleaseMetadataError:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        return cls([Issue(PATH, 1, "-", "", "release-metadata", f"cannot be read: {reason}")])


def parse_version(text: object) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a strict semantic version, or None."""
    if not isinstance(text, str) or not SEMVER.fullmatch(text):
        return None
    major, minor, patch = (int(x) for x in text.split("."))
    return major, minor, patch


def parse_date(text: object) -> _dt.date | None:
    if not isinstance(text, str) or not DATE.fullmatch(text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


def _line_of(text: str, needle: str, start: int = 1) -> int:
    """The first line at or after ``start`` holding ``needle`` (else ``start``)."""
    for n, line in enumerate(text.splitlines()[start - 1 :], start):
        if needle in line:
            return n
    return start


def _show(v: object) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)[:80]


def release_issues(meta: object, text: str = "", path: str = PATH) -> list[Issue]:
    """Every problem of the release list (``meta`` is the parsed package.json)."""

    def issue(line, field, value, reason, code):
        return Issue(path, line, field, _show(value), code, reason)

    if not isinstance(meta, dict):
        return [issue(1, "-", meta, "package.json must hold one JSON object", "release-metadata")]
    rels = meta.get("releases")
    top = _line_of(text, '"releases"')
    if not isinstance(rels, list) or not rels:
        return [
            issue(
                top,
                "releases",
                rels if rels is not None else "",
                "must be a non-empty list of releases (version, date, summary)",
                "release-metadata",
            )
        ]
    out: list[Issue] = []
    post = meta.get(POST)
    if post is not None and (not isinstance(post, int) or isinstance(post, bool) or post < 1):
        out.append(
            issue(
                _line_of(text, f'"{POST}"'),
                POST,
                post,
                "must be a whole number from 1 (the count of code-only fixes since the last release)",
                "release-metadata",
            )
        )
    prev_version = prev_date = None
    line = top
    for i, r in enumerate(rels):
        where = f"releases[{i}]"
        if not isinstance(r, dict):
            out.append(
                issue(line, where, r, "a release must be an object with version, date and summary", "release-metadata")
            )
            continue
        v = r.get("version")
        line = _line_of(text, f'"version": {json.dumps(v)}', line) if isinstance(v, str) else line
        for k in r:
            if k not in RELEASE_KEYS:
                out.append(
                    issue(
                        line,
                        f"{where}.{k}",
                        r[k],
                        f"unknown key (a release has {', '.join(RELEASE_KEYS)})",
                        "release-metadata",
                    )
                )
        version = parse_version(v)
        if version is None:
            out.append(
                issue(
                    line,
                    f"{where}.version",
                    v if v is not None else "",
                    "not a semantic version MAJOR.MINOR.PATCH (for example 0.3.0)",
                    "release-version",
                )
            )
        elif prev_version is not None and version <= prev_version:
            out.append(
                issue(
                    line,
                    f"{where}.version",
                    v,
                    f"not greater than the release before it "
                    f"({'.'.join(map(str, prev_version))}); releases are listed oldest first",
                    "release-order",
                )
            )
        d = r.get("date")
        date = parse_date(d)
        if date is None:
            out.append(
                issue(
                    line,
                    f"{where}.date",
                    d if d is not None else "",
                    "missing or not an ISO date YYYY-MM-DD",
                    "release-date",
                )
            )
        elif prev_date is not None and date < prev_date:
            out.append(
                issue(line, f"{where}.date", d, f"earlier than the release before it ({prev_date})", "release-date")
            )
        s = r.get("summary")
        if not isinstance(s, str) or not s.strip():
            out.append(
                issue(
                    line,
                    f"{where}.summary",
                    s if s is not None else "",
                    "missing: say in a sentence what the release changes",
                    "release-summary",
                )
            )
        c = r.get("source_commit")
        last = i == len(rels) - 1
        if c is None and not last:
            out.append(
                issue(
                    line,
                    f"{where}.source_commit",
                    "",
                    "missing: every release but the last names the "
                    "commit it was built from (python -m ketamine_ssri_evidence release fills it in)",
                    "release-commit",
                )
            )
        elif c is not None and not (isinstance(c, str) and COMMIT.fullmatch(c)):
            out.append(
                issue(
                    line,
                    f"{where}.source_commit",
                    c,
                    "not a full commit hash (40 lower-case hex digits)",
                    "release-commit",
                )
            )
        if version is not None:
            prev_version = version if prev_version is None else max(prev_version, version)
        if date is not None:
            prev_date = date if prev_date is None else max(prev_date, date)
    return out


POST = "package_post_release"  # top-level key: code-only fixes of the package after the last release


def package_version(meta: dict) -> str:
    """The Python package's version: the last data release, ``.postN`` for the N-th
    code-only fix after it (``package_post_release`` in package.json; the release
    command removes it)."""
    version = meta["releases"][-1]["version"]
    post = meta.get(POST)
    return f"{version}.post{post}" if post else version


def parse(text: str, path: str = PATH) -> dict:
    """Parse and check package.json's text; raise :class:`ReleaseMetadataError` on any problem."""
    try:
        meta = json.loads(text)
    except ValueError as e:
        line = getattr(e, "lineno", 1)
        raise ReleaseMetadataError(
            [Issue(path, line, "-", "", "release-metadata", f"not valid JSON ({getattr(e, 'msg', e)})")]
        ) from None
    problems = release_issues(meta, text, path)
    if problems:
        raise ReleaseMetadataError(problems)
    return meta
