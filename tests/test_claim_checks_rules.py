"""claim_checks: every verdict rule, with the whole row it writes (reason included).

Each case is an article figure that credits the source ``study`` and a few figures of that
study; the expected verdict, rule, key differences, added details and reason are written out
by hand from schemas/comparison.json (``claim_rules``) and docs/verdict-rules.md.
"""

from __future__ import annotations

import pytest
from figure_records import STUDY, claim, figure, forget_memos

from ketamine_ssri_evidence.claim_checks import check_claim, claim_checks

A = "article/001"


@pytest.fixture(autouse=True)
def _fresh_memos():
    forget_memos()


def row(
    verdict,
    rule,
    reason,
    *,
    study=None,
    derived=None,
    study_text=None,
    compared=None,
    diffs=None,
    wild=None,
    adds=None,
    text="33%",
) -> dict:
    """The claim_checks row of claim ``article/001`` (printed ``text``)."""
    return {
        "figure_id": A,
        "source_id": "article",
        "attributed_to": "study",
        "verdict": verdict,
        "rule": rule,
        "article_value_text": text,
        "study_figure_id": study,
        "study_derived_id": derived,
        "study_value_text": study_text,
        "compared_with": compared,
        "key_differences": diffs,
        "unspecified_matches": wild,
        "claim_adds": adds,
        "reason": reason,
    }


def check(a: dict, *study: dict, derived: tuple[dict, ...] | list[dict] = ()) -> dict:
    return check_claim(a, STUDY, list(study), list(derived))


def s(n: int, text: str, qualifier: str = "exact", value=None, low=None, high=None, **kw) -> dict:
    return figure(f"study/{n:03d}", text, qualifier, value, low, high, **kw)


# ---------------------------------------------------------------- nothing to check against


def test_a_study_that_could_not_be_matched():
    want = row(
        "unverifiable",
        "study_unresolved",
        "study could not be matched to a document, so '33%' (article/001) cannot be checked.",
    )
    a = claim(A, "33%", value=33)
    assert check_claim(a, None, [s(1, "33%", value=33)]) == want
    assert check_claim(a, {"source_id": "study", "resolution": "unresolved"}, [s(1, "33%", value=33)]) == want


def test_a_study_none_of_whose_text_could_be_read():
    assert check(claim(A, "33%", value=33)) == row(
        "unverifiable",
        "study_not_read",
        "study was identified but none of its text could be read, so '33%' (article/001) cannot be checked.",
    )


def test_a_claim_without_a_number():
    a = claim(A, "most patients", "qualitative", unit=None)
    assert check(a, s(1, "33%", value=33)) == row(
        "not_comparable",
        "qualitative_claim",
        "'most patients' (article/001) states no number to compare with study.",
        text="most patients",
    )


# ---------------------------------------------------------------- numbers


def test_values_that_agree_within_rounding():
    assert check(claim(A, "33%", value=33), s(1, "32.9%", value=32.9)) == row(
        "consistent",
        "values_agree",
        "study states '32.9%' (study/001); the article's '33%' (article/001) agrees within its qualifier and rounding.",
        study="study/001",
        study_text="32.9%",
        compared="study/001",
    )


def test_values_that_differ():
    assert check(claim(A, "47%", value=47), s(1, "40%", value=40)) == row(
        "inconsistent",
        "values_differ",
        "study states '40%' (study/001); the article says '47%' (article/001).",
        study="study/001",
        study_text="40%",
        compared="study/001",
        text="47%",
    )


def test_a_claim_that_says_less_names_what_it_leaves_unspecified():
    a = claim(A, "47%", value=47, population="unspecified")
    study = s(1, "40%", value=40, timepoint="P1Y", timepoint_anchor="treatment_start")
    assert check(a, study) == row(
        "inconsistent",
        "values_differ",
        "study states '40%' (study/001); the article says '47%' (article/001) "
        "(the article leaves population, timepoint unspecified).",
        study="study/001",
        study_text="40%",
        compared="study/001",
        text="47%",
        wild="population (article unspecified); timepoint (article unspecified)",
    )
    assert check(dict(a, value_text="40%", value=40), study)["reason"] == (
        "study states '40%' (study/001); the article's '40%' (article/001) agrees within its qualifier and rounding "
        "(the article leaves population, timepoint unspecified)."
    )


@pytest.mark.parametrize(
    "a,study,verdict,rule",
    [
        (claim(A, "Up to 72%", "up_to", 72), s(1, "70%", value=70), "inconsistent", "ceiling_not_reached"),
        (claim(A, "Up to 72%", "up_to", 72), s(1, "71%", value=71), "consistent", "values_agree"),  # 71.5 reaches 71.5
        (claim(A, "Up to 72%", "up_to", 72), s(1, "72%", value=72), "consistent", "values_agree"),
        (
            claim(A, "Up to 72%", "up_to", 72),
            s(1, "80%", value=80),
            "inconsistent",
            "values_differ",
        ),  # above the ceiling
        (
            claim(A, "under 10%", "at_most", 10),
            s(1, "2%", value=2),
            "consistent",
            "values_agree",
        ),  # 'under' needs no reach
        (claim(A, "at least 50%", "at_least", 50), s(1, "90%", value=90), "consistent", "values_agree"),
        (claim(A, "at least 50%", "at_least", 50), s(1, "40%", value=40), "inconsistent", "values_differ"),
        (claim(A, "about 31%", "approx", 31), s(1, "33.9%", value=33.9), "consistent", "values_agree"),  # 27.9-34.1
        (claim(A, "about 31%", "approx", 31), s(1, "34.2%", value=34.2), "inconsistent", "values_differ"),
        (claim(A, "30–40%", "range", low=30, high=40), s(1, "40.5%", value=40.5), "consistent", "values_agree"),
        (claim(A, "30–40%", "range", low=30, high=40), s(1, "41%", value=41), "consistent", "values_agree"),  # touch
        (claim(A, "30–40%", "range", low=30, high=40), s(1, "41.5%", value=41.5), "inconsistent", "values_differ"),
    ],
)
def test_qualifiers(a, study, verdict, rule):
    got = check(a, study)
    assert (got["verdict"], got["rule"]) == (verdict, rule)


def test_a_ceiling_the_study_does_not_reach():
    assert check(claim(A, "Up to 72%", "up_to", 72), s(1, "30%", value=30)) == row(
        "inconsistent",
        "ceiling_not_reached",
        "The article says 'Up to 72%' (article/001), but study's figure is '30%' (study/001).",
        study="study/001",
        study_text="30%",
        compared="study/001",
        text="Up to 72%",
    )
    got = check(claim(A, "Up to 72%", "up_to", 72, subgroup=""), s(1, "30%", value=30, subgroup="completers"))
    assert got == row(
        "inconsistent",
        "ceiling_not_reached",
        "The article says 'Up to 72%' (article/001), but study's figure is '30%' (study/001) "
        "(the article leaves subgroup unspecified).",
        study="study/001",
        study_text="30%",
        compared="study/001",
        text="Up to 72%",
        wild="subgroup (article unspecified)",
    )


# ---------------------------------------------------------------- details the claim changes or adds


def test_a_claim_broader_than_its_study_changed_the_key():
    a = claim(A, "33%", value=33, population="mdd")
    assert check(a, s(1, "33%", value=33, population="trd")) == row(
        "inconsistent",
        "key_changed",
        "study states remission_rate only for another key (population: mdd → trd); its closest figure is "
        "'33%' (study/001) against the article's '33%' (article/001).",
        study="study/001",
        study_text="33%",
        compared="study/001",
        diffs="population: mdd → trd",
    )


def test_a_claim_about_another_treatment():
    a = claim(A, "33%", value=33, treatment="ketamine", timepoint="P6M", timepoint_anchor="treatment_start")
    study = s(1, "33%", value=33, treatment="esketamine", timepoint="P12M", timepoint_anchor="treatment_start")
    got = check(a, study)
    assert got["key_differences"] == "treatment: ketamine → esketamine; timepoint: P6M → P12M"
    assert got["reason"] == (
        "study states remission_rate only for another key (treatment: ketamine → esketamine; "
        "timepoint: P6M → P12M); its closest figure is '33%' (study/001) against the article's "
        "'33%' (article/001)."
    )


def test_a_field_both_leave_unspecified_is_passed_over():
    a = claim(A, "33%", value=33, subgroup="", timepoint="P6M", timepoint_anchor="treatment_start")
    got = check(a, s(1, "33%", value=33, subgroup=None))
    assert (got["rule"], got["claim_adds"]) == ("claim_adds_timepoint", "timepoint: P6M (study: none)")


def test_an_unstated_comparator_is_a_difference_not_a_wildcard():
    got = check(claim(A, "33%", value=33), s(1, "33%", value=33, comparator="placebo"))
    assert (got["rule"], got["key_differences"], got["unspecified_matches"]) == (
        "key_changed",
        "comparator: ∅ → placebo",
        None,
    )


def test_a_narrower_code_is_a_detail_the_claim_adds():
    a = claim(A, "33%", value=33, treatment="ssri", route="oral")
    assert check(a, s(1, "33%", value=33, treatment="antidepressant", route="oral")) == row(
        "not_reported",
        "claim_adds_treatment",
        "The article's '33%' (article/001) states treatment: ssri (study: antidepressant, which is broader), which "
        "study's closest figure '33%' (study/001) does not state (the numbers agree): the study does not confirm "
        "the claim as worded.",
        study="study/001",
        study_text="33%",
        compared="study/001",
        adds="treatment: ssri (study: antidepressant, which is broader)",
    )


def test_a_detail_the_study_leaves_unspecified_is_added():
    a = claim(A, "47%", value=47, timepoint="P12M", timepoint_anchor="treatment_start", route="iv")
    assert check(a, s(1, "33%", value=33)) == row(
        "not_reported",
        "claim_adds_route",
        "The article's '47%' (article/001) states route: iv (study: none); timepoint: P12M (study: none), which "
        "study's closest figure '33%' (study/001) does not state (the numbers differ too): the study does not "
        "confirm the claim as worded.",
        study="study/001",
        study_text="33%",
        compared="study/001",
        text="47%",
        adds="route: iv (study: none); timepoint: P12M (study: none)",
    )


@pytest.mark.parametrize(
    "field,claimed,studied,rule",
    [
        ("population", "trd", "unspecified", "claim_adds_population"),
        ("population", "mdd_mild_moderate", "mdd", "claim_adds_population"),
        ("route", "iv", "mixed", "claim_adds_route"),
        ("subgroup", "completers", "", "claim_adds_subgroup"),
        ("timepoint", "P6M", None, "claim_adds_timepoint"),
        ("timepoint_sessions", 6, None, "claim_adds_timepoint"),
    ],
)
def test_every_added_detail_has_its_rule(field, claimed, studied, rule):
    extra = {"timepoint_anchor": "treatment_start"} if field.startswith("timepoint") else {}
    got = check(
        claim(A, "33%", value=33, **{field: claimed}, **extra), s(1, "33%", value=33, **{field: studied}, **extra)
    )
    assert (got["verdict"], got["rule"]) == ("not_reported", rule)
    assert got["claim_adds"].startswith(f"{field}: {claimed} (study: ")


def test_time_points_compare_in_days_and_a_single_time_point_is_no_window():
    a = claim(A, "33%", value=33, timepoint="P6M", timepoint_end="P12M", timepoint_anchor="treatment_start")
    got = check(a, s(1, "33%", value=33, timepoint="P6M", timepoint_anchor="treatment_start"))
    assert (got["rule"], got["key_differences"]) == ("key_changed", "timepoint_end: P12M → P6M")
    got = check(
        a, s(1, "33%", value=33, timepoint="P183D", timepoint_end="P365.25D", timepoint_anchor="treatment_start")
    )
    assert (got["rule"], got["key_differences"]) == ("key_changed", "timepoint: P6M → P183D")
    got = check(
        a, s(1, "33%", value=33, timepoint="P182.625D", timepoint_end="P1Y", timepoint_anchor="treatment_start")
    )
    assert got["rule"] == "values_agree"  # the same days, written otherwise


def test_a_comparator_is_part_of_the_key_of_other_measures():
    got = check(claim(A, "33%", value=33, comparator="ssri"), s(1, "33%", value=33))
    assert (got["rule"], got["key_differences"]) == ("key_changed", "comparator: ssri → ∅")


# ---------------------------------------------------------------- contrasts


def test_a_contrast_against_another_comparator():
    a = claim(A, "0.5", value=0.5, unit="1", measure="effect_size", comparator="ssri")
    placebo = s(1, "0.45", value=0.45, unit="1", measure="effect_size", comparator="placebo")
    bare = s(2, "0.5", value=0.5, unit="1", measure="effect_size")
    assert check(a, placebo, bare) == row(
        "not_comparable",
        "comparator_differs",
        "'0.5' (article/001) is against ssri; study's '0.45' (study/001) is against placebo.",
        study="study/001",
        study_text="0.45",
        compared="study/001; study/002",
        text="0.5",
    )
    assert check(dict(a, comparator=None), placebo)["reason"] == (
        "'0.5' (article/001) is against no stated comparator; study's '0.45' (study/001) is against placebo."
    )
    assert check(a, bare)["reason"] == (
        "'0.5' (article/001) is against ssri; study's '0.5' (study/002) is against no stated comparator."
    )


def test_a_contrast_is_set_against_the_figures_of_its_comparator_only():
    a = claim(A, "0.5", value=0.5, unit="1", measure="effect_size", comparator="ssri")
    placebo = s(1, "0.5", value=0.5, unit="1", measure="effect_size", comparator="placebo")
    ssri = s(2, "0.9", value=0.9, unit="1", measure="effect_size", comparator="ssri")
    assert check(a, placebo, ssri) == row(
        "inconsistent",
        "values_differ",
        "study states '0.9' (study/002); the article says '0.5' (article/001).",
        study="study/002",
        study_text="0.9",
        compared="study/002",
        text="0.5",
    )


# ---------------------------------------------------------------- which study figure is the closest


def test_fewer_differences_first_then_fewer_added_details():
    a = claim(A, "33%", value=33, route="oral", population="trd")
    other_route = s(1, "33%", value=33, route="iv", population="trd")  # a difference
    broader = s(2, "33%", value=33, route="oral", population="mdd")  # an added detail
    assert check(a, other_route, broader)["study_figure_id"] == "study/002"
    two_adds = s(3, "33%", value=33, route="mixed", population="mdd")
    assert check(a, two_adds, broader)["study_figure_id"] == "study/002"


def test_fewer_added_details_before_agreeing_values():
    a = claim(A, "33%", value=33, route="oral")
    agrees_but_adds = s(1, "33%", value=33, route="unspecified")
    differs = s(2, "50%", value=50, route="oral")
    assert check(a, agrees_but_adds, differs)["rule"] == "values_differ"


def test_agreeing_values_before_fewer_unspecified_matches():
    a = claim(A, "33%", value=33, population="unspecified", subgroup="")
    differs = s(1, "50%", value=50, population="unspecified")
    agrees = s(2, "33%", value=33, population="trd", subgroup="completers")
    got = check(a, differs, agrees)
    assert (got["rule"], got["study_figure_id"]) == ("values_agree", "study/002")
    assert got["unspecified_matches"] == "population (article unspecified); subgroup (article unspecified)"


def test_fewer_unspecified_matches_then_printed_before_derived_then_the_lowest_id():
    a = claim(A, "33%", value=33, population="unspecified")
    stated = s(1, "33%", value=33, population="trd")
    same = s(2, "33%", value=33, population="unspecified")
    assert check(a, stated, same)["study_figure_id"] == "study/002"
    derived = {
        "derived_id": "study/d01",
        "source_id": "study",
        "expression": "100% − 67% = 33%",
        "value": 33.0,
        "unit": "%",
        "qualifier": "exact",
        "measure": "remission_rate",
        "treatment": "ketamine",
        "route": "unspecified",
        "population": "unspecified",
        "_tol": 0.5,
    }
    late = figure("study/e01", "33%", value=33, population="unspecified")  # an id after d01
    assert check(a, late, derived=[derived])["study_figure_id"] == "study/e01"
    assert check(a, s(9, "33%", value=33, population="unspecified"), same)["study_figure_id"] == "study/002"


def test_a_derived_study_figure_says_so():
    derived = {
        "derived_id": "study/d01",
        "source_id": "study",
        "expression": "100% − 67% = 33%",
        "value": 33.0,
        "unit": "%",
        "qualifier": "exact",
        "measure": "remission_rate",
        "treatment": "ketamine",
        "route": "unspecified",
        "population": "trd",
        "_tol": 0.5,
    }
    other = s(1, "50%", value=50, measure="response_rate")
    assert check(claim(A, "33%", value=33), other, derived=[derived]) == row(
        "consistent",
        "values_agree",
        "study states [derived: 100% − 67% = 33%] (study/d01) (derived from its printed figures); the article's "
        "'33%' (article/001) agrees within its qualifier and rounding.",
        derived="study/d01",
        study_text="[derived: 100% − 67% = 33%]",
        compared="study/d01",
    )
    got = check(claim(A, "33%", value=33, population="mdd"), other, derived=[derived])
    assert got["reason"] == (
        "study states remission_rate only for another key (population: mdd → trd); its closest "
        "figure is [derived: 100% − 67% = 33%] (study/d01) (derived from its printed figures) "
        "against the article's '33%' (article/001)."
    )


# ---------------------------------------------------------------- no figure for the claim's measure


def test_no_figure_for_the_measure():
    a = claim(A, "28%", value=28, measure="discontinuation_rate")
    assert check(a, s(1, "32.9%", value=32.9, measure="maintenance_rate")) == row(
        "not_reported",
        "no_figure_for_measure",
        "What could be read of study has no figure for discontinuation_rate; the article says '28%' (article/001).",
        text="28%",
    )


def test_a_figure_of_the_claims_event():
    a = claim(A, "28%", value=28, measure="adverse_effect_rate", event="nausea")
    got = check(a, s(1, "28%", value=28, measure="adverse_effect_rate", event="nausea"))
    assert (got["rule"], got["study_figure_id"]) == ("values_agree", "study/001")


def test_no_figure_for_the_measure_and_event():
    a = claim(A, "28%", value=28, measure="adverse_effect_rate", event="nausea")
    got = check(
        a,
        s(1, "50%", value=50, measure="adverse_effect_rate", event="dizziness"),
        s(2, "most", "qualitative", unit=None, measure="adverse_effect_rate", event="nausea"),
    )
    assert got["reason"] == (
        "What could be read of study has no figure for adverse_effect_rate (nausea); the article "
        "says '28%' (article/001)."
    )


def test_the_claims_number_under_another_measure():
    a = claim(A, "33%", value=33, measure="response_rate")
    got = check(a, s(2, "32.9%", value=32.9), s(1, "33.4%", value=33.4), s(3, "40%", value=40))
    assert got == row(
        "inconsistent",
        "measure_changed",
        "study has no figure for response_rate, but prints '33.4%' (study/001) as remission_rate for the claim's "
        "treatment, route, population, subgroup and time-point; the article gives that number as response_rate "
        "('33%' (article/001)).",
        study="study/001",
        study_text="33.4%",
        compared="study/001; study/002",
    )


@pytest.mark.parametrize("printed", ["32.5%", "33.5%"])
def test_an_echo_may_lie_on_either_end_of_the_claims_interval(printed):
    got = check(claim(A, "33%", value=33, measure="response_rate"), s(1, printed, value=float(printed[:-1])))
    assert got["rule"] == "measure_changed"


def test_an_echo_under_a_measure_with_an_event():
    got = check(
        claim(A, "33%", value=33, measure="response_rate"),
        s(1, "33%", value=33, measure="adverse_effect_rate", event="nausea"),
    )
    assert (got["rule"], got["study_figure_id"]) == ("measure_changed", "study/001")
    assert " prints '33%' (study/001) as adverse_effect_rate for " in got["reason"]


def test_a_printed_echo_before_a_derived_one():
    derived = {
        "derived_id": "study/d01",
        "source_id": "study",
        "expression": "100% − 67% = 33%",
        "value": 33.0,
        "unit": "%",
        "qualifier": "exact",
        "measure": "remission_rate",
        "treatment": "ketamine",
        "route": "unspecified",
        "population": "trd",
        "_tol": 0.5,
    }
    got = check(
        claim(A, "33%", value=33, measure="response_rate"), figure("study/e01", "33%", value=33), derived=[derived]
    )
    assert (got["rule"], got["study_figure_id"], got["compared_with"]) == (
        "measure_changed",
        "study/e01",
        "study/e01; study/d01",
    )


def test_a_claim_that_says_less_still_echoes():
    got = check(claim(A, "33%", value=33, measure="response_rate", population="unspecified"), s(1, "33%", value=33))
    assert got["rule"] == "measure_changed"


@pytest.mark.parametrize(
    "a,study",
    [
        (claim(A, "Up to 33%", "up_to", 33, measure="response_rate"), s(1, "33%", value=33)),  # a bound names no number
        (claim(A, "33%", value=33, measure="response_rate"), s(1, "34%", value=34)),  # outside 32.5-33.5
        (
            claim(A, "3%", value=3, measure="response_rate"),
            s(1, "3 days", value=3, unit="d", measure="onset_time"),
        ),  # another dimension
        (claim(A, "33%", value=33, measure="response_rate"), s(1, "some", "qualitative", unit=None)),
    ],
)
def test_no_echo(a, study):
    assert check(a, study)["rule"] == "no_figure_for_measure"
    assert "Its " not in check(a, study)["reason"]


def test_a_number_that_is_not_the_claims_figure_under_another_name():
    a = claim(A, "33%", value=33, measure="response_rate", population="trd")
    got = check(a, s(1, "33%", value=33, population="mdd"))
    assert got == row(
        "not_reported",
        "no_figure_for_measure",
        "What could be read of study has no figure for response_rate; the article says '33%' (article/001). "
        "Its '33%' (study/001), a remission_rate figure, lies within the claim's number but is not the claim's "
        "figure under another name: population: trd (study: mdd, which is broader).",
    )
    a = claim(A, "33%", value=33, measure="response_rate", population="unspecified", route="iv")
    got = check(
        a,
        s(2, "33%", value=33, treatment="ssri", population="trd", route="iv"),
        s(1, "33%", value=33, route="unspecified"),
    )
    assert got["reason"].endswith(
        " Its '33%' (study/001), a remission_rate figure, lies within the claim's number but is not the claim's "
        "figure under another name: route: iv (study: none); its population is trd, which the article does not "
        "state."
    )
    got = check(a, s(2, "33%", value=33, treatment="ssri", population="trd", route="iv"))
    assert got["reason"].endswith(
        " Its '33%' (study/002), a remission_rate figure, lies within the claim's number but is not the claim's "
        "figure under another name: treatment: ketamine → ssri; its population is trd, which the article does not "
        "state."
    )


# ---------------------------------------------------------------- every claim of a build


def test_claim_checks_checks_every_attributed_figure_against_its_source():
    figures = [
        claim("article/001", "33%", value=33),
        figure("article/002", "40%", value=40),  # credits no study: not a claim
        figure("article/003", "30%", value=30, attributed_to="gone"),  # credits a source that is not there
        figure("article/004", "30%", value=30, attributed_to="vague"),
        figure("study/001", "32.9%", value=32.9),
        figure("study/002", "11.27%", value=11.27, measure="discontinuation_rate"),
        figure("study/003", "72%", value=72, comparator="ssri"),
        figure("study/004", "40%", value=40, comparator="ssri"),
        claim("article/007", "32.8%", value=32.8, measure="rate_difference", comparator="ssri"),
        claim("article/005", "nearly 89%", "approx", 89, measure="completion_rate"),
        claim("article/006", "88.7%", value=88.7, measure="completion_rate"),
    ]
    derived = [
        {
            "derived_id": "study/d01",
            "source_id": "study",
            "formula": "complement",
            "inputs": "study/002",
            "expression": "100% − 11.27% = 88.73%",
            "value": 88.73,
            "unit": "%",
            "measure": "completion_rate",
            "treatment": "ketamine",
            "route": "unspecified",
            "population": "trd",
        },
        {
            "derived_id": "study/d02",
            "source_id": "study",
            "formula": "difference",
            "inputs": "study/003; study/004",
            "expression": "72% − 40% = 32 %",
            "value": 32.0,
            "unit": "%",
            "measure": "rate_difference",
            "comparator": "ssri",
            "treatment": "ketamine",
            "route": "unspecified",
            "population": "trd",
        },
    ]
    sources = [STUDY, {"source_id": "vague", "resolution": "unresolved"}]
    rows = claim_checks(figures, sources, derived)
    assert [(r["figure_id"], r["rule"], r["study_derived_id"]) for r in rows] == [
        ("article/001", "values_agree", None),
        ("article/003", "study_unresolved", None),
        ("article/004", "study_unresolved", None),
        ("article/007", "values_agree", "study/d02"),  # 32 ± 1 (the rounding of 72% and of 40%) meets 32.75-32.85
        ("article/005", "values_agree", "study/d01"),
        ("article/006", "values_agree", "study/d01"),
    ]  # 88.73 ± 0.005 (its input's rounding) meets 88.65-88.75
    assert [r["rule"] for r in claim_checks(figures, [STUDY])[3:]] == ["no_figure_for_measure"] * 3
    assert claim_checks([figures[2], figures[0]], [STUDY])[1]["rule"] == "study_not_read"
