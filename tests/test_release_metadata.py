"""The release list of schemas/package.json is checked strictly, with one line per problem."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.cli import main
from ketamine_ssri_evidence.release_metadata import CODES, ReleaseMetadataError, parse, release_issues

TEXT = (ROOT / "schemas" / "package.json").read_text(encoding="utf-8")
META = json.loads(TEXT)
C = "a" * 40


def _with(*releases):
    m = copy.deepcopy(META)
    m["releases"] = copy.deepcopy(list(releases))
    return m


def R(version, date="2026-11-21", summary="s", **extra):
    return {"version": version, "date": date, "summary": summary, **extra}


def test_the_project_release_list_is_clean():
    assert release_issues(META, TEXT) == []
    assert parse(TEXT)["releases"] == META["releases"]


BAD = {
    "older-version": ([R("0.2.0", source_commit=C), R("0.1.9")], "release-order"),
    "same-version": ([R("0.2.0", source_commit=C), R("0.2.0")], "release-order"),
    "banana": ([R("0.2.0", source_commit=C), R("banana")], "release-version"),
    "leading-zero": ([R("0.2.0", source_commit=C), R("0.03.0")], "release-version"),
    "v-prefix": ([R("v0.3.0")], "release-version"),
    "number-version": ([R(3)], "release-version"),
    "no-date": ([R("0.2.0", source_commit=C), {"version": "0.3.0", "summary": "s"}], "release-date"),
    "bad-date": ([R("0.3.0", date="2026-13-01")], "release-date"),
    "date-goes-back": ([R("0.2.0", source_commit=C), R("0.3.0", date="2026-11-20")], "release-date"),
    "no-summary": ([R("0.3.0", summary=" ")], "release-summary"),
    "no-commit-before-last": ([R("0.2.0"), R("0.3.0")], "release-commit"),
    "short-commit": ([R("0.2.0", source_commit="e337735"), R("0.3.0")], "release-commit"),
    "unknown-key": ([R("0.3.0", sumary="typo")], "release-metadata"),
    "not-an-object": ([R("0.2.0", source_commit=C), "0.3.0"], "release-metadata"),
    "empty": ([], "release-metadata"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_release_lists_are_refused_with_their_code(case):
    rels, code = BAD[case]
    text = json.dumps(_with(*rels), indent=2)
    with pytest.raises(ReleaseMetadataError) as e:
        parse(text)
    assert code in {i.code for i in e.value.issues}
    for issue in e.value.issues:
        line = issue.render()
        assert "\n" not in line and line.startswith("schemas/package.json:") and line.endswith(f"[{issue.code}]")
        assert issue.code in CODES


@pytest.mark.parametrize("text", ["{", "[]", '"x"', '{"releases": {}}', '{"releases": null}', "\ufeff{}"])
def test_malformed_package_json_is_one_line(text):
    with pytest.raises(ReleaseMetadataError) as e:
        parse(text)
    assert len(e.value.issues) == 1 and "\n" not in str(e.value)


def test_golden_line():
    text = json.dumps(_with(R("0.2.0", source_commit=C), R("0.1.9")), indent=2)
    with pytest.raises(ReleaseMetadataError) as e:
        parse(text)
    line = text.splitlines().index('      "version": "0.1.9",') + 1
    assert [i.render() for i in e.value.issues] == [
        f"schemas/package.json:{line}: releases[1].version: 0.1.9: not greater than the release before it "
        "(0.2.0); releases are listed oldest first [release-order]"
    ]


@pytest.mark.parametrize("command", [["validate"], ["build", "--out", "OUT"], ["changelog"], ["docs"]])
def test_commands_that_read_the_releases_refuse_a_bad_list(command, tmp_path, monkeypatch, capsys):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "package.json").write_text(
        json.dumps(_with(R("0.2.0", source_commit=C), R("banana"), {"version": "0.4.0"}), indent=2)
    )
    monkeypatch.setattr(schemas, "ROOT", tmp_path)
    rc = main([str(tmp_path / "out") if a == "OUT" else a for a in command])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "internal error" not in out + err and "Traceback" not in out + err
    assert out.splitlines()[-1] == "4 problems in the release list"
    assert not (tmp_path / "out").exists() and not (tmp_path / "CHANGELOG.md").exists()


def test_every_release_but_the_last_names_its_source_commit():
    """So that test_published_releases_rebuild_from_their_source_commit cannot skip one silently."""
    rels = META["releases"]
    assert all(len(r.get("source_commit", "")) == 40 for r in rels[:-1])


from hypothesis import given, settings, strategies as st  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
RELEASE = st.fixed_dictionaries(
    {},
    optional={
        "version": JSON | st.sampled_from(["0.1.0", "0.2.0", "1.0.0"]),
        "date": JSON | st.sampled_from(["2026-11-21", "2026-12-01"]),
        "summary": JSON,
        "source_commit": JSON | st.just(C),
        "x": JSON,
    },
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["releases", "name", "package_post_release"]),
        st.lists(RELEASE | JSON, max_size=4) | JSON,
        max_size=3,
    )
    | JSON
)
def test_no_release_list_causes_an_internal_error(meta):
    text = json.dumps(meta)
    try:
        parse(text)
    except ReleaseMetadataError as e:
        assert e.issues and all("\n" not in i.render() for i in e.issues)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_no_text_causes_an_internal_error(text):
    try:
        parse(text)
    except ReleaseMetadataError as e:
        assert e.issues
