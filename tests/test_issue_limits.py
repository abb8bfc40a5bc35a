"""issues.IssueList: at most ``limit`` problems of one code per file, and one line for the rest."""

from __future__ import annotations

from ketamine_ssri_evidence.issues import Issue, IssueList


def _type(path: str, line: int) -> Issue:
    return Issue(path, line, "value", "x", "type", "not a plain decimal number")


def test_a_file_keeps_the_first_problems_of_a_code_and_counts_the_rest():
    issues = IssueList(limit=2)
    issues.extend(_type("a.csv", n) for n in range(2, 1207))  # 1,205 problems
    issues.append(Issue("a.csv", 9, "unit", "", "unit-missing", "a figure with numbers needs a unit"))
    issues.append(_type("b.csv", 2))
    assert [i.render() for i in issues.finish()] == [
        "a.csv:2: value: x: not a plain decimal number [type]",
        "a.csv:3: value: x: not a plain decimal number [type]",
        'a.csv:9: unit: "": a figure with numbers needs a unit [unit-missing]',
        "b.csv:2: value: x: not a plain decimal number [type]",
        "a.csv:0: -: -: 1,203 more type problems in this file are not listed (at most 2 of one code per file); fix "
        "the ones above and validate again [too-many-problems]",
    ]


def test_the_limit_is_per_file_and_code_and_merging_adds_the_counts():
    one, two = IssueList(limit=1), IssueList(limit=1)
    one.extend([_type("a.csv", 2), _type("a.csv", 3)])
    two.extend([_type("a.csv", 4), _type("a.csv", 5), _type("a.csv", 6)])
    one.merge(two)
    assert [(i.line, i.code) for i in one.finish()] == [(2, "type"), (0, "too-many-problems")]
    assert one.finish()[-1].reason.startswith("4 more type problems in this file")  # 1 + 2 dropped, 1 merged in
    assert IssueList(limit=3).finish() == []
    full = IssueList(limit=1000)
    full.extend(_type("a.csv", n) for n in range(1000))
    assert len(full.finish()) == 1000  # exactly the limit: nothing cut
