"""derive: the derived figures of raw/<source_id>/derived.csv, computed from printed figures.

Each formula (schemas/vocab/formula.csv) on hand-picked inputs, with the value, expression,
n and tolerance worked out by hand; and every problem a derived.csv row can have, with the
whole line it renders.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from figure_records import figure

from ketamine_ssri_evidence.derived_figures import compute, derived_figures, tolerance
from ketamine_ssri_evidence.issues import Issue

FIGURES = [
    figure("x/001", "11.27%", value=11.27, measure="discontinuation_rate", n=85),
    figure("x/002", "Three", value=3, unit="{patient}", measure="discontinuation_count", note="Three stopped early."),
    figure("x/003", "85", value=85, unit="{patient}", measure="sample_size"),
    figure("x/004", "17", value=17, unit="{patient}", measure="discontinuation_count"),
    figure("x/005", "72%", value=72, comparator="ssri", timepoint="P6M", timepoint_anchor="treatment_start"),
    figure("x/006", "40.5%", value=40.5, treatment="ssri"),
    figure("x/007", "30–40%", "range", low=30, high=40),
    figure("x/008", "about 20%", "approx", 20),
    figure("x/009", "up to 9%", "up_to", 9),
    figure("x/010", "0", value=0, unit="{patient}", measure="sample_size"),
    figure("x/011", "2 weeks", value=2, unit="wk", measure="onset_time"),
    figure("x/012", "6 weeks", value=6, unit="wk", measure="treatment_duration"),
    figure("x/013", "3–5 patients", "range", low=3, high=5, unit="{patient}", measure="discontinuation_count"),
    figure("x/014", "One", value=1, unit="{patient}", measure="discontinuation_count"),
    figure("x/015", "8", value=8, unit="{patient}", measure="sample_size"),
    figure("x/016", "32", value=32, unit="{patient}", measure="sample_size"),
    figure("x/017", "$15,000.50", value=15000.5, unit="USD", measure="cost_per_course"),
    figure("x/018", "$2,500", value=2500, unit="USD", measure="cost_per_course"),
    figure("x/019", "$15,000", value=15000, unit="USD", measure="cost_per_course"),
    figure("z/001", "50%", value=50),
]
BY_ID = {f["figure_id"]: f for f in FIGURES}


def _in(*ids: str) -> list[dict]:
    return [BY_ID[i] for i in ids]


# ---------------------------------------------------------------- the formulas


@pytest.mark.parametrize(
    "formula,inputs,want",
    [
        ("complement", ["x/001"], (100 - 11.27, "%", "100% − 11.27% = 88.73%", 85, 0.005)),
        ("complement", ["x/008"], (80, "%", "100% − about 20% = 80%", None, 0.5)),  # a hedged point counts
        ("count_over_n", ["x/002", "x/003"], (3 / 85 * 100, "%", "Three / 85 × 100 ≈ 3.529%", 85, 0.0)),
        ("count_over_n", ["x/004", "x/003"], (20, "%", "17 / 85 × 100 = 20%", 85, 0.0)),
        ("difference", ["x/005", "x/006"], (31.5, "%", "72% − 40.5% = 31.5 %", None, 0.55)),
        ("difference", ["x/006", "x/005"], (-31.5, "%", "40.5% − 72% = -31.5 %", None, 0.55)),
        ("difference", ["x/012", "x/011"], (4, "wk", "6 weeks − 2 weeks = 4 wk", None, 1.0)),
        ("count_over_n", ["x/014", "x/015"], (12.5, "%", "One / 8 × 100 = 12.5%", 8, 0.0)),  # two decimals: exact
        ("count_over_n", ["x/014", "x/016"], (3.125, "%", "One / 32 × 100 ≈ 3.125%", 32, 0.0)),  # three: rounded
        ("difference", ["x/019", "x/018"], (12500, "USD", "$15,000 − $2,500 = 12500 USD", None, 1.0)),
        ("difference", ["x/017", "x/018"], (12500.5, "USD", "$15,000.50 − $2,500 = 12500.5 USD", None, 0.505)),
    ],
)
def test_a_formula_gives_value_unit_expression_n_and_tolerance(formula, inputs, want):
    res = compute(formula, _in(*inputs))
    assert not isinstance(res, str), res
    value, unit, expression, n, tol = res
    assert (value, tol) == pytest.approx((want[0], want[4]), abs=1e-12)
    assert (unit, expression, n) == want[1:4]


@pytest.mark.parametrize(
    "formula,inputs,why",
    [
        ("complement", ["x/003"], "complement needs one printed share in % with a point value; x/003 is '85'"),
        ("complement", ["x/007"], "complement needs one printed share in % with a point value; x/007 is '30–40%'"),
        ("complement", ["x/009"], "complement needs one printed share in % with a point value; x/009 is 'up to 9%'"),
        (
            "count_over_n",
            ["x/001", "x/003"],
            "count_over_n needs a count and a number of patients, both printed as "
            "points; x/001 is '11.27%', x/003 is '85'",
        ),
        (
            "count_over_n",
            ["x/002", "x/011"],
            "count_over_n needs a count and a number of patients, both printed as "
            "points; x/002 is 'Three', x/011 is '2 weeks'",
        ),
        (
            "count_over_n",
            ["x/002", "x/010"],
            "count_over_n needs a count and a number of patients, both printed as "
            "points; x/002 is 'Three', x/010 is '0'",
        ),
        (
            "count_over_n",
            ["x/013", "x/003"],
            "count_over_n needs a count and a number of patients, both printed as "
            "points; x/013 is '3–5 patients', x/003 is '85'",
        ),
        (
            "count_over_n",
            ["x/002", "x/009"],
            "count_over_n needs a count and a number of patients, both printed as "
            "points; x/002 is 'Three', x/009 is 'up to 9%'",
        ),
        (
            "difference",
            ["x/005", "x/011"],
            "difference needs two point values in the same unit; x/005 and x/011 are not",
        ),
        (
            "difference",
            ["x/007", "x/005"],
            "difference needs two point values in the same unit; x/007 and x/005 are not",
        ),
        (
            "difference",
            ["x/005", "x/009"],
            "difference needs two point values in the same unit; x/005 and x/009 are not",
        ),
    ],
)
def test_a_formula_that_cannot_be_computed_says_why(formula, inputs, why):
    assert compute(formula, _in(*inputs)) == why


def test_a_derived_figure_inherits_the_rounding_of_its_inputs():
    assert tolerance({"formula": "complement", "inputs": "x/001"}, BY_ID) == 0.005
    assert tolerance({"formula": "difference", "inputs": "x/005; x/006"}, BY_ID) == pytest.approx(0.55)
    assert tolerance({"formula": "count_over_n", "inputs": "x/002; x/003"}, BY_ID) == 0.0
    assert tolerance({"formula": "complement", "inputs": "x/007"}, BY_ID) == 0.0  # no longer computable


def test_without_a_list_for_problems_or_a_folder():
    raw = Path(__file__).resolve().parent.parent / "raw"
    issues: list[Issue] = []
    assert derived_figures([], issues=issues) == []  # the project's raw/: no figure given, every input unknown
    assert {i.path for i in issues} == {f"{p.parent.name}/derived.csv" for p in raw.glob("*/derived.csv")}
    assert {i.code for i in issues} == {"derived-input"}
    assert derived_figures(FIGURES, raw) == []  # problems without a list to collect them: none raised


# ---------------------------------------------------------------- derived.csv

COLUMNS = [
    "derived_id",
    "formula",
    "inputs",
    "measure",
    "comparator",
    "event",
    "subgroup",
    "timepoint",
    "timepoint_sessions",
    "note",
    "timepoint_anchor",
]
ROWS: list[tuple[list[str], list[str]]] = [  # (row, its problems rendered without "x/derived.csv:<line>: ")
    (["x/d01", "complement", "x/001", "completion_rate", "", "", "", "", "", "Completers."], []),
    (["x/d02", "count_over_n", "x/002; x/003", "discontinuation_rate", "", "", "", "", "", ""], []),
    (["x/d03", "difference", " x/005 ;x/006; ", "rate_difference", "", "", "completers", "P12M", "3", ""], []),
    (
        ["y/d04", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: y/d04: must be x/d<nn> [pattern]"],
    ),
    (
        ["x/e04", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: x/e04: must be x/d<nn> [pattern]"],
    ),
    (
        ["x/d", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: x/d: must be x/d<nn> [pattern]"],
    ),
    (
        ["x/d4a", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: x/d4a: must be x/d<nn> [pattern]"],
    ),
    (
        ["", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ['derived_id: "": must be x/d<nn> [pattern]'],
    ),
    (
        ["x/d01", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: x/d01: this derived_id is used twice [duplicate-id]"],
    ),
    (
        ["x/d05", "sum", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["formula: sum: not a code of schemas/vocab/formula.csv [unknown-code]"],
    ),
    (
        ["x/d06", "complement", "x/001; x/002", "completion_rate", "", "", "", "", "", ""],
        ["inputs: x/001; x/002: complement takes 1 input figure(s); 2 given [derived-input]"],
    ),
    (
        ["x/d07", "difference", " ; ", "rate_difference", "", "", "", "", "", ""],
        ["inputs:  ; : difference takes 2 input figure(s); 0 given [derived-input]"],
    ),
    (
        ["x/d08", "difference", "x/404; z/001", "rate_difference", "", "", "", "", "", ""],
        ["inputs: x/404; z/001: not a figure of x [derived-input]"],
    ),
    (
        ["x/d09", "difference", "x/005; z/001", "rate_difference", "", "", "", "", "", ""],
        ["inputs: z/001: not a figure of x [derived-input]"],
    ),
    (
        ["x/d10", "complement", "x/003", "completion_rate", "", "", "", "", "", ""],
        [
            "formula: complement: complement needs one printed share in % with a point value; x/003 is '85' "
            "[derived-formula]"
        ],
    ),
    (
        ["x/d11", "complement", "x/001", "completion_rate", "", "nausia", "", "", "", ""],
        ["event: nausia: not a code of schemas/vocab/event.csv [unknown-code]"],
    ),
    (
        ["x/d12", "complement", "x/001", "completion_rate", "", "", "", "6 months", "", ""],
        ["timepoint: 6 months: not an ISO 8601 duration such as P6M, P2W, P1D or PT24H [type]"],
    ),
    (
        ["x/d13", "complement", "x/001", "completion_rate", "", "", "", "", "3.5", ""],
        ["timepoint_sessions: 3.5: not a whole number [type]"],
    ),
    (  # a whole number below the field's minimum (sessions are never negative)
        ["x/d19", "complement", "x/001", "completion_rate", "", "", "", "", "-3", ""],
        ["timepoint_sessions: -3: must be at least 0 [minimum]"],
    ),
    (
        ["x/d14", "complement", "x/001", "completion_rate", "", "nausia", "", "6 months", "", ""],
        [
            "event: nausia: not a code of schemas/vocab/event.csv [unknown-code]",
            "timepoint: 6 months: not an ISO 8601 duration such as P6M, P2W, P1D or PT24H [type]",
        ],
    ),
    (
        ["x/d15", "complement", "x/001", "sample_size", "", "", "", "", "", ""],
        ["measure: sample_size: a complement gives %, which does not fit count [unit-dimension]"],
    ),
    (
        ["x/d16", "complement", "x/001", "completion_ratio", "", "", "", "", "", ""],
        ["measure: completion_ratio: not a code of schemas/vocab/measure.csv [unknown-code]"],
    ),
    (
        ["x/da1", "complement", "x/001", "completion_rate", "", "", "", "", "", ""],
        ["derived_id: x/da1: must be x/d<nn> [pattern]"],
    ),
    (
        ["x/d17", "complement", "x/001", "completion_rate", "", "", "", "6 months", "3.5", "", "start"],
        [
            "timepoint: 6 months: not an ISO 8601 duration such as P6M, P2W, P1D or PT24H [type]",
            "timepoint_sessions: 3.5: not a whole number [type]",
            "timepoint_anchor: start: not a code of schemas/vocab/timepoint_anchor.csv [unknown-code]",
        ],
    ),
    (["x/d18", "difference", "x/012; x/011", "treatment_duration", "", "", "", "", "", ""], []),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def derived(tmp_path_factory) -> tuple[list[dict], list[Issue]]:
    raw = tmp_path_factory.mktemp("derived")
    _write(raw / "x" / "derived.csv", COLUMNS, [r + [""] * (len(COLUMNS) - len(r)) for r, _ in ROWS])
    _write(
        raw / "u" / "derived.csv",
        ["derived_id", "formula", "inputs", "measure", "value", "source_id", "value_canonical", "unit", "n"],
        [["u/d01"] * 9],
    )
    (raw / "c").mkdir()
    (raw / "c" / "derived.csv").write_bytes(
        b"derived_id,formula,inputs,measure\r\nc/d01,complement,c/001,completion_rate\r\n"
    )
    _write(raw / "m" / "derived.csv", ["derived_id", "formula", "inputs"], [["m/d01", "complement", "m/001"]])
    (raw / "n").mkdir()  # a source without derived figures
    issues: list[Issue] = []
    return derived_figures(FIGURES, raw, issues), issues


# One test over the whole folder (not one per case): mutation testing credits a function only
# to the test that first runs it, which for a fixture shared by several tests is the first one.
def test_derived_rows_and_problems(derived):
    rows, issues = derived
    got = {n: [i.render() for i in issues if i.path == "x/derived.csv" and i.line == n + 2] for n in range(len(ROWS))}
    want = {n: [f"x/derived.csv:{n + 2}: {line}" for line in ROWS[n][1]] for n in range(len(ROWS))}
    wrong = [f"row {n + 1} {ROWS[n][0]}:\n  got  {got[n]}\n  want {want[n]}" for n in got if got[n] != want[n]]
    assert not wrong, "\n".join(wrong)
    assert len([i for i in issues if i.path == "x/derived.csv"]) == sum(len(r[1]) for r in ROWS)
    # a problem of the header stops the file
    assert sorted(i.render() for i in issues if i.path not in ("x/derived.csv", "c/derived.csv")) == [
        'm/derived.csv:1: measure: "": derived.csv needs this column [missing-column]',
        "u/derived.csv:1: n: n: derived.csv does not know this column [unknown-column]",
        "u/derived.csv:1: source_id: source_id: derived.csv does not know this column [unknown-column]",
        "u/derived.csv:1: unit: unit: derived.csv does not know this column [unknown-column]",
        "u/derived.csv:1: value: value: derived.csv does not know this column [unknown-column]",
        "u/derived.csv:1: value_canonical: value_canonical: derived.csv does not know this column [unknown-column]",
    ]
    assert [(i.path, i.code) for i in issues if i.path == "c/derived.csv"] == [("c/derived.csv", "crlf")]
    assert [r["derived_id"] for r in rows] == ["x/d01", "x/d02", "x/d03", "x/d18"]
    d01, d02, d03, d18 = rows
    assert (d18["value"], d18["unit"], d18["value_canonical"]) == (4.0, "wk", 28.0)  # in days
    common = {
        "source_id": "x",
        "event": None,
        "route": "unspecified",
        "population": "trd",
        "timepoint_end": None,
        "timepoint_sessions_end": None,
        "qualifier": "exact",
    }
    assert d01 == dict(
        common,
        derived_id="x/d01",
        formula="complement",
        inputs="x/001",
        expression="100% − 11.27% = 88.73%",
        value=88.73,
        unit="%",
        n=85,
        note="Completers.",
        _tol=0.005,
        measure="completion_rate",
        treatment="ketamine",
        comparator=None,
        subgroup=None,
        timepoint=None,
        timepoint_sessions=None,
        timepoint_anchor=None,
        value_canonical=88.73,
    )
    assert d02 == dict(
        common,
        derived_id="x/d02",
        formula="count_over_n",
        inputs="x/002; x/003",
        expression="Three / 85 × 100 ≈ 3.529%",
        value=3.52941176471,
        unit="%",
        n=85,
        note=None,
        _tol=0.0,
        measure="discontinuation_rate",
        treatment="ketamine",
        comparator=None,
        subgroup=None,
        timepoint=None,
        timepoint_sessions=None,
        timepoint_anchor=None,
        value_canonical=3.52941176471,
    )
    # coded fields given in derived.csv replace those of the first input; the others are the first input's
    assert d03 == dict(
        common,
        derived_id="x/d03",
        formula="difference",
        inputs="x/005; x/006",
        expression="72% − 40.5% = 31.5 %",
        value=31.5,
        unit="%",
        n=None,
        note=None,
        _tol=pytest.approx(0.55),
        measure="rate_difference",
        treatment="ketamine",
        comparator="ssri",
        subgroup="completers",
        timepoint="P12M",
        timepoint_sessions=3,
        timepoint_anchor="treatment_start",
        value_canonical=31.5,
    )
