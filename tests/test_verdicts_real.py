"""The verdicts of the current release on the cases that motivated the rules (see docs/verdict-rules.md)."""

from __future__ import annotations

import csv

import pytest

from conftest import ROOT
from ketamine_ssri_evidence.releases import current_release

BUILD = ROOT / "build" / current_release()["version"]
LONG = "ktfd-ketamine-vs-antidepressants"


def _rows(table):
    with (BUILD / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def claims():
    return {r["figure_id"]: r for r in _rows("claim_checks")}


@pytest.fixture(scope="module")
def contra():
    return _rows("contradictions")


@pytest.mark.parametrize(
    "fid,verdict,rule,study",
    [
        (
            "289",
            "not_reported",
            "claim_adds_timepoint",
            "sakurai-2020-ketamine-maintenance/009",
        ),  # '33% ... at one year'
        ("316", "not_reported", "claim_adds_timepoint", "sakurai-2020-ketamine-maintenance/009"),
        ("342", "not_reported", "claim_adds_timepoint", "sakurai-2020-ketamine-maintenance/009"),
        ("321", "consistent", "values_agree", "sakurai-2020-ketamine-maintenance/d01"),  # 3.5% vs 3 of 85
        ("311", "not_reported", "claim_adds_subgroup", "gutierrez-nd-ketamine-public-clinic/d01"),  # nearly 89%
        ("349", "not_reported", "claim_adds_treatment", "dinicola-2023-antidepressant-adherence/d01"),
    ],
)
def test_motivating_claims(claims, fid, verdict, rule, study):
    r = claims[f"{LONG}/{fid}"]
    assert (r["verdict"], r["rule"]) == (verdict, rule)
    assert study in (r["study_figure_id"], r["study_derived_id"])


def test_reviews_sit_beside_the_computed_verdict(claims):
    r = claims[f"{LONG}/311"]
    assert (r["verdict"], r["reviewed_verdict"], r["final_verdict"]) == ("not_reported", "consistent", "consistent")
    assert r["study_value_text"] == "[derived: 100% − 11.27% = 88.73%]"
    assert all(r["final_verdict"] == (r["reviewed_verdict"] or r["verdict"]) for r in claims.values())


def test_the_long_articles_self_contradictions_are_found(contra):
    pairs = {(r["value_text_a"], r["value_text_b"]): r for r in contra}
    onset = pairs[("2–6 weeks", "6–8 weeks")]
    assert (onset["severity"], onset["rule"]) == ("conflict", "ranges_share_endpoint")
    assert "6 to 8 weeks: " in onset["members"] and onset["locator_a"] and onset["locator_b"]
    ratio = pairs[("similar", "three times")]
    assert (ratio["severity"], ratio["rule"]) == ("conflict", "values_conflict")


def test_no_headline_contradiction_rests_on_an_unspecified_field_or_a_ceiling(contra):
    for r in contra:
        if r["severity"] in ("conflict", "tension"):
            assert not r["unspecified_matches"]
        else:
            assert (r["severity"], r["rule"]) == ("possible", "unspecified_only") and r["unspecified_matches"]
    texts = {(r["value_text_a"], r["value_text_b"]) for r in contra}
    assert ("60.6%", "up to 77%") not in texts and ("3–4 hours", "within 6 hours") not in texts
