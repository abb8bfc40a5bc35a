"""claim_checks verdicts and the contradiction rule, on small hand-made figures."""
from __future__ import annotations

import pytest

from ketamine_ssri_evidence import _schema
from ketamine_ssri_evidence.checks import check_claim, claim_checks, contradiction, contradictions, key_compare, span

_n = iter(range(1, 10_000))


def fig(value_text, qualifier="exact", value=None, low=None, high=None, unit="%", measure="remission_rate",
        treatment="ketamine", route="unspecified", population="trd", source="article", **kw):
    f = {f.name: None for f in _schema.table("figures").fields}
    f.update(figure_id=f"{source}/{next(_n):03d}", source_id=source, value_text=value_text, qualifier=qualifier,
             value=value, low=low, high=high, unit=unit, measure=measure, treatment=treatment, route=route,
             population=population)
    f.update(kw)
    return f


STUDY = {"source_id": "study", "resolution": "public_text"}


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
    assert claim(fig("approximately 25%", "approx", 25), [fig("20.19%", value=20.19, source="study")])["verdict"] == "inconsistent"


def test_up_to_must_reach_its_ceiling():
    row = claim(fig("Up to 72%", "up_to", 72), [fig("30%", value=30, source="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "ceiling_not_reached")
    assert claim(fig("Up to 72%", "up_to", 72), [fig("72%", value=72, source="study")])["verdict"] == "consistent"


def test_at_least():
    assert claim(fig("more than two-thirds", "at_least", 66.67), [fig("68.7%", value=68.7, source="study")])["verdict"] == "consistent"


def test_article_changed_the_population_or_treatment():
    row = claim(fig("32.4%", value=32.4, treatment="ssri", route="oral", population="mdd"),
                [fig("32.4%", value=32.4, treatment="antidepressant", route="oral", population="mdd", source="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "key_changed")
    assert row["key_differences"] == "treatment: ssri → antidepressant"


def test_unspecified_matches_any_and_says_so():
    row = claim(fig("33%", value=33, timepoint="P12M", timepoint_anchor="treatment_start"),
                [fig("32.9%", value=32.9, source="study")])
    assert row["verdict"] == "consistent"
    assert row["unspecified_matches"] == "timepoint (study unspecified)"


def test_time_points_compare_in_days():
    a = fig("x", value=1, timepoint="P12M")
    assert key_compare(a, fig("y", value=1, timepoint="P1Y"))[0] == []


def test_not_reported():
    row = claim(fig("28%", value=28, measure="discontinuation_rate"), [fig("32.9%", value=32.9, measure="maintenance_rate", source="study")])
    assert (row["verdict"], row["rule"]) == ("not_reported", "no_figure_for_measure")


def test_measure_changed():
    row = claim(fig("3.5%", value=3.5, measure="discontinuation_rate"), [fig("3.5%", value=3.5, measure="persistence_rate", source="study")])
    assert (row["verdict"], row["rule"]) == ("inconsistent", "measure_changed")


def test_not_comparable_effect_sizes():
    row = claim(fig("1.52", value=1.52, unit="1", measure="effect_size"),
                [fig("0.61", value=0.61, unit="1", measure="effect_size", comparator="placebo", source="study")])
    assert (row["verdict"], row["rule"]) == ("not_comparable", "comparator_differs")


def test_qualitative_claim_is_not_comparable():
    row = claim(fig("within hours", "qualitative", unit=None, measure="onset_time"), [fig("4 hours", value=4, unit="h", measure="onset_time", source="study")])
    assert (row["verdict"], row["rule"]) == ("not_comparable", "qualitative_claim")


def test_unverifiable():
    assert claim(fig("72%", value=72), [], {"source_id": "study", "resolution": "unresolved"})["rule"] == "study_unresolved"
    assert claim(fig("72%", value=72), [], {"source_id": "study", "resolution": "identified"})["rule"] == "study_not_read"
    assert check_claim(dict(fig("72%", value=72), attributed_to="gone"), None, [])["verdict"] == "unverifiable"


def test_only_attributed_figures_are_checked():
    a, b = fig("72%", value=72), fig("70%", value=70)
    a["attributed_to"] = "study"
    rows = claim_checks([a, b, fig("72%", value=72, source="study")], [STUDY])
    assert [r["figure_id"] for r in rows] == [a["figure_id"]]


# ---------------------------------------------------------------- contradictions

@pytest.mark.parametrize("a,b,severity,rule", [
    (fig("72%", value=72), fig("70%", value=70), "conflict", "values_conflict"),
    (fig("30–40%", "range", low=30, high=40), fig("60%", value=60), "conflict", "values_conflict"),
    (fig("about 40%", "approx", 40), fig("up to 80%", "up_to", 80), "tension", "qualifier_only"),
    (fig("Up to 72%", "up_to", 72), fig("up to 70%", "up_to", 70), "tension", "qualifier_only"),
    (fig("72%", value=72, population="unspecified"), fig("20%", value=20), "tension", "unspecified_only"),
])
def test_contradiction_rule(a, b, severity, rule):
    row = contradiction(a, b)
    assert (row["severity"], row["rule"]) == (severity, rule)


@pytest.mark.parametrize("a,b", [
    (fig("33%", value=33), fig("32.9%", value=32.9)),                       # same within rounding
    (fig("about 30%", "approx", 30), fig("32%", value=32)),                 # within 'about'
    (fig("up to 72%", "up_to", 72), fig("72%", value=72)),                  # the ceiling itself
    (fig("72%", value=72), fig("20%", value=20, treatment="ssri")),         # different key
    (fig("72%", value=72, subgroup="completers"), fig("20%", value=20, subgroup="all patients")),
    (fig("hours", "qualitative", unit=None, measure="onset_time"), fig("2–6 weeks", "range", low=2, high=6, unit="wk", measure="onset_time")),
])
def test_no_contradiction(a, b):
    assert contradiction(a, b) is None


def test_contradictions_stay_within_a_source():
    rows = contradictions([fig("72%", value=72, source="x"), fig("20%", value=20, source="y")])
    assert rows == []


def test_units_are_compared_canonically():
    a = fig("2 weeks", value=2, unit="wk", measure="onset_time", population="unspecified")
    b = fig("14 days", value=14, unit="d", measure="onset_time", population="unspecified")
    assert contradiction(a, b) is None
    assert span(a).head == span(b).head == 14
