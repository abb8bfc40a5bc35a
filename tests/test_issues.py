"""Issues: stable codes and the exact rendered forms (text, GitHub annotation, JSON)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from ketamine_ssri_evidence.issues import CODES, Issue, render_github, render_json, render_text, summary


def issue(**kw) -> Issue:
    d: dict = dict(
        path="raw/demo/figures.csv",
        line=3,
        field="low",
        value="6",
        code="value-order",
        reason="low 6 is greater than high 2",
    )
    d.update(kw)
    return Issue(**d)


def test_unknown_code_is_refused():
    with pytest.raises(ValueError, match="unknown issue code 'nope'"):
        issue(code="nope")


def test_render_is_path_line_field_value_reason_code():
    assert issue().render() == "raw/demo/figures.csv:3: low: 6: low 6 is greater than high 2 [value-order]"


@pytest.mark.parametrize(
    "field,value,shown",
    [
        ("low", "", '""'),  # an empty cell
        ("", "", "-"),  # no field, no value (a whole-file problem)
        ("", "x", "x"),
        ("note", "a\tb", "a\\tb"),  # not printable: escaped
        ("note", "é", "é"),  # printable non-ASCII stays as it is
        ("note", "y" * 80, "y" * 80),  # 80 characters: shown whole
        ("note", "y" * 81, "y" * 77 + "..."),  # longer: cut to 80
    ],
)
def test_render_shows_the_value_plainly(field, value, shown):
    assert (
        issue(field=field, value=value).render()
        == f"raw/demo/figures.csv:3: {field or '-'}: {shown}: low 6 is greater than high 2 [value-order]"
    )


def test_github_annotation():
    assert (
        issue().github()
        == "::error file=raw/demo/figures.csv,line=3,title=value-order::low: low 6 is greater than high 2"
    )
    assert issue(line=0, field="", reason="50% off\nnext").github() == (
        "::error file=raw/demo/figures.csv,line=1,title=value-order::-: 50%25 off%0Anext"
    )


def test_summary():
    assert summary([]) == "0 problems"
    assert summary([issue()]) == "1 problem: value-order 1"
    two = [issue(code="unit-missing"), issue(), issue(line=4)]
    assert summary(two) == "3 problems: unit-missing 1, value-order 2"


def test_render_text_sorts_and_ends_with_the_count():
    a, b = (
        issue(line=4),
        issue(line=2, code="unit-missing", field="unit", value="", reason="a figure with numbers needs a unit"),
    )
    assert render_text([a, b]) == (
        'raw/demo/figures.csv:2: unit: "": a figure with numbers needs a unit [unit-missing]\n'
        "raw/demo/figures.csv:4: low: 6: low 6 is greater than high 2 [value-order]\n"
        "2 problems: unit-missing 1, value-order 1\n"
    )
    assert render_text([]) == "0 problems\n"


def test_render_github_ends_with_the_count():
    assert render_github([issue(line=4), issue()]) == (
        "::error file=raw/demo/figures.csv,line=3,title=value-order::low: low 6 is greater than high 2\n"
        "::error file=raw/demo/figures.csv,line=4,title=value-order::low: low 6 is greater than high 2\n"
        "2 problems: value-order 2\n"
    )


def test_render_json_layout():
    """Two-space indents, one key a line, non-ASCII as it is: a diff of two reports stays readable."""
    assert (
        render_json([issue(value="é")])
        == """{
  "problems": [
    {
      "path": "raw/demo/figures.csv",
      "line": 3,
      "field": "low",
      "value": "é",
      "code": "value-order",
      "reason": "low 6 is greater than high 2"
    }
  ],
  "count": 1,
  "by_code": {
    "value-order": 1
  }
}
"""
    )


def test_render_json():
    data = json.loads(render_json([issue(line=4), issue(code="unit-missing")]))
    assert data == {
        "problems": [
            {
                "path": "raw/demo/figures.csv",
                "line": 3,
                "field": "low",
                "value": "6",
                "code": "unit-missing",
                "reason": "low 6 is greater than high 2",
            },
            {
                "path": "raw/demo/figures.csv",
                "line": 4,
                "field": "low",
                "value": "6",
                "code": "value-order",
                "reason": "low 6 is greater than high 2",
            },
        ],
        "count": 2,
        "by_code": {"unit-missing": 1, "value-order": 1},
    }
    assert render_json([]).endswith("\n") and json.loads(render_json([]))["count"] == 0
    assert "é" in render_json([issue(value="é")])  # not escaped


def test_every_code_is_explained():
    assert all(c == c.lower() and " " not in c and meaning.endswith(".") for c, meaning in CODES.items())


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))), st.text())
def test_render_is_one_line_and_keeps_the_code(field, value):
    """Whatever the value holds (newlines, control characters), the problem stays on one line."""
    line = issue(field=field, value=value).render()
    assert len(line.splitlines()) == 1
    assert line.endswith(" [value-order]") and line.startswith("raw/demo/figures.csv:3: ")
