"""contradictions: every rule, with the whole row it writes (reason, key and members included).

The figures are one source's (``s``); each expected row is written out by hand from
schemas/comparison.json (``contradiction_rules``) and docs/verdict-rules.md: which two
figures it names (the extremes of the group, the lower figure_id among equals), in which
order, and the reason's numbers in each figure's own unit.
"""

from __future__ import annotations

import pytest
from figure_records import figure, forget_memos

from ketamine_ssri_evidence.contradictions import contradictions

KEY = "measure=remission_rate; treatment=ketamine; route=unspecified; population=trd"
ONSET = "measure=onset_time; treatment=ketamine; route=unspecified; population=trd"


@pytest.fixture(autouse=True)
def _fresh_memos():
    forget_memos()


def f(n: int, text: str, qualifier: str = "exact", value=None, low=None, high=None, **kw) -> dict:
    return figure(f"s/{n:03d}", text, qualifier, value, low, high, locator=f"Paragraph {n}", **kw)


WK = {"unit": "wk", "measure": "onset_time"}


def wk(n: int, text: str, low: float, high: float, qualifier: str = "range", **kw) -> dict:
    return f(n, text, qualifier, low=low, high=high, unit="wk", measure="onset_time", **kw)


def row(
    a: dict, b: dict, severity: str, rule: str, key: str, members: str, size: int, reason: str, wild: str | None = None
) -> dict:
    return {
        "figure_id_a": a["figure_id"],
        "figure_id_b": b["figure_id"],
        "source_id": "s",
        "measure": a["measure"],
        "severity": severity,
        "rule": rule,
        "value_text_a": a["value_text"],
        "value_text_b": b["value_text"],
        "locator_a": a["locator"],
        "locator_b": b["locator"],
        "key": key,
        "group_size": size,
        "members": members,
        "unspecified_matches": wild,
        "reason": reason,
    }


# ---------------------------------------------------------------- within a group


def test_values_that_cannot_both_be_true():
    a, b = f(1, "72%", value=72), f(2, "70%", value=70)
    assert contradictions([a, b]) == [
        row(
            b,
            a,
            "conflict",
            "values_conflict",
            KEY,
            "70%: s/002 | 72%: s/001",
            2,
            f"'70%' (s/002) and '72%' (s/001) are about the same thing ({KEY}) and cannot both be true: the first allows "
            "at most 70.5 %, the second at least 71.5 % (after rounding and qualifiers).",
        )
    ]


def test_the_reason_gives_each_bound_in_its_figures_own_unit():
    hours = f(1, "within 2 hours", "at_most", 2, unit="h", measure="onset_time")
    days = f(2, "3 days", value=3, unit="d", measure="onset_time")
    (got,) = contradictions([days, hours])
    assert got["reason"] == (
        f"'within 2 hours' (s/001) and '3 days' (s/002) are about the same thing ({ONSET}) and "
        "cannot both be true: the first allows at most 2.5 h, the second at least 2.5 d (after "
        "rounding and qualifiers)."
    )
    similar = f(1, "similar", "qualitative", unit=None, measure="relative_ratio", comparator="ssri")
    thrice = f(2, "three times", value=3, unit="1", measure="relative_ratio", comparator="ssri")
    (got,) = contradictions([similar, thrice])
    assert got["reason"].endswith(
        "the first allows at most 1.25, the second at least 2.5 (after rounding and qualifiers)."
    )
    assert (
        got["key"] == "measure=relative_ratio; comparator=ssri; treatment=ketamine; route=unspecified; population=trd"
    )


def test_a_group_names_its_extremes_the_lowest_ids_among_equals_and_all_its_members():
    figs = [
        f(4, "about 40%", "approx", 40),
        f(3, "20%", value=20),
        f(5, "72%", value=72),
        f(2, "72%", value=72),
        f(1, "20%", value=20),
    ]
    (got,) = contradictions(figs)
    assert got == row(
        figs[4],
        figs[3],
        "conflict",
        "values_conflict",
        KEY,
        "20%: s/001, s/003 | about 40%: s/004 | 72%: s/002, s/005",
        5,
        f"'20%' (s/001) and '72%' (s/002) are about the same thing ({KEY}) and cannot both be true: the "
        "first allows at most 20.5 %, the second at least 71.5 % (after rounding and qualifiers).",
    )


@pytest.mark.parametrize(
    "figs",
    [
        [f(1, "70%", value=70), f(2, "71%", value=71)],  # 70.5 and 70.5 meet
        [f(1, "72%", value=72)],  # alone
        [f(1, "72%", value=72), f(2, "20%", value=20, source_id="t")],  # another source
        [f(1, "72%", value=72), f(2, "20%", value=20, treatment="ssri")],  # another key
        [
            f(1, "72%", value=72, timepoint="P6M", timepoint_anchor="treatment_start"),
            f(2, "20%", value=20, timepoint="P6M", timepoint_end="P12M", timepoint_anchor="treatment_start"),
        ],
        [f(1, "most", "qualitative", unit=None), f(2, "20%", value=20)],  # no number
        [wk(1, "2–6 weeks", 2, 6), wk(2, "2 to 6 weeks", 2, 6)],  # the same range
        [wk(1, "2–6 weeks", 2, 6), wk(2, "4–8 weeks", 4, 8)],  # ranges that overlap
        [wk(1, "about 2–6 weeks", 2, 6, qualifier="approx_range"), wk(2, "6–8 weeks", 6, 8)],
        [f(1, "up to 72%", "up_to", 72), f(2, "Up to 71%", "up_to", 71)],  # ceilings within rounding
        [f(1, "up to 72%", "up_to", 72), f(2, "40%", value=40)],  # a value under a ceiling
    ],
)
def test_no_contradiction(figs):
    assert contradictions(figs) == []


@pytest.mark.parametrize(
    "a,b",
    [
        (dict(timepoint="P6M"), dict(timepoint="P6M", timepoint_end="P6M")),  # a single time-point is its own end
        (dict(timepoint="P12M"), dict(timepoint="P1Y")),  # the same days
        (dict(route="unspecified", subgroup=""), dict(route="unspecified", subgroup=None)),
    ],
)
def test_equal_keys_written_otherwise_are_one_group(a, b):
    x, y = f(1, "72%", value=72, timepoint_anchor="treatment_start", **a), f(2, "20%", value=20, **b)
    assert [r["rule"] for r in contradictions([x, y])] == ["values_conflict"]
    y = f(0, "20%", value=20, **b)  # the key is written as the group's first figure writes it
    (got,) = contradictions([x, y])
    assert got["key"] == "; ".join(
        f"{k}={y[k]}"
        for k in ("measure", "treatment", "route", "population", "subgroup", "timepoint", "timepoint_end")
        if y[k]
    )


@pytest.mark.parametrize(
    "a,b",
    [
        (dict(timepoint="P6M", timepoint_end=""), dict(timepoint="P6M")),
        (dict(comparator=""), dict(comparator=None)),
        (dict(event=""), dict(event=None)),
    ],
)
def test_an_empty_cell_is_no_value(a, b):
    x, y = f(1, "72%", value=72, timepoint_anchor="treatment_start", **a), f(2, "20%", value=20, **b)
    assert [r["rule"] for r in contradictions([x, y])] == ["values_conflict"]


def test_a_figure_without_a_number_leaves_the_others_grouped():
    got = contradictions([f(1, "most", "qualitative", unit=None), f(2, "72%", value=72), f(3, "20%", value=20)])
    assert [(r["figure_id_a"], r["figure_id_b"]) for r in got] == [("s/003", "s/002")]


def test_ranges_that_share_only_an_endpoint():
    figs = [
        wk(3, "2 to 6 weeks", 2, 6),
        wk(1, "2–6 weeks", 2, 6),
        wk(4, "6–8 weeks", 6, 8),
        wk(2, "6 to 8 weeks", 6, 8),
    ]
    assert contradictions(figs) == [
        row(
            figs[1],
            figs[3],
            "conflict",
            "ranges_share_endpoint",
            ONSET,
            "2 to 6 weeks: s/003 | 2–6 weeks: s/001 | 6 to 8 weeks: s/002 | 6–8 weeks: s/004",
            4,
            f"'2–6 weeks' (s/001) and '6 to 8 weeks' (s/002) give different ranges for the same thing ({ONSET}) that "
            "meet at most at one endpoint: they cannot both describe it.",
        )
    ]
    assert contradictions([wk(1, "2–5 weeks", 2, 5), wk(2, "6–8 weeks", 6, 8)])[0]["rule"] == "ranges_share_endpoint"


def test_two_ceilings_that_differ():
    (got,) = contradictions([f(1, "Up to 72%", "up_to", 72), f(2, "up to 70%", "up_to", 70)])
    assert (got["rule"], got["figure_id_a"], got["figure_id_b"]) == ("ceilings_differ", "s/002", "s/001")


def test_ceilings_that_differ():
    figs = [
        f(3, "up to 72%", "up_to", 72),
        f(4, "Up to 70%", "up_to", 70),
        f(1, "Up to 72%", "up_to", 72),
        f(2, "up to 70%", "up_to", 70),
        f(5, "60%", value=60),
    ]
    assert contradictions(figs) == [
        row(
            figs[3],
            figs[2],
            "tension",
            "ceilings_differ",
            KEY,
            "60%: s/005 | Up to 70%: s/004 | up to 70%: s/002 | Up to 72%: s/001 | up to 72%: s/003",
            5,
            f"'up to 70%' (s/002) and 'Up to 72%' (s/001) give different ceilings for the same thing ({KEY}): at most "
            "one of them is the ceiling.",
        )
    ]


def test_a_conflict_is_named_before_other_disagreements():
    got = contradictions([wk(1, "2–6 weeks", 2, 6), wk(2, "6–8 weeks", 6, 8), wk(3, "10–12 weeks", 10, 12)])
    assert [(r["rule"], r["figure_id_a"], r["figure_id_b"]) for r in got] == [("values_conflict", "s/001", "s/003")]
    got = contradictions(
        [
            wk(1, "2–6 weeks", 2, 6),
            wk(2, "6–8 weeks", 6, 8),
            f(3, "up to 6 weeks", "up_to", 6, unit="wk", measure="onset_time"),
            f(4, "up to 8 weeks", "up_to", 8, unit="wk", measure="onset_time"),
        ]
    )
    assert [r["rule"] for r in got] == ["ranges_share_endpoint"]


# ---------------------------------------------------------------- between groups linked through an unspecified field


def test_a_possible_conflict_through_an_unspecified_population():
    vague, stated = f(1, "72%", value=72, population="unspecified"), f(2, "20%", value=20)
    assert contradictions([vague, stated]) == [
        row(
            stated,
            vague,
            "possible",
            "unspecified_only",
            "measure=remission_rate; treatment=ketamine; route=unspecified",
            "20%: s/002 | 72%: s/001",
            2,
            "'20%' (s/002) and '72%' (s/001) would conflict if they were about the same population; one of them leaves "
            "it unspecified, so they may simply be about different things (not counted as a contradiction).",
            "population (b unspecified; other: trd)",
        )
    ]
    vague, stated = f(1, "20%", value=20, population="unspecified"), f(2, "72%", value=72)
    (got,) = contradictions([vague, stated])
    assert (got["figure_id_a"], got["figure_id_b"], got["unspecified_matches"], got["members"]) == (
        "s/001",
        "s/002",
        "population (a unspecified; other: trd)",
        "20%: s/001 | 72%: s/002",
    )


def test_a_possible_conflict_through_an_unspecified_time_point():
    vague = f(1, "72%", value=72)
    single = f(2, "20%", value=20, timepoint="P6M", timepoint_anchor="treatment_start")
    window = f(3, "20%", value=20, timepoint="P6M", timepoint_end="P12M", timepoint_anchor="treatment_start")
    (got,) = contradictions([vague, single])
    assert (got["unspecified_matches"], got["key"]) == ("timepoint (b unspecified; other: P6M)", KEY)
    assert " if they were about the same timepoint; " in got["reason"]
    (got,) = contradictions([vague, window])
    assert got["unspecified_matches"] == (
        "timepoint (b unspecified; other: P6M); timepoint_end (b unspecified; other: P12M)"
    )
    assert " if they were about the same timepoint, timepoint_end; " in got["reason"]


def test_two_groups_each_with_a_gap_give_one_row():
    oral = f(1, "72%", value=72, route="oral", population="unspecified")
    trd = f(2, "20%", value=20, route="unspecified", population="trd")
    (got,) = contradictions([oral, trd])
    assert (got["figure_id_a"], got["figure_id_b"], got["key"]) == (
        "s/002",
        "s/001",
        "measure=remission_rate; treatment=ketamine",
    )
    assert got["unspecified_matches"] == "route (a unspecified; other: oral); population (b unspecified; other: trd)"
    assert " if they were about the same route, population; " in got["reason"]


def test_a_group_that_states_every_field_is_found_from_the_other_side():
    every: dict = dict(
        route="iv", subgroup="completers", timepoint="P6M", timepoint_sessions=3, timepoint_anchor="treatment_start"
    )
    full, gap = f(1, "72%", value=72, **every), f(2, "20%", value=20, **dict(every, population="unspecified"))
    (got,) = contradictions([full, gap])
    assert (got["figure_id_a"], got["figure_id_b"], got["unspecified_matches"]) == (
        "s/002",
        "s/001",
        "population (a unspecified; other: trd)",
    )
    assert got["key"] == (
        "measure=remission_rate; treatment=ketamine; route=iv; subgroup=completers; timepoint=P6M; timepoint_sessions=3"
    )


def test_a_window_and_an_unspecified_time_point():
    window = f(1, "20%", value=20, timepoint="P6M", timepoint_end="P12M", timepoint_anchor="treatment_start")
    (got,) = contradictions([window, f(2, "72%", value=72)])
    assert got["unspecified_matches"] == (
        "timepoint (b unspecified; other: P6M); timepoint_end (b unspecified; other: P12M)"
    )


def test_every_field_that_links_two_groups_is_named():
    both = f(2, "20%", value=20, timepoint="P6M", timepoint_sessions=3, timepoint_anchor="treatment_start")
    (got,) = contradictions([f(1, "72%", value=72), both])
    assert got["unspecified_matches"] == (
        "timepoint (b unspecified; other: P6M); timepoint_sessions (b unspecified; other: 3)"
    )
    assert " if they were about the same timepoint, timepoint_sessions; " in got["reason"]


def test_a_time_point_of_zero_sessions_is_stated():
    zero = f(2, "20%", value=20, timepoint_sessions=0, timepoint_anchor="treatment_start")
    (got,) = contradictions([f(1, "72%", value=72), zero])
    assert (got["rule"], got["unspecified_matches"].split(";")[0]) == (
        "unspecified_only",
        "timepoint_sessions (b unspecified",
    )


def test_possible_rows_stay_within_a_source():
    assert contradictions([f(1, "72%", value=72, population="unspecified"), figure("t/002", "20%", value=20)]) == []


def test_a_possible_row_between_groups_that_state_event_and_comparator():
    kw = dict(measure="adverse_effect_rate", event="nausea", comparator="placebo")
    (got,) = contradictions([f(1, "72%", value=72, population="unspecified", **kw), f(2, "20%", value=20, **kw)])
    assert (got["rule"], got["figure_id_a"], got["figure_id_b"]) == ("unspecified_only", "s/002", "s/001")


def test_every_pair_of_linked_groups_is_examined():
    figs = [
        f(1, "72%", value=72),
        f(2, "20%", value=20, population="unspecified"),
        f(3, "72%", value=72, population="mdd"),
    ]
    got = contradictions(figs)
    assert sorted((r["figure_id_a"], r["figure_id_b"]) for r in got) == [("s/002", "s/001"), ("s/002", "s/003")]


@pytest.mark.parametrize(
    "vague,stated",
    [
        (f(1, "up to 47%", "up_to", 47, population="unspecified"), f(2, "40%", value=40)),
        (f(1, "40%", value=40, population="unspecified"), f(2, "up to 47%", "up_to", 47)),
        (wk(1, "2–6 weeks", 2, 6, population="unspecified"), f(2, "4 weeks", value=4, **WK)),
        (f(1, "4 weeks", value=4, population="unspecified", **WK), wk(2, "2–6 weeks", 2, 6)),
    ],
)
def test_a_ceiling_or_a_range_and_a_value_within_it_across_groups(vague, stated):
    assert contradictions([vague, stated]) == []


def test_groups_whose_stated_fields_differ_are_not_linked():
    assert (
        contradictions(
            [f(1, "72%", value=72, route="iv", population="unspecified"), f(2, "20%", value=20, route="oral")]
        )
        == []
    )
    assert contradictions([f(1, "72%", value=72, population="unspecified"), f(2, "71%", value=71)]) == []


@pytest.mark.parametrize(
    "vague,stated,a,b,kind,wild",
    [
        (
            wk(1, "2–6 weeks", 2, 6, population="unspecified"),
            wk(2, "6 to 8 weeks", 6, 8),
            "s/001",
            "s/002",
            "would be different ranges meeting at most at one endpoint",
            "population (a unspecified; other: trd)",
        ),
        (
            wk(1, "6 to 8 weeks", 6, 8, population="unspecified"),
            wk(2, "2–6 weeks", 2, 6),
            "s/002",
            "s/001",
            "would be different ranges meeting at most at one endpoint",
            "population (b unspecified; other: trd)",
        ),
        (
            f(1, "up to 47%", "up_to", 47, population="unspecified"),
            f(2, "Up to 40%", "up_to", 40),
            "s/002",
            "s/001",
            "would give different ceilings",
            "population (b unspecified; other: trd)",
        ),
        (
            f(1, "up to 40%", "up_to", 40, population="unspecified"),
            f(2, "Up to 47%", "up_to", 47),
            "s/001",
            "s/002",
            "would give different ceilings",
            "population (a unspecified; other: trd)",
        ),
    ],
)
def test_a_possible_row_says_which_disagreement_it_would_be(vague, stated, a, b, kind, wild):
    (got,) = contradictions([vague, stated])
    assert (got["severity"], got["rule"], got["figure_id_a"], got["figure_id_b"]) == (
        "possible",
        "unspecified_only",
        a,
        b,
    )
    assert got["reason"].startswith(
        f"'{got['value_text_a']}' ({a}) and '{got['value_text_b']}' ({b}) {kind} if they "
        "were about the same population; "
    )
    assert got["unspecified_matches"] == wild


def test_a_possible_row_names_the_lowest_ids_among_equals():
    figs = [
        wk(1, "2–6 weeks", 2, 6, population="unspecified"),
        wk(3, "2 to 6 weeks", 2, 6, population="unspecified"),
        wk(2, "6 to 8 weeks", 6, 8),
        wk(4, "6–8 weeks", 6, 8),
    ]
    (got,) = contradictions(figs)
    assert (got["figure_id_a"], got["figure_id_b"], got["group_size"]) == ("s/001", "s/002", 4)
    figs = [
        f(1, "up to 40%", "up_to", 40, population="unspecified"),
        f(3, "Up to 40%", "up_to", 40, population="unspecified"),
        f(2, "up to 47%", "up_to", 47),
        f(4, "Up to 47%", "up_to", 47),
    ]
    (got,) = contradictions(figs)
    assert (got["figure_id_a"], got["figure_id_b"]) == ("s/001", "s/002")
    figs = [
        f(1, "20%", value=20, population="unspecified"),
        f(3, "20 %", value=20, population="unspecified"),
        f(2, "72%", value=72),
        f(4, "72 %", value=72),
    ]
    (got,) = contradictions(figs)
    assert (got["figure_id_a"], got["figure_id_b"]) == ("s/001", "s/002")


def test_between_groups_the_widest_ceiling_gap_is_named():
    figs = [
        f(1, "up to 40%", "up_to", 40, population="unspecified"),
        f(2, "up to 70%", "up_to", 70, population="unspecified"),
        f(3, "up to 50%", "up_to", 50),
    ]
    got = [r for r in contradictions(figs) if r["severity"] == "possible"]
    assert [(r["figure_id_a"], r["figure_id_b"]) for r in got] == [("s/003", "s/002")]
    figs = [
        f(1, "up to 40%", "up_to", 40, population="unspecified"),
        f(2, "up to 60%", "up_to", 60, population="unspecified"),
        f(3, "up to 50%", "up_to", 50),
    ]
    got = [r for r in contradictions(figs) if r["severity"] == "possible"]
    assert [(r["figure_id_a"], r["figure_id_b"]) for r in got] == [("s/001", "s/003")]  # the first of equal gaps
    figs = [f(1, "up to 45%", "up_to", 45, population="unspecified"), f(2, "up to 46%", "up_to", 46)]
    assert contradictions(figs) == []  # 1 point apart: within the two roundings
