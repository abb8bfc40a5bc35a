"""compare: the interval each figure allows, and how two figures' keys compare.

Every expected span is worked out by hand from schemas/comparison.json (half a unit of the
last printed digit; 'about' widens to 10 % of the value; a bound is open on one side;
'similar' is the ratio 0.8-1.25) and the unit factors of schemas/vocab/unit.csv (a week is
7 days, a month 30.4375, an hour 1/24).
"""

from __future__ import annotations

import math

import pytest
from figure_records import figure

from ketamine_ssri_evidence.comparison import Span, fid, key_compare, key_text, overlap, shown, span

INF = math.inf


def _span(f) -> tuple:
    s = span(f)
    assert s is not None
    return s.lo, s.hi, s.head, s.tol, s.bound


def close(*xs):
    return pytest.approx(xs, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- printed numbers and rounding


@pytest.mark.parametrize(
    "f,want",
    [
        (figure("a/1", "33%", value=33), (32.5, 33.5, 33, 0.5)),
        (figure("a/1", "32.9%", value=32.9), (32.85, 32.95, 32.9, 0.05)),
        (
            figure("a/1", "1,200 patients", value=1200, unit="{patient}", measure="sample_size"),
            (1199.5, 1200.5, 1200, 0.5),
        ),
        (
            figure("a/1", "3 to 4.25 weeks", value=4.25, unit="wk", measure="onset_time"),  # the finest digit counts
            (4.245 * 7, 4.255 * 7, 4.25 * 7, 0.005 * 7),
        ),
        (figure("a/1", "Half", value=50), (49.5, 50.5, 50, 0.5)),  # a word fraction in %: 0.5 points
        (figure("a/1", "two-thirds", value=66.67), (66.17, 67.17, 66.67, 0.5)),
        (
            figure("a/1", "half", value=0.5, unit="1", measure="effect_size", comparator="ssri"),
            (0.495, 0.505, 0.5, 0.005),
        ),
        (
            figure(
                "a/1", "three months", value=3, unit="mo", measure="treatment_duration"
            ),  # a number word: a whole number
            (2.5 * 30.4375, 3.5 * 30.4375, 3 * 30.4375, 0.5 * 30.4375),
        ),
        (figure("a/1", "a day-long 2.5", value=2.5, unit="d", measure="session_duration"), (2.45, 2.55, 2.5, 0.05)),
    ],
)
def test_a_printed_number_stands_for_half_a_unit_of_its_last_digit(f, want):
    assert _span(f)[:4] == close(*want)
    assert _span(f)[4] is None


def test_a_figure_with_no_printed_number_allows_only_its_value():
    assert _span(figure("a/1", "several", value=3, unit="{session}", measure="session_count")) == (3, 3, 3, 0, None)


def test_a_derived_figure_carries_its_own_tolerance():
    d = {
        "derived_id": "s/d01",
        "source_id": "s",
        "expression": "100% − 11.27% = 88.73%",
        "value": 88.73,
        "unit": "%",
        "qualifier": "exact",
        "measure": "completion_rate",
        "_tol": 0.005,
    }
    assert _span(d)[:4] == close(88.725, 88.735, 88.73, 0.005)
    assert _span(dict(d, _tol=0.0))[:4] == close(88.73, 88.73, 88.73, 0.0)


# ---------------------------------------------------------------- hedges, ranges, bounds


@pytest.mark.parametrize(
    "f,want",
    [
        (figure("a/1", "about 30%", "approx", 30), (27, 33, 30, 3)),  # 10 % of the value
        (figure("a/1", "about 3%", "approx", 3), (2.5, 3.5, 3, 0.5)),  # its rounding is wider
        (
            figure("a/1", "about −0.52", "approx", -0.52, unit="1", measure="effect_size", comparator="ssri"),
            (-0.572, -0.468, -0.52, 0.052),
        ),  # 10 % of its size, below zero too
        (figure("a/1", "30–40%", "range", low=30, high=40), (29.5, 40.5, 35, 5.5)),
        (figure("a/1", "about 30–40%", "approx_range", low=30, high=40), (27, 44, 35, 9)),
        (
            figure("a/1", "about 1–2 weeks", "approx_range", low=1, high=2, unit="wk", measure="onset_time"),
            (3.5, 17.5, 10.5, 7),
        ),  # rounding wider than 10 %
        (
            figure("a/1", "about 10–20 days", "approx_range", low=10, high=20, unit="d", measure="onset_time"),
            (9, 22, 15, 7),
        ),  # 10 % wider than rounding
    ],
)
def test_hedges_and_ranges(f, want):
    assert _span(f)[:4] == close(*want)
    assert _span(f)[4] is None


@pytest.mark.parametrize(
    "f,want",
    [
        (figure("a/1", "Up to 72%", "up_to", 72), (-INF, 72.5, 72, 0.5, "up_to")),
        (
            figure("a/1", "within 6 hours", "at_most", 6, unit="h", measure="onset_time"),
            (-INF, 6.5 / 24, 6 / 24, 0.5 / 24, "at_most"),
        ),
        (figure("a/1", "more than two-thirds", "at_least", 66.67), (66.17, INF, 66.67, 0.5, "at_least")),
    ],
)
def test_a_bound_is_open_on_one_side(f, want):
    lo, hi, head, tol, bound = _span(f)
    assert (lo, hi, head, tol) == close(*want[:4]) and bound == want[4]


@pytest.mark.parametrize("text", ["similar", " Similar "])
def test_similar_stands_for_the_declared_ratio_interval(text):
    f = figure("a/1", text, "qualitative", unit=None, measure="relative_ratio", comparator="ssri")
    assert span(f) == Span(0.8, 1.25, 1.0, 0.25, None)


@pytest.mark.parametrize(
    "f",
    [
        figure("a/1", "comparable", "qualitative", unit=None, measure="relative_ratio", comparator="ssri"),
        figure("a/1", "similar", "qualitative", unit=None, measure="response_rate"),
        figure("a/1", "similar", "exact", unit="1", measure="relative_ratio", comparator="ssri"),
        figure("a/1", "most patients", "qualitative", unit="%"),
        figure(
            "a/1", "most patients", "qualitative", 50, unit="%"
        ),  # a qualitative figure has no interval, whatever it holds
        figure(
            "a/1", "description", "qualitative", unit=None, measure="relative_ratio"
        ),  # a key of the table, not a word
        figure("a/1", "72%", value=72, unit=None),
        figure("a/1", "72%"),
        figure("a/1", "30–40%", "range", low=30),
        figure("a/1", "30–40%", "range", high=40),
    ],
)
def test_figures_without_an_interval(f):
    assert span(f) is None


def test_a_range_is_read_from_its_ends():
    assert _span(figure("a/1", "30–40%", "range", value=None, low=30, high=40))[:3] == close(29.5, 40.5, 35)


def test_intervals_that_touch_overlap():
    a, b, c = Span(1, 2, 1.5, 0.5, None), Span(2, 3, 2.5, 0.5, None), Span(2.1, 3, 2.5, 0.4, None)
    assert overlap(a, b) and overlap(b, a)
    assert not overlap(a, c) and not overlap(c, a)


# ---------------------------------------------------------------- how a figure is shown


def test_a_figure_is_shown_by_its_text_and_id():
    f = figure("a/007", "Up to 72%", "up_to", 72)
    assert (shown(f), fid(f)) == ("'Up to 72%' (a/007)", "a/007")
    d = {"derived_id": "s/d01", "figure_id": None, "expression": "100% − 11.27% = 88.73%"}
    assert (shown(d), fid(d)) == ("[derived: 100% − 11.27% = 88.73%] (s/d01)", "s/d01")


def test_key_text_lists_the_stated_key_fields_in_key_order():
    f = figure("a/1", "33%", value=33, subgroup="", timepoint="P6M", timepoint_sessions=3)
    assert key_text(f) == (
        "measure=remission_rate; treatment=ketamine; route=unspecified; population=trd; "
        "timepoint=P6M; timepoint_sessions=3"
    )
    assert key_text(f, ["population", "timepoint", "event"]) == "population=trd; timepoint=P6M"
    assert key_text(f, []) == ""


# ---------------------------------------------------------------- key comparison


def _key(a: dict, b: dict) -> tuple[list[str], list[str]]:
    return key_compare(figure("a/1", "1%", value=1, **a), figure("a/2", "1%", value=1, **b))


@pytest.mark.parametrize(
    "a,b,diffs,wild",
    [
        ({}, {}, [], []),
        ({"treatment": "ketamine"}, {"treatment": "ssri"}, ["treatment: ketamine → ssri"], []),
        ({}, {"event": "nausea"}, ["event: ∅ → nausea"], []),
        ({"comparator": "ssri"}, {"comparator": ""}, ["comparator: ssri → ∅"], []),
        ({"route": "unspecified"}, {"route": "iv"}, [], ["route (a unspecified)"]),
        ({"route": "iv"}, {"route": "unspecified"}, [], ["route (b unspecified)"]),
        ({"route": "iv"}, {"route": "oral"}, ["route: iv → oral"], []),
        ({"population": "unspecified"}, {"population": "unspecified"}, [], []),
        ({"subgroup": ""}, {"subgroup": "completers"}, [], ["subgroup (a unspecified)"]),
        ({"subgroup": "completers"}, {"subgroup": None}, [], ["subgroup (b unspecified)"]),
        ({"timepoint": "P12M"}, {"timepoint": "P1Y"}, [], []),  # the same number of days
        ({"timepoint": "P6M"}, {"timepoint": "P12M"}, ["timepoint: P6M → P12M"], []),
        ({"timepoint": None}, {"timepoint": "P6M"}, [], ["timepoint (a unspecified)"]),
        # a single time-point is its own end: 6 months is not the window 6-12 months
        ({"timepoint": "P6M"}, {"timepoint": "P6M", "timepoint_end": "P12M"}, ["timepoint_end: P6M → P12M"], []),
        ({"timepoint": "P6M", "timepoint_end": ""}, {"timepoint": "P6M", "timepoint_end": "P6M"}, [], []),
        (
            {"timepoint": "P6M", "timepoint_end": ""},
            {"timepoint": "P6M", "timepoint_end": "P12M"},
            ["timepoint_end: P6M → P12M"],
            [],
        ),
        ({"timepoint_sessions": 6}, {"timepoint_sessions": 3}, ["timepoint_sessions: 6 → 3"], []),
        (
            {"timepoint_sessions": 1, "timepoint_sessions_end": 4},
            {"timepoint_sessions": 1},
            ["timepoint_sessions_end: 4 → 1"],
            [],
        ),
        (
            {"population": "unspecified", "treatment": "ssri"},
            {"population": "mdd", "route": "oral"},
            ["treatment: ssri → ketamine"],
            ["route (a unspecified)", "population (a unspecified)"],
        ),
    ],
)
def test_key_compare(a, b, diffs, wild):
    assert _key(a, b) == (diffs, wild)
