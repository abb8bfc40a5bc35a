"""Derived study figures and reviewed verdicts, as the build reads them from raw/."""

from __future__ import annotations

import csv
import shutil

import pytest

from conftest import ROOT, cli
from ketamine_ssri_evidence.derived_figures import derived_figures
from ketamine_ssri_evidence.issues import Issue
from ketamine_ssri_evidence.reviews import apply_reviews


def _figures():
    from ketamine_ssri_evidence.validation import validate

    rows = validate(raw_dir=ROOT / "raw").rows["figures"]
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


@pytest.fixture(scope="module")
def figures():
    return _figures()


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def test_the_real_derived_figures_are_computed_not_typed(figures):
    issues: list[Issue] = []
    rows = {r["derived_id"]: r for r in derived_figures(figures, ROOT / "raw", issues)}
    assert issues == []
    d = rows["gutierrez-nd-ketamine-public-clinic/d01"]
    assert (d["value"], d["expression"], d["measure"], d["population"]) == (
        88.73,
        "100% − 11.27% = 88.73%",
        "completion_rate",
        "trd",
    )
    d = rows["sakurai-2020-ketamine-maintenance/d01"]
    assert (round(d["value"], 2), d["event"], d["n"]) == (3.53, "any_side_effect", 85)
    # no derived.csv declares a value: the file has no value column at all
    for path in (ROOT / "raw").glob("*/derived.csv"):
        assert "value" not in path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize(
    "row,code",
    [
        (["x/d01", "complement", "x/404", "completion_rate", ""], "derived-input"),
        (["x/d01", "complement", "x/001; x/002", "completion_rate", ""], "derived-input"),
        (["x/d01", "count_over_n", "x/001; x/002", "discontinuation_rate", ""], "derived-formula"),
        (["x/d01", "halve", "x/001", "completion_rate", ""], "unknown-code"),
        (["x/d01", "complement", "x/001", "remision_rate", ""], "unknown-code"),
        (["x/d01", "complement", "x/001", "session_count", ""], "unit-dimension"),
        (["y/d01", "complement", "x/001", "completion_rate", ""], "pattern"),
    ],
)
def test_bad_derived_rows_are_issues(tmp_path, row, code):
    (tmp_path / "x").mkdir()
    _write(tmp_path / "x" / "derived.csv", ["derived_id", "formula", "inputs", "measure", "note"], [row])
    base = dict(source_id="x", qualifier="exact", unit="%", measure="discontinuation_rate", locator="Results")
    figs = [
        dict(base, figure_id="x/001", value_text="11%", value=11.0),
        dict(base, figure_id="x/002", value_text="12%", value=12.0),
    ]
    issues: list[Issue] = []
    assert derived_figures(figs, tmp_path, issues) == []
    assert [i.code for i in issues] == [code]
    assert issues[0].render().startswith("x/derived.csv:2: ")


def _claims():
    return [
        {"figure_id": "a/001", "verdict": "not_reported", "rule": "claim_adds_subgroup"},
        {"figure_id": "a/002", "verdict": "consistent", "rule": "values_agree"},
    ]


HEADER = ["figure_id", "computed_verdict", "computed_rule", "reviewed_verdict", "reason", "reviewer", "date"]


def test_a_review_is_shown_beside_the_computed_verdict(tmp_path):
    _write(
        tmp_path / "reviews.csv",
        HEADER,
        [
            [
                "a/001",
                "not_reported",
                "claim_adds_subgroup",
                "consistent",
                "the subgroup is the whole sample",
                "r",
                "2026-12-01",
            ]
        ],
    )
    issues: list[Issue] = []
    rows = {r["figure_id"]: r for r in apply_reviews(_claims(), tmp_path, issues)}
    assert issues == []
    assert (rows["a/001"]["verdict"], rows["a/001"]["reviewed_verdict"], rows["a/001"]["final_verdict"]) == (
        "not_reported",
        "consistent",
        "consistent",
    )
    assert (rows["a/002"]["reviewed_verdict"], rows["a/002"]["final_verdict"]) == (None, "consistent")


@pytest.mark.parametrize(
    "row,code",
    [
        (["a/001", "inconsistent", "values_differ", "consistent", "why", "r", "2026-12-01"], "review-stale"),
        (["a/999", "consistent", "values_agree", "consistent", "why", "r", "2026-12-01"], "review-unknown-figure"),
        (["a/001", "not_reported", "claim_adds_subgroup", "fine", "why", "r", "2026-12-01"], "unknown-code"),
        (["a/001", "not_reported", "claim_adds_subgroup", "consistent", "", "r", "2026-12-01"], "required"),
        (["a/001", "not_reported", "claim_adds_subgroup", "consistent", "why", "r", "1 Dec"], "type"),
    ],
)
def test_bad_or_stale_reviews_are_issues(tmp_path, row, code):
    _write(tmp_path / "reviews.csv", HEADER, [row])
    issues: list[Issue] = []
    rows = {r["figure_id"]: r for r in apply_reviews(_claims(), tmp_path, issues)}
    assert [i.code for i in issues] == [code]
    assert rows["a/001"]["final_verdict"] == "not_reported"  # a bad review changes nothing


def test_every_real_review_is_current():
    from ketamine_ssri_evidence.release_build import _computed, _records
    from ketamine_ssri_evidence.validation import validate

    result = validate(raw_dir=ROOT / "raw")
    built = {t: _records(t, result.rows[t]) for t in ("sources", "figures")}
    issues: list[Issue] = []
    built["derived_figures"] = _computed("derived_figures", built, ROOT / "raw", issues)
    rows = _computed("claim_checks", built, ROOT / "raw", issues)
    assert issues == []
    reviewed = [r for r in rows if r["reviewed_verdict"]]
    assert reviewed and all(r["review_reason"] and r["reviewer"] and r["review_date"] for r in reviewed)


def test_a_stale_review_fails_the_build(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    path = raw / "reviews.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",not_reported,claim_adds_subgroup,", ",consistent,values_agree,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("build", "--raw", str(raw), "--out", str(tmp_path / "build"))  # in process (conftest.cli)
    assert r.code == 1 and "internal error" not in r.err
    assert "reviews.csv:2: computed_verdict: consistent (values_agree): " in r.out and "[review-stale]" in r.out
    assert not (tmp_path / "build").exists()


@pytest.fixture(scope="module")
def computed():
    """claim_checks and contradictions computed from the real raw/, as the build computes them."""
    from ketamine_ssri_evidence.release_build import _computed, _records
    from ketamine_ssri_evidence.validation import validate

    result = validate(raw_dir=ROOT / "raw")
    built = {t: _records(t, result.rows[t]) for t in ("sources", "figures")}
    issues: list[Issue] = []
    built["derived_figures"] = _computed("derived_figures", built, ROOT / "raw", issues)
    out = {t: _computed(t, built, ROOT / "raw", issues) for t in ("claim_checks", "contradictions")}
    assert issues == []
    return out


LONG = "ktfd-ketamine-vs-antidepressants"


@pytest.mark.parametrize(
    "fid,verdict,rule,study",
    [
        ("315", "inconsistent", "key_changed", "sakurai-2020-ketamine-maintenance/007"),  # 49% of those who continued
        ("317", "consistent", "values_agree", "marton-2024-esketamine-persistence/005"),  # the median, about 7 months
        ("346", "consistent", "values_agree", "marton-2024-esketamine-persistence/005"),
        ("353", "not_reported", "no_figure_for_measure", None),  # 23.99% is of tricyclic users, with no time-point
    ],
)
def test_the_followup_claims(computed, fid, verdict, rule, study):
    r = {r["figure_id"]: r for r in computed["claim_checks"]}[f"{LONG}/{fid}"]
    assert (r["verdict"], r["rule"], r["study_figure_id"]) == (verdict, rule, study)
    assert r["final_verdict"] == verdict


def test_the_followup_pairs(computed):
    pairs = {
        (r["figure_id_a"].split("/")[1], r["figure_id_b"].split("/")[1]): r
        for r in computed["contradictions"]
        if r["source_id"] == LONG
    }
    ceilings = pairs[("010", "007")]  # 'Up to 40%' in less severe depression against 'up to 47%', no population
    assert (ceilings["severity"], ceilings["rule"]) == ("possible", "unspecified_only")
    assert ("081", "281") not in pairs  # 21–31% over 6–12 months and 32.4% at 6 months: different time-points
