"""Problems found in contributed data, as data.

Each problem is an :class:`Issue` with a stable ``code`` from :data:`CODES`, a location
(path, line, field), the offending value and a reason. Issues render as
``path:line: field: value: reason [code]``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass

# Stable codes: never rename or reuse one; add new ones at the end of their group.
CODES: dict[str, str] = {
    # files and folders
    "missing-file": "A source folder lacks its source.yaml.",
    "file-too-large": "A file is larger than the size limit for contributed files.",
    "bad-encoding": "A file is not valid UTF-8.",
    "bom": "A file starts with a byte-order mark; save it as UTF-8 without BOM.",
    "nul-byte": "A file contains NUL bytes (often a binary or UTF-16 file).",
    "crlf": "A file has Windows (CRLF) or old Mac (CR) line endings; use LF.",
    "empty-file": "A file is empty.",
    "no-rows": "figures.csv has a header but no figure rows.",
    "folder-mismatch": "A source folder's name differs from the source_id inside it.",
    "symlink": "A file or folder under raw/ is a symbolic link; links are never followed or read.",
    "special-file": "A file under raw/ is a device, FIFO or socket, not a regular file; it is never read.",
    "not-a-file": "A folder is where a file belongs (for example a folder named figures.csv).",
    "misnamed-file": "A file's name is a near miss of figures.csv or source.yaml (Figures.CSV, figure.csv, source.yml), so it would not be read.",
    "unexpected-file": "raw/ or a source folder holds a file or folder that no table reads.",
    "bad-folder-name": "A folder under raw/ is not named like a source_id (hidden, upper case, not UTF-8, too long, ...).",
    "too-many-entries": "raw/ or a source folder holds more files and folders than the limit.",
    "hard-link": "A file under raw/ has other names (a hard link), so it may be a system file; it is never read.",
    # CSV structure
    "csv-syntax": "The CSV cannot be read (for example an unclosed quote).",
    "ragged-row": "A row has more or fewer cells than the header.",
    "missing-column": "A column of the schema is missing from the header.",
    "unknown-column": "The header has a column the schema does not know.",
    "duplicate-column": "The header names a column twice.",
    "cell-too-large": "A cell is longer than any field allows.",
    "too-many-columns": "The header has more columns than the limit.",
    # YAML structure
    "yaml-syntax": "source.yaml is not valid YAML.",
    "yaml-alias": "source.yaml uses anchors or aliases, which are not allowed.",
    "yaml-tag": "source.yaml uses a tag (such as !!python/object), which is not allowed.",
    "yaml-duplicate-key": "source.yaml gives the same key twice.",
    "yaml-structure": "source.yaml is not a flat mapping of keys to text (or, for authors, a list of text).",
    "yaml-limit": "source.yaml is nested deeper, or holds more keys or items, than the limit.",
    # fields
    "required": "A required field is empty.",
    "type": "A value is not of the field's type (number, integer, date, ISO 8601 duration).",
    "pattern": "A value does not match the field's pattern.",
    "unknown-code": "A value is not a code of the field's vocabulary.",
    "minimum": "A value is below the field's minimum.",
    "maximum": "A value is above the field's maximum.",
    "max-length": "A value is longer than the field allows.",
    "formula-injection": "A text cell starts with =, +, - or @ and would run as a spreadsheet formula.",
    "unsafe-path": "snapshot is not a bare file name (it has a folder, '..', an absolute path or a URL).",
    "bad-url": "url is not an http or https address.",
    "invisible-character": "A text holds an invisible, control or bidirectional character (zero-width space, right-to-left override, byte-order mark, soft hyphen, tab, line break, ...).",
    "non-ascii-digit": "A number, integer, date or duration is written with digits other than ASCII 0-9 (such as Arabic-Indic, fullwidth or superscript digits).",
    # keys
    "duplicate-id": "An id is used twice (figure_id across all sources, or source_id).",
    "id-prefix": "figure_id does not start with '<source_id>/'.",
    "source-mismatch": "A figure's source_id differs from the folder it is in.",
    "unknown-reference": "source_id or attributed_to names a source that does not exist.",
    "self-attribution": "A figure's attributed_to names its own source.",
    "restates-self": "A note says the figure restates itself (Restates <its own figure_id>).",
    "restates-unknown": "A note's Restates names a figure_id that does not exist.",
    # figures: cross-field rules
    "unit-missing": "A figure with numbers has no unit.",
    "unit-dimension": "The unit does not fit the measure's dimension.",
    "proportion-range": "A proportion is outside 0–100 %.",
    "value-order": "The numbers are out of order (low > high, or value outside low–high).",
    "range-ends": "A range or approx_range figure lacks low or high, or also fills value.",
    "point-value": "A point figure (exact, approx, up_to, at_least, at_most) lacks value or fills low/high.",
    "qualitative-numbers": "A qualitative figure has numbers.",
    "text-mismatch": "value_text does not agree with value, low and high.",
    "qualifier-mismatch": "value_text's wording implies another qualifier.",
    "timepoint-order": "timepoint is after timepoint_end, or timepoint_sessions after timepoint_sessions_end.",
    "timepoint-end-alone": "timepoint_end or timepoint_sessions_end is set without its start.",
    "anchor-missing": "A time-point is set without timepoint_anchor.",
    "anchor-alone": "timepoint_anchor is set without a time-point.",
    "event-missing": "The measure needs event (an adverse effect or reason) and it is empty.",
    "comparator-missing": "The measure needs comparator and it is empty.",
    "snapshot-hash-missing": "snapshot is set but snapshot_sha256 is empty.",
    # provenance (with a snapshot directory)
    "snapshot-not-found": "The snapshot file named by source.yaml is not in the snapshot directory.",
    "snapshot-hash": "The snapshot file's SHA-256 differs from snapshot_sha256.",
    "text-not-in-snapshot": "value_text does not occur in the source's snapshot.",
    # derived figures and reviews (checked by the build)
    "derived-input": "A derived figure names an input that is not a figure of its source, or the wrong number of inputs.",
    "derived-formula": "A derived figure's formula does not fit its inputs (a complement of a non-share, a count over a non-count).",
    "review-unknown-figure": "A review names a figure that has no claim check.",
    "review-stale": "The computed verdict or rule changed since the review was made; review the claim again.",
    # published releases (build/versions.json)
    "published-missing": "A file that build/versions.json lists as published is missing.",
    "published-changed": "A published file differs from its bytes and sha256 in build/versions.json (published files never change).",
    "published-unlisted": "A published release folder holds a file that build/versions.json does not list.",
    "manifest-unreadable": "build/versions.json cannot be read (not JSON, wrong structure, unsafe paths or too large).",
    # limits
    "too-many-problems": "A file has so many problems of one code that only the first ones are listed.",
}


@dataclass(frozen=True, order=True)
class Issue:
    path: str
    line: int
    field: str
    value: str
    code: str
    reason: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown issue code {self.code!r}")

    def render(self) -> str:
        """The problem as one line: ``path:line: field: value: reason [code]``.

        >>> Issue("raw/demo/figures.csv", 3, "low", "6", "value-order", "low 6 is greater than high 2").render()
        'raw/demo/figures.csv:3: low: 6: low 6 is greater than high 2 [value-order]'
        >>> Issue("raw/demo/figures.csv", 2, "unit", "", "unit-missing", "a figure with numbers needs a unit").render()
        'raw/demo/figures.csv:2: unit: "": a figure with numbers needs a unit [unit-missing]'
        """
        value = self.value
        if len(value) > 80:
            value = value[:77] + "..."
        if not value.isprintable():
            value = value.encode("unicode_escape").decode("ascii")
        if value == "":
            value = '""' if self.field else "-"
        # a file name or a quoted value may hold line breaks or bidirectional controls: escaped,
        # so that every problem stays one line that reads as it is stored
        from .text_safety import safe_text

        return (
            f"{safe_text(self.path)}:{self.line}: {safe_text(self.field) or '-'}: {value}: "
            f"{safe_text(self.reason)} [{self.code}]"
        )

    def github(self) -> str:
        msg = f"{self.field or '-'}: {self.reason}".replace("%", "%25").replace("\n", "%0A")
        from .text_safety import safe_text

        return f"::error file={safe_text(self.path)},line={max(self.line, 1)},title={self.code}::{msg}"


MAX_PER_CODE = 1000  # problems of one code listed per file; the rest are counted in one line


class IssueList(list):
    """A list of issues that keeps at most :data:`MAX_PER_CODE` of each code per file.

    A hostile or broken file can have a problem on every one of a million rows; listing
    them all would cost gigabytes and help no one. :meth:`finish` adds one
    ``too-many-problems`` line per file and code that was cut, with the count left out.
    """

    def __init__(self, limit: int = MAX_PER_CODE):
        super().__init__()
        self.limit = limit
        self.kept: Counter = Counter()
        self.dropped: Counter = Counter()

    def append(self, issue: Issue) -> None:
        key = (issue.path, issue.code)
        if self.kept[key] >= self.limit:
            self.dropped[key] += 1
            return
        self.kept[key] += 1
        super().append(issue)

    def extend(self, issues) -> None:
        for i in issues:
            self.append(i)

    def merge(self, other: IssueList) -> None:
        self.extend(other)
        self.dropped.update(other.dropped)

    def finish(self) -> list[Issue]:
        out = list(self)
        for (path, code), n in sorted(self.dropped.items()):
            out.append(
                Issue(
                    path,
                    0,
                    "",
                    "",
                    "too-many-problems",
                    f"{n:,} more {code} problems in this file are not listed (at most {self.limit:,} "
                    f"of one code per file); fix the ones above and validate again",
                )
            )
        return out


def summary(issues: list[Issue]) -> str:
    """The count line that ends every report.

    >>> summary([])
    '0 problems'
    >>> summary([Issue("raw/demo/figures.csv", 3, "low", "6", "value-order", "low 6 is greater than high 2")])
    '1 problem: value-order 1'
    """
    if not issues:
        return "0 problems"
    counts = Counter(i.code for i in issues)
    detail = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    word = "problem" if len(issues) == 1 else "problems"
    return f"{len(issues)} {word}: {detail}"


def render_text(issues: list[Issue]) -> str:
    return "".join(i.render() + "\n" for i in sorted(issues)) + summary(issues) + "\n"


def render_json(issues: list[Issue]) -> str:
    counts = Counter(i.code for i in issues)
    return (
        json.dumps(
            {
                "problems": [asdict(i) for i in sorted(issues)],
                "count": len(issues),
                "by_code": dict(sorted(counts.items())),
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def render_github(issues: list[Issue]) -> str:
    return "".join(i.github() + "\n" for i in sorted(issues)) + summary(issues) + "\n"
