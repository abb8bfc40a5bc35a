"""CONTRIBUTING.md stays true: its code table and its worked examples match the project."""

from __future__ import annotations

import csv
import re

from conftest import ROOT
from ketamine_ssri_evidence.issues import CODES

TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_code_table_matches_the_codes_in_the_code():
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.+) \|$", TEXT, re.M)
    assert [c for c, _ in rows] == list(CODES)
    assert {c: m for c, m in rows} == CODES


def test_worked_examples_are_real_rows():
    blocks = re.findall(r"```figure\n(.*?)```", TEXT, re.S)
    assert len(blocks) >= 5
    raw = {}
    for path in (ROOT / "raw").glob("*/figures.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            raw.update({r["figure_id"]: r for r in csv.DictReader(f)})
    for block in blocks:
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines())
        row = raw[fields["figure_id"]]
        for k, v in fields.items():
            assert row[k] == v, f"{fields['figure_id']}.{k}: CONTRIBUTING says {v!r}, raw/ has {row[k]!r}"
