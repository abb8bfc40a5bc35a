"""The report's measure charts draw every numeric figure of their measures, and nothing else.

This checks the data each chart's Vega-Lite specification carries (the page draws exactly
these records), not the size of an image. The expected figures are counted here from the
release itself, independently of the report module.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT
from ketamine_ssri_evidence import report  # (imports altair when it draws)

GROUPS = json.loads((ROOT / "schemas" / "report.json").read_text(encoding="utf-8"))["measure_groups"]


@pytest.fixture(scope="module")
def charts():
    pytest.importorskip("altair")
    _, charts, _ = report.charts(draw=False)  # the specifications; drawing them is another test's
    return {c.name: c for c in charts}


def _records(spec: dict) -> list[dict]:
    """Every data record a specification carries (inline data lives in ``datasets``)."""
    out = [r for values in spec.get("datasets", {}).values() for r in values]

    def walk(node):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                out.extend(data["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return [r for r in out if isinstance(r, dict)]


def _expected(group: dict) -> set[str]:
    figures = kse.load("figures")
    suffix = "" if group["values"] == "stated" else "_canonical"
    keep = set()
    for f in figures.itertuples():
        if str(f.measure) not in group["measures"] or str(f.qualifier) == "qualitative":
            continue
        v, lo, hi = (getattr(f, k + suffix) for k in ("value", "low", "high"))
        v, lo, hi = (None if pd.isna(x) else float(x) for x in (v, lo, hi))
        if v is not None:
            x = v
        elif lo is not None and hi is not None:
            x = (lo + hi) / 2
        else:
            continue
        if group["scale"] == "log" and (x <= 0 or (lo is not None and lo <= 0)):
            continue
        keep.add(str(f.figure_id))
    return keep


@pytest.mark.parametrize("group", GROUPS, ids=[g["name"] for g in GROUPS])
def test_measure_chart_draws_every_numeric_figure(charts, group):
    chart = charts[f"measure_{group['name']}"]
    drawn = [r for r in _records(chart.spec) if r.get("group") == group["name"]]
    expected = _expected(group)
    assert expected, f"the release has no figure for {group['name']}"
    assert {r["figure_id"] for r in drawn} == expected
    assert len(drawn) == len(expected)  # one mark per figure, none twice
    for r in drawn:  # each point carries what its tooltip shows
        assert r["value_text"] and r["source_id"] and r["locator"]
