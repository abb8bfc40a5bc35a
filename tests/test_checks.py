"""claim_checks verdicts and the contradiction rule, on small hand-made figures."""

from __future__ import annotations

import pytest
from figure_records import numbered
from hypothesis import given, settings, strategies as st

from ketamine_ssri_evidence.claim_checks import check_claim, claim_checks
from ketamine_ssri_evidence.comparison import Span, key_compare, span
from ketamine_ssri_evidence.contradictions import contradictions


def fig(value_text, qualifier="exact", value=None, low=None, high=None, source="article", **kw):
    return numbered(value_text, qualifier, value, low, high, source=source, **kw)


STUDY = {"source_id": "study", "resolution": "public_text"}


def _span(f: dict) -> Span:
    s = span(f)
    assert s is not None, f"{f['value_text']} has no span"
    return s


def claim(a, study_figs, source=STUDY):
    a["attributed_to"] = "study"
    return check_claim(a, source, study_figs)


# ---------------------------------------------------------------- verdicts


def test_consistent_within_rounding():
    row = claim(fig("33%", value=33), [fig("32.9%", value=32.9, source="study")])
    assert (row["verdict"], row["rule"]) == ("consistent", "values_agree")


def test_inconsistent_values():
    row = claim(fig("47%", value=47), [fig("40%", value=40, source="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "values_differ")
    assert "'40%'" in row["reason"] and "'47%'" in row["reason"]


def test_about_widens_by_the_declared_share():
    assert claim(fig("about 31%", "approx", 31), [fig("32.4%", value=32.4, source="study")])["verdict"] == "consistent"
    assert (
        claim(fig("approximately 25%", "approx", 25), [fig("20.19%", value=20.19, source="study")])["verdict"]
        == "inconsistent"
    )


def test_up_to_must_reach_its_ceiling():
    row = claim(fig("Up to 72%", "up_to", 72), [fig("30%", value=30, source="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "ceiling_not_reached")
    assert claim(fig("Up to 72%", "up_to", 72), [fig("72%", value=72, source="study")])["verdict"] == "consistent"


def test_at_least():
    assert (
        claim(fig("more than two-thirds", "at_least", 66.67), [fig("68.7%", value=68.7, source="study")])["verdict"]
        == "consistent"
    )


def test_article_changed_the_population():
    row = claim(
        fig("32.4%", value=32.4, population="trd"), [fig("32.4%", value=32.4, population="ptsd", source="study")]
    )
    assert (row["verdict"], row["rule"]) == ("inconsistent", "key_changed")
    assert row["key_differences"] == "population: trd → ptsd"


def test_a_claim_broader_than_its_study_changed_the_key():
    row = claim(
        fig("32.4%", value=32.4, treatment="antidepressant", route="oral"),
        [fig("32.4%", value=32.4, treatment="ssri", route="oral", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("inconsistent", "key_changed")


def test_a_narrower_treatment_is_a_detail_the_claim_adds():
    row = claim(
        fig("32.4%", value=32.4, treatment="ssri", route="oral", population="mdd"),
        [fig("32.4%", value=32.4, treatment="antidepressant", route="oral", population="mdd", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_reported", "claim_adds_treatment")
    assert row["claim_adds"] == "treatment: ssri (study: antidepressant, which is broader)"


def test_unspecified_on_the_study_side_is_no_wildcard():
    row = claim(
        fig("33%", value=33, timepoint="P12M", timepoint_anchor="treatment_start"),
        [fig("32.9%", value=32.9, source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_reported", "claim_adds_timepoint")
    assert row["claim_adds"] == "timepoint: P12M (study: none)"
    assert "does not confirm the claim" in row["reason"] and "'32.9%'" in row["reason"]


@pytest.mark.parametrize(
    "field,value,rule",
    [
        ("population", "trd", "claim_adds_population"),
        ("route", "iv", "claim_adds_route"),
        ("subgroup", "completers", "claim_adds_subgroup"),
        ("timepoint_sessions", 6, "claim_adds_timepoint"),
    ],
)
def test_every_added_detail_is_named(field, value, rule):
    study = fig("50%", value=50, population="unspecified", source="study")
    row = claim(fig("50%", value=50, **{"population": "unspecified", field: value}), [study])
    assert (row["verdict"], row["rule"]) == ("not_reported", rule)
    assert row["claim_adds"].startswith(f"{field}: {value}")


def test_a_claim_that_says_less_than_its_study_matches_and_says_so():
    row = claim(
        fig("32.9%", value=32.9, population="unspecified"), [fig("32.9%", value=32.9, timepoint="P1Y", source="study")]
    )
    assert row["verdict"] == "consistent"
    assert row["unspecified_matches"] == "population (article unspecified); timepoint (article unspecified)"


def test_the_closest_study_figure_is_the_one_that_states_the_claims_details():
    vague, exact = fig("40%", value=40, source="study"), fig("33%", value=33, timepoint="P12M", source="study")
    row = claim(fig("33%", value=33, timepoint="P12M"), [vague, exact])
    assert (row["verdict"], row["study_figure_id"]) == ("consistent", exact["figure_id"])


def test_time_points_compare_in_days():
    a = fig("x", value=1, timepoint="P12M")
    assert key_compare(a, fig("y", value=1, timepoint="P1Y"))[0] == []


def test_not_reported():
    row = claim(
        fig("28%", value=28, measure="discontinuation_rate"),
        [fig("32.9%", value=32.9, measure="maintenance_rate", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_reported", "no_figure_for_measure")


def test_measure_changed():
    row = claim(
        fig("3.5%", value=3.5, measure="discontinuation_rate"),
        [fig("3.5%", value=3.5, measure="persistence_rate", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("inconsistent", "measure_changed")


def test_measure_changed_reads_the_claims_interval():
    row = claim(
        fig("about 25%", "approx", 25, measure="discontinuation_rate"),
        [fig("23.99%", value=23.99, measure="nonadherence_rate", source="study")],
    )
    assert (row["verdict"], row["rule"], row["study_value_text"]) == ("inconsistent", "measure_changed", "23.99%")


def test_a_number_under_another_measure_and_another_key_is_no_measure_change():
    # the study's 23.99% is non-adherence of one subgroup over a calendar year; the claim adds a time-point
    row = claim(
        fig("approximately 25%", "approx", 25, measure="discontinuation_rate", timepoint="P1M"),
        [fig("23.99%", value=23.99, measure="nonadherence_rate", subgroup="tricyclic antidepressants", source="study")],
    )
    assert (row["verdict"], row["rule"], row["study_figure_id"]) == ("not_reported", "no_figure_for_measure", None)
    assert row["reason"].endswith(
        ", a nonadherence_rate figure, lies within the claim's number but is not the claim's "
        "figure under another name: timepoint: P1M (study: none); its subgroup is tricyclic "
        "antidepressants, which the article does not state."
    )


def test_a_ceiling_is_no_measure_change():
    row = claim(fig("up to 72%", "up_to", 72, measure="response_rate"), [fig("20%", value=20, source="study")])
    assert (row["verdict"], row["rule"]) == ("not_reported", "no_figure_for_measure")


def test_a_single_time_point_is_not_a_window():
    point, window = (
        fig("32.4%", value=32.4, timepoint="P6M"),
        fig("21–31%", "range", low=21, high=31, timepoint="P6M", timepoint_end="P12M"),
    )
    assert key_compare(window, point) == (["timepoint_end: P12M → P6M"], [])
    assert key_compare(point, fig("30%", value=30, timepoint="P6M")) == ([], [])
    row = claim(window, [dict(point, source_id="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "key_changed")


def test_not_comparable_effect_sizes():
    row = claim(
        fig("1.52", value=1.52, unit="1", measure="effect_size"),
        [fig("0.61", value=0.61, unit="1", measure="effect_size", comparator="placebo", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_comparable", "comparator_differs")


def test_qualitative_claim_is_not_comparable():
    row = claim(
        fig("within hours", "qualitative", unit=None, measure="onset_time"),
        [fig("4 hours", value=4, unit="h", measure="onset_time", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_comparable", "qualitative_claim")


def test_unverifiable():
    assert (
        claim(fig("72%", value=72), [], {"source_id": "study", "resolution": "unresolved"})["rule"]
        == "study_unresolved"
    )
    assert (
        claim(fig("72%", value=72), [], {"source_id": "study", "resolution": "identified"})["rule"] == "study_not_read"
    )
    assert check_claim(dict(fig("72%", value=72), attributed_to="gone"), None, [])["verdict"] == "unverifiable"


def test_only_attributed_figures_are_checked():
    a, b = fig("72%", value=72), fig("70%", value=70)
    a["attributed_to"] = "study"
    rows = claim_checks([a, b, fig("72%", value=72, source="study")], [STUDY])
    assert [r["figure_id"] for r in rows] == [a["figure_id"]]


# ---------------------------------------------------------------- derived study figures


def test_claims_are_checked_against_derived_figures_and_say_so():
    from ketamine_ssri_evidence.derived_figures import compute

    dropout = fig("11.27%", value=11.27, measure="discontinuation_rate", source="study")
    result = compute("complement", [dropout])
    assert not isinstance(result, str), result
    value, unit, expression, n, tol = result
    assert (value, unit, expression, tol) == (100 - 11.27, "%", "100% − 11.27% = 88.73%", 0.005)
    derived = {
        "derived_id": "study/d01",
        "source_id": "study",
        "formula": "complement",
        "inputs": dropout["figure_id"],
        "expression": expression,
        "value": value,
        "unit": unit,
        "measure": "completion_rate",
        "treatment": "ketamine",
        "route": "unspecified",
        "population": "trd",
    }
    row = claim_checks(
        [dict(fig("nearly 89%", "approx", 89, measure="completion_rate"), attributed_to="study"), dropout],
        [STUDY],
        [derived],
    )[0]
    assert (row["verdict"], row["study_derived_id"], row["study_figure_id"]) == ("consistent", "study/d01", None)
    assert row["study_value_text"] == "[derived: 100% − 11.27% = 88.73%]"


def test_a_count_over_its_denominator():
    from ketamine_ssri_evidence.derived_figures import compute

    three = fig("Three", value=3, unit="{patient}", measure="discontinuation_count")
    n = fig("85", value=85, unit="{patient}", measure="sample_size")
    result = compute("count_over_n", [three, n])
    assert not isinstance(result, str), result
    value, unit, expression, size, tol = result
    assert (round(value, 4), unit, expression, size, tol) == (3.5294, "%", "Three / 85 × 100 ≈ 3.529%", 85, 0.0)
    assert isinstance(compute("count_over_n", [n, fig("3.5%", value=3.5)]), str)  # a share is no count
    assert isinstance(compute("complement", [n]), str)  # a count has no complement


# ---------------------------------------------------------------- contradictions


def one(*figs):
    rows = contradictions(list(figs))
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


@pytest.mark.parametrize(
    "a,b,severity,rule",
    [
        (fig("72%", value=72), fig("70%", value=70), "conflict", "values_conflict"),
        (fig("30–40%", "range", low=30, high=40), fig("60%", value=60), "conflict", "values_conflict"),
        (
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time"),
            fig("6 to 8 weeks", "range", low=6, high=8, unit="wk", measure="onset_time"),
            "conflict",
            "ranges_share_endpoint",
        ),
        (fig("Up to 72%", "up_to", 72), fig("up to 70%", "up_to", 70), "tension", "ceilings_differ"),
        (
            fig("similar", "qualitative", unit=None, measure="relative_ratio", comparator="ssri"),
            fig("three times", value=3, unit="1", measure="relative_ratio", comparator="ssri"),
            "conflict",
            "values_conflict",
        ),
        (fig("72%", value=72, population="unspecified"), fig("20%", value=20), "possible", "unspecified_only"),
        (
            fig("up to 47%", "up_to", 47, population="unspecified"),
            fig("Up to 40%", "up_to", 40, population="mdd_mild_moderate"),
            "possible",
            "unspecified_only",
        ),  # differing ceilings, linked only loosely
        (
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time", population="unspecified"),
            fig("6 to 8 weeks", "range", low=6, high=8, unit="wk", measure="onset_time"),
            "possible",
            "unspecified_only",
        ),
    ],
)
def test_contradiction_rule(a, b, severity, rule):
    row = one(a, b)
    assert (row["severity"], row["rule"]) == (severity, rule)
    assert {row["value_text_a"], row["value_text_b"]} == {a["value_text"], b["value_text"]}
    assert row["locator_a"] and row["locator_b"] and row["key"].startswith("measure=")


@pytest.mark.parametrize(
    "a,b",
    [
        (fig("33%", value=33), fig("32.9%", value=32.9)),  # same within rounding
        (fig("about 30%", "approx", 30), fig("32%", value=32)),  # within 'about'
        (fig("up to 72%", "up_to", 72), fig("72%", value=72)),  # the ceiling itself
        (fig("60.6%", value=60.6), fig("up to 77%", "up_to", 77)),  # inside a ceiling
        (
            fig("3–4 hours", "range", low=3, high=4, unit="h", measure="onset_time"),
            fig("within 6 hours", "at_most", 6, unit="h", measure="onset_time"),
        ),  # inside a window
        (
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time"),
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time"),
        ),  # the same range twice
        (
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time"),
            fig("4–8 weeks", "range", low=4, high=8, unit="wk", measure="onset_time"),
        ),  # ranges that overlap
        (fig("72%", value=72), fig("20%", value=20, treatment="ssri")),  # different key
        (fig("72%", value=72, subgroup="completers"), fig("20%", value=20, subgroup="all patients")),
        (
            fig("21–31%", "range", low=21, high=31, timepoint="P6M", timepoint_end="P12M"),
            fig("32.4%", value=32.4, timepoint="P6M"),
        ),  # a window and a single time-point
        (fig("up to 47%", "up_to", 47, population="unspecified"), fig("40%", value=40, population="mdd_mild_moderate")),
        (
            fig("hours", "qualitative", unit=None, measure="onset_time"),
            fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time"),
        ),
    ],
)
def test_no_contradiction(a, b):
    assert one(a, b) is None


def test_a_possible_row_says_which_disagreement_it_would_be():
    row = one(
        fig("up to 47%", "up_to", 47, population="unspecified"),
        fig("Up to 40%", "up_to", 40, population="mdd_mild_moderate"),
    )
    assert (row["value_text_a"], row["value_text_b"]) == ("Up to 40%", "up to 47%")
    assert " would give different ceilings if they were about the same population; " in row["reason"]
    assert row["unspecified_matches"] == "population (b unspecified; other: mdd_mild_moderate)"


def test_one_row_per_disagreeing_group_with_its_extremes_and_members():
    figs = (
        [fig("72%", value=72) for _ in range(50)] + [fig("20%", value=20) for _ in range(50)] + [fig("40%", value=40)]
    )
    (row,) = contradictions(figs)
    assert (row["value_text_a"], row["value_text_b"], row["group_size"]) == ("20%", "72%", 101)
    assert row["members"].startswith("20%: ") and " | 40%: " in row["members"] and row["members"].count(", ") == 98


def test_contradictions_stay_within_a_source():
    rows = contradictions([fig("72%", value=72, source="x"), fig("20%", value=20, source="y")])
    assert rows == []


def test_units_are_compared_canonically():
    a = fig("2 weeks", value=2, unit="wk", measure="onset_time", population="unspecified")
    b = fig("14 days", value=14, unit="d", measure="onset_time", population="unspecified")
    assert one(a, b) is None
    assert _span(a).head == _span(b).head == 14


# ---------------------------------------------------------------- grouping against every pair

_QUAL = st.sampled_from(["exact", "approx", "up_to", "at_least", "at_most", "range"])


@st.composite
def _figures(draw):
    out = []
    for _i in range(draw(st.integers(2, 12))):
        q = draw(_QUAL)
        population = draw(st.sampled_from(["trd", "unspecified"]))
        if q == "range":
            lo = draw(st.integers(0, 90))
            hi = draw(st.integers(lo + 1, 100))
            out.append(fig(f"{lo}–{hi}%", "range", low=lo, high=hi, population=population))
        else:
            v = draw(st.integers(0, 100))
            out.append(fig(f"{v}%", q, v, population=population))
    return out


@settings(max_examples=200, deadline=None)
@given(_figures())
def test_grouping_finds_exactly_the_groups_where_some_pair_conflicts(figs):
    from ketamine_ssri_evidence.comparison import overlap

    rows = contradictions(figs)
    for population in ("trd", "unspecified"):
        group = [f for f in figs if f["population"] == population]
        clash = any(not overlap(_span(a), _span(b)) for i, a in enumerate(group) for b in group[i + 1 :])
        found = [
            r for r in rows if r["rule"] == "values_conflict" and r["figure_id_a"] in {f["figure_id"] for f in group}
        ]
        assert bool(found) == clash
        if found:  # the row's two figures are themselves a conflicting pair
            by_id = {f["figure_id"]: f for f in group}
            assert not overlap(_span(by_id[found[0]["figure_id_a"]]), _span(by_id[found[0]["figure_id_b"]]))
    linked = [r for r in rows if r["severity"] == "possible"]
    assert len(linked) <= 1  # two groups: at most one row between them


def _disagree(a, b) -> bool:
    """Do two figures disagree as the rules say, examined as a pair?"""
    from ketamine_ssri_evidence.comparison import overlap

    sa, sb = _span(a), _span(b)
    if not overlap(sa, sb):
        return True
    if a["qualifier"] == b["qualifier"] == "range" and (a["low"], a["high"]) != (b["low"], b["high"]):
        if a["low"] >= b["high"] or b["low"] >= a["high"]:
            return True
    return a["qualifier"] == b["qualifier"] == "up_to" and abs(sa.head - sb.head) > sa.tol + sb.tol


@settings(max_examples=200, deadline=None)
@given(_figures())
def test_a_possible_row_exactly_when_some_pair_across_the_loose_link_disagrees(figs):
    rows = contradictions(figs)
    stated = [f for f in figs if f["population"] == "trd"]
    loose = [f for f in figs if f["population"] == "unspecified"]
    clash = any(_disagree(a, b) for a in stated for b in loose)
    linked = [r for r in rows if r["severity"] == "possible"]
    assert bool(linked) == clash
    if linked:  # the row's two figures are themselves a disagreeing pair, one of each group
        by_id = {f["figure_id"]: f for f in figs}
        a, b = by_id[linked[0]["figure_id_a"]], by_id[linked[0]["figure_id_b"]]
        assert _disagree(a, b) and {a["population"], b["population"]} == {"trd", "unspecified"}
