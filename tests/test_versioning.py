"""The kind of release a change needs, and the versions that may follow a release."""

from __future__ import annotations

import pytest

from conftest import ROOT
from ketamine_ssri_evidence.table_diff import diff_all
from ketamine_ssri_evidence.version_bump import bump_kind, changes, check_bump, needed, next_versions


def _diff(table="figures", added=(), removed=(), changed=None, schema=()):
    return {
        "table": table,
        "added": list(added),
        "removed": list(removed),
        "changed": changed or {},
        "schema": list(schema),
        "key": ["k"],
        "from": "a",
        "to": "b",
    }


@pytest.mark.parametrize(
    "diffs, kind",
    [
        ([], None),
        ([_diff(changed={"f/1": {"value": ("1", "2")}})], "patch"),
        ([_diff("contradictions", added=["a | b"])], "patch"),  # computed: follows from a correction
        ([_diff("claim_checks", removed=["f/1"])], "patch"),
        ([_diff(added=["f/9"])], "minor"),
        ([_diff(removed=["f/9"])], "minor"),
        ([_diff("sources", added=["s"])], "minor"),
        ([_diff(schema=["figures.x: field added (string)"])], "minor"),
        ([_diff(schema=["figures.measure: codes added: new_code"])], "minor"),
        ([_diff(schema=["table extra: added"])], "minor"),
        ([_diff(schema=["figures.x: constraint maxLength 10 → 20"])], "minor"),
        ([_diff(schema=["figures.x: field removed"])], "major"),
        ([_diff(schema=["figures.measure: codes removed: old_code"])], "major"),
        ([_diff(schema=["figures.n: type integer → number"])], "major"),
        ([_diff(schema=["table extra: removed"])], "major"),
        ([_diff(schema=["table figures: primary key ['a'] → ['a', 'b']"])], "major"),
    ],
)
def test_kind_of_change(diffs, kind):
    assert needed(changes(diffs)) == kind


def test_release_020_was_a_minor_change():
    found = changes(diff_all("0.1.0", "0.2.0"), ROOT / "build" / "0.1.0", ROOT / "build" / "0.2.0")
    assert needed(found) == "minor"
    assert ("minor", "release file added: contradictions.csv") in found


def test_files_added_and_removed(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, names in ((a, ["x.csv", "gone.csv"]), (b, ["x.csv", "new.xlsx"])):
        d.mkdir()
        for n in names:
            (d / n).write_text("")
    assert changes([], a, b) == [("minor", "release file added: new.xlsx"), ("major", "release file removed: gone.csv")]


def test_next_versions():
    assert next_versions("0.2.0") == {"patch": "0.2.1", "minor": "0.3.0", "major": "1.0.0"}
    assert [bump_kind("1.2.3", v) for v in ("1.2.4", "1.3.0", "2.0.0", "1.2.3", "1.4.0", "2.0.1")] == [
        "patch",
        "minor",
        "major",
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    "previous, version, need, refused",
    [
        ("0.2.0", "0.2.1", "patch", None),
        ("0.2.0", "0.3.0", "patch", None),  # a minor release may correct
        ("0.2.0", "0.2.1", "minor", "need a minor release (0.3.0)"),
        ("0.2.0", "0.3.0", "major", None),  # 0.x: a minor release may break
        ("1.2.0", "1.3.0", "major", "need a major release (2.0.0)"),
        ("1.2.0", "2.0.0", "minor", "nothing since 1.2.0 breaks"),
        ("0.2.0", "1.0.0", "patch", None),  # the first stable release
        ("0.2.0", "0.2.1", None, "nothing changed"),
        ("0.2.0", "0.1.9", "patch", "does not follow 0.2.0"),
        ("0.2.0", "banana", "patch", "not a semantic version"),
        ("0.2.0", "0.4.0", "minor", "does not follow"),
    ],
)
def test_check_bump(previous, version, need, refused):
    why = check_bump(previous, version, need)
    assert (why is None) if refused is None else (why is not None and refused in why)


def test_build_only_refuses_too_small_a_bump():
    assert check_bump("0.2.0", "0.2.1", None, strict=False) is None
    assert check_bump("1.2.0", "2.0.0", "patch", strict=False) is None
    assert "need a minor" in (check_bump("0.2.0", "0.2.1", "minor", strict=False) or "")
