"""diff: what changed between two releases, and how it is printed."""
from __future__ import annotations

import json

import pytest

from conftest import cli
from ketamine_ssri_evidence.diff import diff, render


def _release(folder, rows, fields, enum=("a", "b")):
    folder.mkdir()
    schema: dict = {"fields": [{"name": f, "type": "string"} for f in fields], "primaryKey": ["figure_id"]}
    schema["fields"][-1]["constraints"] = {"enum": list(enum)}
    desc = {"name": "t", "resources": [{"name": "figures", "path": "figures.csv", "format": "csv", "schema": schema}]}
    (folder / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    lines = [",".join(fields)] + [",".join(r) for r in rows]
    (folder / "figures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def pair(tmp_path):
    old = _release(tmp_path / "old", [("s/001", "1", "a"), ("s/002", "2", "a"), ("s/003", "3", "a")],
                   ["figure_id", "value", "code"])
    new = _release(tmp_path / "new", [("s/001", "1", "a"), ("s/002", "", "b"), ("s/004", "4", "a"), ("s/005", "5", "b")],
                   ["figure_id", "value", "code"], enum=("a", "b", "c"))
    return str(old), str(new)


def test_diff_finds_added_removed_changed_and_schema_changes(pair):
    d = diff(*pair)
    assert d["added"] == ["s/004", "s/005"] and d["removed"] == ["s/003"]
    assert d["changed"] == {"s/002": {"code": ("a", "b"), "value": ("2", "")}}
    assert d["schema"] == ["figures.code: codes added: c"]


def test_render_prints_every_part(pair):
    old, new = pair
    assert render(diff(old, new)).splitlines() == [
        f"figures {old} → {new}: 2 added, 1 removed, 1 changed; 1 schema changes",
        "",
        "added:",
        "  s/004",
        "  s/005",
        "",
        "removed:",
        "  s/003",
        "",
        "changed:",
        "  s/002",
        "    code: a → b",
        "    value: 2 → ∅",
        "",
        "schema:",
        "  figures.code: codes added: c",
    ]


def test_render_with_a_limit_says_how_many_more(pair):
    text = render(diff(*pair), limit=1)
    assert "added:\n  s/004\n  ... and 1 more\n" in text
    assert "s/005" not in text


def test_real_releases_every_item_is_printed():
    d = diff("0.1.0", "0.2.0")
    assert (len(d["added"]), len(d["removed"])) == (82, 9) and d["changed"] and d["schema"]
    lines = render(d).splitlines()
    assert lines[0] == (f"figures 0.1.0 → 0.2.0: 82 added, 9 removed, {len(d['changed'])} changed; "
                        f"{len(d['schema'])} schema changes")
    body = set(lines[1:])
    for k in d["added"] + d["removed"] + list(d["changed"]):
        assert f"  {k}" in body, k
    for fields in d["changed"].values():
        for f, (o, n) in fields.items():
            assert f"    {f}: {o or '∅'} → {n or '∅'}" in body
    assert "  table claim_checks: added" in body and "  figures.subgroup: field added (string)" in body


def test_cli_diff_in_every_format(pair):
    old, new = pair
    text = cli("diff", old, new)
    assert (text.code, text.out) == (0, render(diff(old, new)))
    as_json = cli("diff", old, new, "--format", "json")
    assert json.loads(as_json.out)["added"] == ["s/004", "s/005"]
    md = cli("diff", old, new, "--format", "markdown")
    assert md.out.startswith("```\nfigures ") and md.out.rstrip().endswith("```") and "  s/003" in md.out


def test_cli_diff_of_an_unknown_version_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("DATAPACKAGE_BASE_URL", "http://127.0.0.1:9/")  # nothing listens: no download
    r = cli("diff", "0.1.0", "9.9.9")
    assert r.code == 2 and r.err.startswith("error: version 9.9.9") and "Traceback" not in r.err
