"""The read side of releases: names and manifests from anywhere are checked before use."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from conftest import ROOT
from ketamine_ssri_evidence import releases
from ketamine_ssri_evidence.releases import ManifestError, is_file_name, is_version, parse_manifest, version_key


@given(st.text(max_size=40))
def test_a_version_or_file_name_never_reaches_outside_its_folder(text):
    for ok in (is_version(text), is_file_name(text)):
        if ok:
            assert "/" not in text and "\\\\" not in text and text not in (".", "..") and not text.startswith(".")
            assert text.isascii() and text.isprintable() and text.strip() == text


@given(st.binary(max_size=300))
def test_parse_manifest_accepts_or_refuses_in_one_line(data):
    try:
        parse_manifest(data, "x")
    except ManifestError as e:
        assert "\n" not in str(e)


def test_the_shipped_manifest_parses():
    assert list(parse_manifest((ROOT / "build" / "versions.json").read_bytes(), "build/versions.json")) == [
        r["version"] for r in releases.releases()
    ]


@pytest.mark.parametrize("names", [["figures.csv", "FIGURES.csv"], ["a.csv", "a.csv"]])
def test_names_one_file_system_would_merge_are_refused(names):
    man = {
        "versions": [
            {
                "version": "1.0.0",
                "date": "2026-01-01",
                "files": [{"path": f"1.0.0/{n}", "bytes": 1, "sha256": "0" * 64} for n in names],
            }
        ]
    }
    with pytest.raises(ManifestError, match="listed twice"):
        parse_manifest(json.dumps(man).encode(), "x")


def test_semantic_version_order():
    order = ["0.9.0", "0.10.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert sorted(reversed(order), key=version_key) == order
    assert sorted(["banana", "0.1.0"], key=version_key) == ["banana", "0.1.0"]  # never a TypeError
