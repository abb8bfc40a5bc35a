"""diff matches rows by each table's full primary key and renders every difference."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.cli import main
from ketamine_ssri_evidence.table_diff import diff, diff_all, render, render_all, table_names

PAIR_FIELDS = ["figure_id_a", "figure_id_b", "severity"]


def _release(folder, version, tables):
    """A minimal release folder: ``tables`` is {name: (primary key, fields, rows)}."""
    folder.mkdir(parents=True)
    resources = []
    for name, (pk, fields, rows) in tables.items():
        lines = [",".join(fields)] + [",".join(r) for r in rows]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        resources.append(
            {
                "name": name,
                "format": "csv",
                "path": f"{name}.csv",
                "schema": {"fields": [{"name": f, "type": "string"} for f in fields], "primaryKey": pk},
            }
        )
    (folder / "datapackage.json").write_text(json.dumps({"version": version, "resources": resources}), encoding="utf-8")
    return folder


@pytest.fixture
def pair(tmp_path):
    pk = ["figure_id_a", "figure_id_b"]
    old = _release(
        tmp_path / "1.0.0",
        "1.0.0",
        {
            "contradictions": (
                pk,
                PAIR_FIELDS,
                [["s/001", "s/002", "tension"], ["s/001", "s/003", "tension"], ["s/001", "s/004", "conflict"]],
            )
        },
    )
    new = _release(
        tmp_path / "1.1.0",
        "1.1.0",
        {
            "contradictions": (
                pk,
                PAIR_FIELDS,
                [["s/001", "s/002", "conflict"], ["s/001", "s/003", "tension"], ["s/001", "s/005", "tension"]],
            )
        },
    )
    return old, new


def test_pairs_are_keyed_by_both_figures(pair):
    old, new = pair
    d = diff(old, new, table="contradictions")
    assert d["key"] == ["figure_id_a", "figure_id_b"]
    assert d["added"] == ["s/001 | s/005"]
    assert d["removed"] == ["s/001 | s/004"]
    assert d["changed"] == {"s/001 | s/002": {"severity": ("tension", "conflict")}}


def test_render_shows_every_difference(pair):
    old, new = pair
    d = diff(old, new, table="contradictions")
    assert render(d).splitlines() == [
        f"contradictions {old} → {new}: 1 added, 1 removed, 1 changed; 0 schema changes "
        "(key: figure_id_a, figure_id_b)",
        "",
        "added:",
        "  s/001 | s/005",
        "",
        "removed:",
        "  s/001 | s/004",
        "",
        "changed:",
        "  s/001 | s/002",
        "    severity: tension → conflict",
    ]


def test_render_limits_each_list(tmp_path):
    pk = ["id"]
    old = _release(tmp_path / "a", "1.0.0", {"t": (pk, ["id", "v"], [])})
    new = _release(tmp_path / "b", "1.1.0", {"t": (pk, ["id", "v"], [[f"{i:02}", ""] for i in range(5)])})
    lines = render(diff(old, new, table="t"), limit=2).splitlines()
    assert lines[2:] == ["added:", "  00", "  01", "  ... and 3 more"]


def test_schema_changes_are_rendered_once_for_all_tables(tmp_path):
    a = _release(tmp_path / "a", "1.0.0", {"t": (["id"], ["id"], [["1"]])})
    b = _release(tmp_path / "b", "1.1.0", {"t": (["id"], ["id", "x"], [["1", "y"]]), "u": (["id"], ["id"], [["1"]])})
    diffs = diff_all(a, b)
    assert [d["table"] for d in diffs] == ["t", "u"]
    text = render_all(diffs)
    assert text.count("schema:") == 1
    assert "  table u: added\n" in text and "  t.x: field added (string)\n" in text
    assert "    x: ∅ → y\n" in text


@pytest.mark.parametrize("table", list(schemas.table_names()))
def test_every_table_of_the_releases_diffs_by_its_primary_key(table):
    """0.1.0 → 0.2.0 (or the last two releases): no two rows share a key, so nothing collapses."""
    import csv

    def count(version):
        path = ROOT / "build" / version / f"{table}.csv"
        if not path.is_file():
            return 0
        with path.open(encoding="utf-8", newline="") as f:
            return len(list(csv.DictReader(f)))

    d = diff("0.1.0", "0.2.0", table=table)
    assert d["key"] == list(schemas.table(table).primary_key)
    assert count("0.2.0") - len(d["added"]) == count("0.1.0") - len(d["removed"])


def test_release_020_holds_83_contradiction_pairs():
    assert len(diff("0.1.0", "0.2.0", table="contradictions")["added"]) == 83


def test_cli_all_tables(capsys):
    assert main(["diff", "0.1.0", "0.2.0", "--table", "all"]) == 0
    out = capsys.readouterr().out
    for table in table_names("0.1.0", "0.2.0"):  # the tables of either release
        assert f"\n{table} 0.1.0 → 0.2.0: " in "\n" + out
    assert "contradictions 0.1.0 → 0.2.0: 83 added" in out


def test_cli_unknown_version_is_a_usage_error(capsys):
    assert main(["diff", "0.1.0", "9.9.9"]) == 2
    assert "error:" in capsys.readouterr().err
