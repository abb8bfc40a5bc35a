"""The validation rules, through validate() on a small raw/ folder: every cell check and every
figure rule, each with the whole line it renders (``field: value: reason [code]``).

The folder is written once per module: one source folder ``demo`` whose figures.csv holds one
row per case below (a valid figure, changed as the case says), and one source folder per
source.yaml case. Each case lists every problem its row must yield, and no other; the
expected lines are written by hand from the schemas (figures.schema.json,
sources.schema.json, schemas/vocab/) and the rules of CONTRIBUTING.md.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.validation import validate

VALID = {
    "figure_id": None,
    "source_id": "demo",
    "locator": "Paragraph 1",
    "value_text": "33%",
    "qualifier": "exact",
    "value": "33",
    "unit": "%",
    "measure": "remission_rate",
    "treatment": "ketamine",
    "route": "unspecified",
    "population": "trd",
}
WK = {"unit": "wk", "measure": "onset_time"}
TP = {"timepoint_anchor": "treatment_start"}
NUMBER = (
    "not a plain decimal number (digits, an optional minus sign and decimal point; no %, commas, exponent, "
    "NaN or infinity)"
)
CODE = "not a code of the {0} vocabulary (schemas/vocab/{0}.csv)"
INJECTION = (
    "text must not start with =, +, - or @ (spreadsheets run it as a formula); rephrase or start with another character"
)
QUALITATIVE = "a qualitative figure has no numbers; empty value, low and high or change the qualifier"

# (what the row changes in VALID, every problem it yields)
FIGURES: list[tuple[dict, list[str]]] = [
    ({}, []),
    # ---- the shape of the numbers
    (
        dict(value_text="most patients", qualifier="qualitative", value="50", low="40", unit=""),
        [f"low: 40: {QUALITATIVE} [qualitative-numbers]", f"value: 50: {QUALITATIVE} [qualitative-numbers]"],
    ),
    (
        dict(value_text="most patients", qualifier="qualitative", value="", high="60", unit="%"),
        [f"high: 60: {QUALITATIVE} [qualitative-numbers]"],
    ),
    (dict(value_text="most patients", qualifier="qualitative", value="", unit=""), []),
    (
        dict(value_text="3 or 4 times", qualifier="qualitative", value="", unit=""),
        ["value_text: 3 or 4 times: value_text holds the number(s) 3, 4 but qualifier is qualitative [text-mismatch]"],
    ),
    (
        dict(value_text="30–40%", qualifier="range", value="", low="30"),
        ['high: "": a range figure needs both low and high [range-ends]'],
    ),
    (
        dict(value_text="30–40%", qualifier="range", value="", high="40"),
        ['low: "": a range figure needs both low and high [range-ends]'],
    ),
    (dict(value_text="30–40%", qualifier="range", value="", low="x30", high="40"), [f"low: x30: {NUMBER} [type]"]),
    (
        dict(value_text="about 30–40%", qualifier="approx_range", value="35", low="30", high="40"),
        ["value: 35: a approx_range figure fills low and high, not value [range-ends]"],
    ),
    (dict(value_text="30–40%", qualifier="range", value="", low="30", high="40"), []),
    (dict(value_text="72%", value=""), ['value: "": a exact figure needs value [point-value]']),
    (dict(value_text="72%", value="7 2"), [f"value: 7 2: {NUMBER} [type]"]),
    (
        dict(value_text="up to 72%", qualifier="up_to", value="72", low="10"),
        ["low: 10: a up_to figure fills value only, not low [point-value]"],
    ),
    (
        dict(value_text="at least 50%", qualifier="at_least", value="50", high="90"),
        ["high: 90: a at_least figure fills value only, not high [point-value]"],
    ),
    (
        dict(value_text="10%", value="10", low="20"),
        [
            "low: 20: a exact figure fills value only, not low [point-value]",
            "value: 10: value 10 lies outside low–high [value-order]",
        ],
    ),
    (
        dict(value_text="50%", value="50", high="40"),
        [
            "high: 40: a exact figure fills value only, not high [point-value]",
            "value: 50: value 50 lies outside low–high [value-order]",
        ],
    ),
    (
        dict(value_text="30%", value="30", low="30", high="30"),
        [
            "high: 30: a exact figure fills value only, not high [point-value]",
            "low: 30: a exact figure fills value only, not low [point-value]",
        ],
    ),
    (
        dict(value_text="6–2 weeks", qualifier="range", value="", low="6", high="2", **WK),
        ["low: 6: low 6 is greater than high 2 [value-order]"],
    ),
    (dict(value_text="2–2 weeks", qualifier="range", value="", low="2", high="2", **WK), []),
    # ---- units and proportions
    (dict(value_text="72%", value="72", unit=""), ['unit: "": a figure with numbers needs a unit [unit-missing]']),
    (dict(value_text="72%", value="72", unit="pct"), [f"unit: pct: {CODE.format('unit')} [unknown-code]"]),
    (
        dict(value_text="6 weeks", value="6", unit="wk"),
        ["unit: wk: unit wk measures duration, but remission_rate is a proportion [unit-dimension]"],
    ),
    (
        dict(value_text="6 weeks", value="6", unit="wk", measure="remision_rate"),
        [f"measure: remision_rate: {CODE.format('measure')} [unknown-code]"],
    ),
    (
        dict(value_text="120%", value="120"),
        ["value: 120: a proportion must lie between 0 and 100 % [proportion-range]"],
    ),
    (dict(value_text="−1%", value="-1"), ["value: -1: a proportion must lie between 0 and 100 % [proportion-range]"]),
    (dict(value_text="0–100%", qualifier="range", value="", low="0", high="100"), []),
    (
        dict(value_text="−10–101%", qualifier="range", value="", low="-10", high="101"),
        [
            "high: 101: a proportion must lie between 0 and 100 % [proportion-range]",
            "low: -10: a proportion must lie between 0 and 100 % [proportion-range]",
        ],
    ),
    (
        dict(value_text="−150%", value="-150", measure="rate_difference", comparator="ssri"),
        ["value: -150: a proportion must lie between -100 and 100 % [proportion-range]"],
    ),
    (dict(value_text="−100%", value="-100", measure="rate_difference", comparator="ssri"), []),
    (dict(value_text="−0.5", value="-0.5", unit="1", measure="effect_size"), []),
    # ---- value_text against the numbers
    (
        dict(value_text="most patients", value="5"),
        ["value_text: most patients: value_text holds no number, but the figure is exact 5 [text-mismatch]"],
    ),
    (
        dict(value_text="several weeks", qualifier="range", value="", low="2", high="3", **WK),
        ["value_text: several weeks: value_text holds no number, but the figure is range 2, 3 [text-mismatch]"],
    ),
    (
        dict(value_text="40%", value="45"),
        ["value_text: 40%: value_text says 40 but the numbers are 45 [text-mismatch]"],
    ),
    (
        dict(value_text="72%", value="72.0000001"),
        ["value_text: 72%: value_text says 72 but the numbers are 72.0000001 [text-mismatch]"],
    ),
    (dict(value_text="72%", value="72.00000000001"), []),  # within a billionth of the number
    (dict(value_text="72%", value="72.000000001"), []),
    (
        dict(value_text="0.5", value="0.5000000015", unit="1", measure="effect_size"),  # a billionth of 1 at least
        ["value_text: 0.5: value_text says 0.5 but the numbers are 0.5000000015 [text-mismatch]"],
    ),
    (dict(value_text="half", value="50.5"), []),  # a word fraction: 0.5 points either side, both ends included
    (
        dict(value_text="40–30%", qualifier="range", value="", low="30", high="40"),
        ["value_text: 40–30%: value_text says 40, 30 but the numbers are 30, 40 [text-mismatch]"],
    ),
    (dict(value_text="a quarter, a third or a half", qualifier="range", value="", low="25.5", high="50.5"), []),
    (
        dict(value_text="3, 4, or 5 sessions", value="3", unit="{session}", measure="session_count"),
        ["value_text: 3, 4, or 5 sessions: value_text says 3, 4, 5 but the numbers are 3 [text-mismatch]"],
    ),
    (dict(value_text="0.000000000001", value="0.0000000000005", unit="1", measure="effect_size"), []),
    (
        dict(value_text="30–40%", qualifier="range", value="", low="30", high="45"),
        ["value_text: 30–40%: value_text says 30, 40 but the numbers are 30, 45 [text-mismatch]"],
    ),
    (
        dict(value_text="30–40%", value="30"),
        ["value_text: 30–40%: value_text says 30, 40 but the numbers are 30 [text-mismatch]"],
    ),
    (dict(value_text="Half", value="50"), []),
    (
        dict(value_text="half", value="40"),
        ["value_text: half: value_text says 50 but the numbers are 40 [text-mismatch]"],
    ),
    (dict(value_text="two-thirds", value="66.67"), []),
    (dict(value_text="two-thirds", value="67.1"), []),  # a word fraction stands for 0.5 points either side
    (
        dict(value_text="two-thirds", value="66.1"),
        ["value_text: two-thirds: value_text says 66.6667 but the numbers are 66.1 [text-mismatch]"],
    ),
    (dict(value_text="half a day", value="0.5", unit="d", measure="session_duration"), []),
    (
        dict(value_text="half a day", value="12", unit="h", measure="session_duration"),
        ["value_text: half a day: value_text says 0.5 but the numbers are 12 [text-mismatch]"],
    ),
    (
        dict(
            value_text="3, 4, or even 5 sessions",
            qualifier="range",
            value="",
            low="3",
            high="5",
            unit="{session}",
            measure="session_count",
        ),
        [],
    ),  # a list read as a range
    (
        dict(
            value_text="3, 4, or even 5 sessions",
            qualifier="range",
            value="",
            low="3",
            high="4",
            unit="{session}",
            measure="session_count",
        ),
        ["value_text: 3, 4, or even 5 sessions: value_text says 3, 4, 5 but the numbers are 3, 4 [text-mismatch]"],
    ),
    (
        dict(
            value_text="3, 4, or even 5 sessions",
            qualifier="range",
            value="",
            low="4",
            high="5",
            unit="{session}",
            measure="session_count",
        ),
        ["value_text: 3, 4, or even 5 sessions: value_text says 3, 4, 5 but the numbers are 4, 5 [text-mismatch]"],
    ),
    (
        dict(value_text="3, 4, or 5 sessions", value="4", unit="{session}", measure="session_count"),
        ["value_text: 3, 4, or 5 sessions: value_text says 3, 4, 5 but the numbers are 4 [text-mismatch]"],
    ),
    (dict(value_text="40%", value="abc"), [f"value: abc: {NUMBER} [type]"]),  # a faulty cell: no text rule
    (dict(value_text="40%", value="45", low="abc"), [f"low: abc: {NUMBER} [type]"]),
    (dict(value_text="30–40%", qualifier="range", value="abc", low="30", high="45"), [f"value: abc: {NUMBER} [type]"]),
    (dict(value_text="40%", value="45", high="abc"), [f"high: abc: {NUMBER} [type]"]),
    (dict(value_text="Half", value="50", unit="pct"), [f"unit: pct: {CODE.format('unit')} [unknown-code]"]),
    (dict(value_text="40%", qualifier="exactly"), [f"qualifier: exactly: {CODE.format('qualifier')} [unknown-code]"]),
    # ---- value_text against the qualifier
    (
        dict(value_text="up to 72%", value="72"),
        ["qualifier: exact: value_text reads as up_to, not exact [qualifier-mismatch]"],
    ),
    (
        dict(value_text="about 30%", value="30"),
        ["qualifier: exact: value_text reads as approx, not exact [qualifier-mismatch]"],
    ),
    (dict(value_text="about 30%", qualifier="approx", value="30"), []),
    (
        dict(value_text="about 30–40%", qualifier="range", value="", low="30", high="40"),
        ["qualifier: range: value_text reads as approx_range, not range [qualifier-mismatch]"],
    ),
    (dict(value_text="about 30–40%", qualifier="approx_range", value="", low="30", high="40"), []),
    (dict(value_text="30–40%", qualifier="approx_range", value="", low="30", high="40"), []),
    (
        dict(value_text="at least 50%", qualifier="at_most", value="50"),
        ["qualifier: at_most: value_text reads as at_least, not at_most [qualifier-mismatch]"],
    ),
    (dict(value_text="less than 10%", qualifier="at_most", value="10"), []),
    (
        dict(value_text="less than 10%", qualifier="up_to", value="10"),
        ["qualifier: up_to: value_text reads as at_most, not up_to [qualifier-mismatch]"],
    ),
    (
        dict(value_text="up to 72%", qualifier="at_most", value="72"),
        ["qualifier: at_most: value_text reads as up_to, not at_most [qualifier-mismatch]"],
    ),
    (dict(value_text="at least 50%", qualifier="at_least", value="50"), []),
    (
        dict(
            value_text="3 or 4 times",
            qualifier="exact",
            value="",
            low="3",
            high="4",
            unit="{session}",
            measure="session_count",
        ),
        [
            "high: 4: a exact figure fills value only, not high [point-value]",
            "low: 3: a exact figure fills value only, not low [point-value]",
            'value: "": a exact figure needs value [point-value]',
        ],
    ),
    # ---- time-points
    (
        dict(timepoint_end="P6M", **TP),
        [
            "timepoint_anchor: treatment_start: timepoint_anchor is set but no time-point is [anchor-alone]",
            "timepoint_end: P6M: timepoint_end needs timepoint [timepoint-end-alone]",
        ],
    ),
    (
        dict(timepoint_sessions_end="3", timepoint_sessions="", timepoint="P1M", **TP),
        ["timepoint_sessions_end: 3: timepoint_sessions_end needs timepoint_sessions [timepoint-end-alone]"],
    ),
    (
        dict(timepoint="P12M", timepoint_end="P6M", **TP),
        ["timepoint_end: P6M: timepoint_end P6M is before timepoint P12M [timepoint-order]"],
    ),
    (dict(timepoint="P1Y", timepoint_end="P12M", **TP), []),  # the same days
    (
        dict(timepoint="P2W", timepoint_end="P13D", **TP),
        ["timepoint_end: P13D: timepoint_end P13D is before timepoint P2W [timepoint-order]"],
    ),
    (
        dict(timepoint_sessions="4", timepoint_sessions_end="2", **TP),
        ["timepoint_sessions_end: 2: timepoint_sessions_end 2 is before timepoint_sessions 4 [timepoint-order]"],
    ),
    (dict(timepoint_sessions="4", timepoint_sessions_end="4", **TP), []),
    (
        dict(timepoint="P6M"),
        ['timepoint_anchor: "": a time-point needs timepoint_anchor (what it is counted from) [anchor-missing]'],
    ),
    (
        dict(timepoint_sessions="3"),
        ['timepoint_anchor: "": a time-point needs timepoint_anchor (what it is counted from) [anchor-missing]'],
    ),
    (
        dict(timepoint="P6M", timepoint_anchor="start"),
        [f"timepoint_anchor: start: {CODE.format('timepoint_anchor')} [unknown-code]"],
    ),
    (
        dict(timepoint="6 months", timepoint_end="P9M", **TP),
        ["timepoint: 6 months: not an ISO 8601 duration such as P6M, P2W, P1D or PT24H [type]"],
    ),
    (
        dict(timepoint_sessions="three", timepoint_sessions_end="4", **TP),
        ["timepoint_sessions: three: not a whole number [type]"],
    ),
    (
        dict(timepoint="P2000Y", **TP),
        ["timepoint: P2000Y: a duration of more than 1,000 years is not a time-point of a study [type]"],
    ),
    (dict(timepoint="P1000Y", **TP), []),
    # ---- what a measure requires
    (
        dict(value_text="28%", value="28", measure="adverse_effect_rate"),
        ['event: "": adverse_effect_rate needs event [event-missing]'],
    ),
    (
        dict(value_text="28%", value="28", measure="adverse_effect_rate", event="nausia"),
        [f"event: nausia: {CODE.format('event')} [unknown-code]"],
    ),
    (dict(value_text="28%", value="28", measure="adverse_effect_rate", event="nausea"), []),
    (
        dict(value_text="5%", value="5", measure="rate_difference"),
        ['comparator: "": rate_difference needs comparator [comparator-missing]'],
    ),
    # ---- cells
    (
        dict(n="\u0663"),
        ["n: ٣: contains U+0663 ARABIC-INDIC DIGIT THREE; write numbers with the ASCII digits 0-9 [non-ascii-digit]"],
    ),
    (
        dict(timepoint="P\u0663M", **TP),
        [
            "timepoint: P٣M: contains U+0663 ARABIC-INDIC DIGIT THREE; write numbers with "
            "the ASCII digits 0-9 [non-ascii-digit]"
        ],
    ),
    (
        dict(value_text="٣٤%", value="\u0663\u0664"),
        [
            "value: ٣٤: contains U+0663 ARABIC-INDIC DIGIT THREE, U+0664 ARABIC-INDIC DIGIT FOUR; write numbers with the "
            "ASCII digits 0-9 [non-ascii-digit]"
        ],
    ),
    (
        dict(value_text="٠١٢٣٤٥%", value="\u0660\u0661\u0662\u0663\u0664\u0665"),  # the first five are named
        [
            "value: ٠١٢٣٤٥: contains U+0660 ARABIC-INDIC DIGIT ZERO, U+0661 ARABIC-INDIC DIGIT ONE, U+0662 ARABIC-INDIC "
            "DIGIT TWO, U+0663 ARABIC-INDIC DIGIT THREE, U+0664 ARABIC-INDIC DIGIT FOUR; write numbers with the ASCII "
            "digits 0-9 [non-ascii-digit]"
        ],
    ),
    (dict(locator=""), ['locator: "": a value is required [required]']),
    (
        dict(locator="Para\u200bgraph 1"),
        [
            "locator: Para\\u200bgraph 1: contains U+200B ZERO WIDTH SPACE, which a reader cannot see (invisible, control "
            "or bidirectional character); delete it and retype the text around it [invisible-character]"
        ],
    ),
    (
        dict(value_text="٣3%", value="٣3"),
        [
            "value: ٣3: contains U+0663 ARABIC-INDIC DIGIT THREE; write numbers with the ASCII digits 0-9 "
            "[non-ascii-digit]"
        ],
    ),
    (dict(value_text="x" * 201), [f"value_text: {'x' * 77}...: 201 characters; at most 200 allowed [max-length]"]),
    (dict(locator="L" * 1000), []),
    (dict(locator="L" * 1001), [f"locator: {'L' * 77}...: 1,001 characters; at most 1,000 allowed [max-length]"]),
    (dict(value="5%"), [f"value: 5%: {NUMBER} [type]"]),
    (dict(value="1e3"), [f"value: 1e3: {NUMBER} [type]"]),
    (dict(value="-"), [f"value: -: {NUMBER} [type]"]),
    (dict(value="9" * 400), [f"value: {'9' * 77}...: too large to be a number (it overflows to infinity) [type]"]),
    (dict(n="3.5"), ["n: 3.5: not a whole number [type]"]),
    (dict(n="1234567890123456789"), ["n: 1234567890123456789: not a whole number [type]"]),
    (dict(n="123456789012345678"), []),
    (dict(n="0"), ["n: 0: must be at least 1 [minimum]"]),
    (dict(n="1"), []),
    (dict(timepoint_sessions="-1", **TP), ["timepoint_sessions: -1: must be at least 0 [minimum]"]),
    (
        dict(treatment="ketam\u0456ne"),
        [
            "treatment: ketamіne: not a code of the treatment vocabulary (schemas/vocab/treatment.csv); it contains "
            "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I, which only looks like plain text [unknown-code]"
        ],
    ),
    (
        dict(attributed_to="Study"),
        ["attributed_to: Study: does not match the pattern [a-z0-9]+(-[a-z0-9]+)* [pattern]"],
    ),
    (
        dict(attributed_to="stu\u0501y"),
        [
            "attributed_to: stuԁy: does not match the pattern [a-z0-9]+(-[a-z0-9]+)*; it contains U+0501 CYRILLIC SMALL "
            "LETTER KOMI DE, which only looks like plain text [pattern]"
        ],
    ),
    (dict(note="=SUM(A1)"), [f"note: =SUM(A1): {INJECTION} [formula-injection]"]),
    (dict(note="+1 more"), [f"note: +1 more: {INJECTION} [formula-injection]"]),
    (dict(note="-1 less"), [f"note: -1 less: {INJECTION} [formula-injection]"]),
    (dict(population_as_stated="@home"), [f"population_as_stated: @home: {INJECTION} [formula-injection]"]),
    (dict(note="A note = fine"), []),
    (dict(note="X marks the spot"), []),
]

SOURCE = {
    "source_id": None,
    "kind": "web_article",
    "resolution": "archived",
    "title": "Demo article",
    "publisher": "Example",
    "url": "https://example.org/demo",
    "accessed": "2026-11-21",
}
# (folder, what the source.yaml changes, every problem as "line: field: value: reason [code]")
SOURCES: list[tuple[str, dict, list[str]]] = (
    [
        ("demo", {}, []),
        ("no-title", {"title": ""}, ['4: title: "": a value is required [required]']),
        (
            "ftp",
            {"url": "ftp://example.org/x"},
            [
                "6: url: ftp://example.org/x: the 'ftp' scheme is not allowed; use an http:// or https:// address [bad-url]"
            ],
        ),
        (
            "ftp-port",
            {"url": "ftp://example.org:21/x"},
            [
                "6: url: ftp://example.org:21/x: the 'ftp' scheme is not allowed; use an http:// or https:// address "
                "[bad-url]"
            ],
        ),
        ("bare-url", {"url": "example.org/x"}, ["6: url: example.org/x: use an http:// or https:// address [bad-url]"]),
        (
            "upper-url",
            {"url": "HTTP://example.org/x"},
            ["6: url: HTTP://example.org/x: does not match the pattern https?://[^\\s]+ [pattern]"],
        ),
        ("date", {"accessed": "2026-13-01"}, ["7: accessed: 2026-13-01: not an ISO 8601 date (YYYY-MM-DD) [type]"]),
        ("short-date", {"accessed": "2026-1-01"}, ["7: accessed: 2026-1-01: not an ISO 8601 date (YYYY-MM-DD) [type]"]),
        (
            "date-digit",
            {"accessed": "2026-11-2\u0661"},
            [
                "7: accessed: 2026-11-2١: contains U+0661 ARABIC-INDIC DIGIT ONE; write numbers with the ASCII digits 0-9 "
                "[non-ascii-digit]"
            ],
        ),
        ("kind", {"kind": "blog"}, [f"2: kind: blog: {CODE.format('source_kind')} [unknown-code]"]),
        (
            "published",
            {"published": "2026-13"},
            [
                "8: published: 2026-13: does not match the pattern "
                "[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)? [pattern]"
            ],
        ),
        (
            "title-long",
            {"title": "t" * 501},
            [f"4: title: {'t' * 77}...: 501 characters; at most 500 allowed [max-length]"],
        ),
        ("notes", {"notes": "=1+1"}, [f"8: notes: =1+1: {INJECTION} [formula-injection]"]),
    ]
    + [
        (
            f"unsafe-{i}",
            {"snapshot": name, "snapshot_sha256": "0" * 64},
            [
                f"8: snapshot: {name}: snapshot must be a bare file name in the snapshot folder, without folders, '..', drive "
                "letters or URLs [unsafe-path]"
            ],
        )
        for i, name in enumerate(["a/b.txt", "a\\b.txt", "..txt", "c:b.txt", "~b.txt"])
    ]
    + [
        ("snapshot", {"snapshot": "b.txt", "snapshot_sha256": "0" * 64}, []),
        (
            "snapshot-no-hash",
            {"snapshot": "b.txt"},
            ['1: snapshot_sha256: "": snapshot is set, so snapshot_sha256 is required [snapshot-hash-missing]'],
        ),
        (  # a faulty hash is reported as such, not again as missing
            "snapshot-bad-hash",
            {"snapshot": "b.txt", "snapshot_sha256": "xyz"},
            ["9: snapshot_sha256: xyz: does not match the pattern [0-9a-f]{64} [pattern]"],
        ),
        ("hash-no-snapshot", {"snapshot_sha256": "0" * 64}, []),
        (
            "snapshot-name",
            {"snapshot": "b.pdf", "snapshot_sha256": "0" * 64},
            ["8: snapshot: b.pdf: does not match the pattern [A-Za-z0-9][A-Za-z0-9._-]*\\.txt [pattern]"],
        ),
    ]
)


def _line(n: int) -> int:
    return n + 2  # the header is line 1


@pytest.fixture(scope="module")
def issues(tmp_path_factory) -> dict[str, list[str]]:
    """Rendered problems of the raw/ folder, by file ("demo/figures.csv:3" or "ftp/source.yaml")."""
    raw = tmp_path_factory.mktemp("rules") / "raw"
    for folder, change, _ in SOURCES:
        (raw / folder).mkdir(parents=True)
        record = dict(SOURCE, source_id=folder, **change)
        (raw / folder / "source.yaml").write_text(
            "".join(f"{k}: {json.dumps(v)}\n" for k, v in record.items()), encoding="utf-8"
        )
    fields = [f.name for f in schemas.table("figures").raw_fields]
    with (raw / "demo" / "figures.csv").open("w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fields, restval="", lineterminator="\n")
        w.writeheader()
        for n, (change, _) in enumerate(FIGURES):
            w.writerow(dict(VALID, figure_id=f"demo/{n + 1:03d}", **change))
    with pytest.MonkeyPatch.context() as env:  # no provenance check: no snapshot folder
        env.delenv("DATAPACKAGE_SNAPSHOTS", raising=False)
        result = validate(raw_dir=raw, build_dir=raw.parent / "build", keep_rows=False)
    by: dict[str, list[str]] = {}
    for i in result.issues:
        text = i.render()
        assert text.startswith(f"{i.path}:{i.line}: ")
        rest = text[len(f"{i.path}:{i.line}: ") :]
        if i.path.endswith("figures.csv"):
            by.setdefault(f"{Path(i.path).parent.name}/figures.csv:{i.line}", []).append(rest)
        else:
            by.setdefault(f"{Path(i.path).parent.name}/source.yaml", []).append(f"{i.line}: {rest}")
    return by


def _wrong(got: dict[str, list[str]], want: dict[str, list[str]], label: dict[str, str]) -> str:
    return "\n".join(
        f"{label[k]}:\n  got  {got.get(k, [])}\n  want {want[k]}" for k in want if got.get(k, []) != want[k]
    )


# One test over the whole folder (not one per case): mutation testing credits a function only
# to the test that first runs it, which for a fixture shared by several tests is the first one.
def test_every_rule_and_its_rendered_line(issues):
    want = {f"demo/figures.csv:{_line(n)}": lines for n, (_, lines) in enumerate(FIGURES)}
    label = {
        f"demo/figures.csv:{_line(n)}": f"figures.csv row {n + 1} {change}" for n, (change, _) in enumerate(FIGURES)
    }
    want.update({f"{folder}/source.yaml": lines for folder, _, lines in SOURCES})
    label.update({f"{folder}/source.yaml": f"{folder}/source.yaml {change}" for folder, change, _ in SOURCES})
    assert not _wrong(issues, want, label), _wrong(issues, want, label)
    assert set(issues) <= set(want), sorted(set(issues) - set(want))  # no problem outside the cases
