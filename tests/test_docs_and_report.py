"""The data dictionary and the visual report."""

from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURES, ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.data_dictionary import data_dictionary


def test_data_dictionary_is_up_to_date():
    assert (ROOT / "DATA_DICTIONARY.md").read_text(encoding="utf-8") == data_dictionary(), (
        "run: python -m ketamine_ssri_evidence docs"
    )


def test_every_published_column_and_code_is_described():
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            assert f.get("description", "").strip(), f"{res['name']}.{f['name']}"
            for code in f.get("constraints", {}).get("enum", []):
                vocab = next(
                    fl.vocabulary
                    for fl in schemas.table(res["name"].removesuffix("-xlsx")).fields
                    if fl.name == f["name"]
                )
                assert schemas.vocabulary(vocab)[code]["definition"].strip(), f"{vocab}:{code}"
    text = data_dictionary()
    for name in schemas.vocabulary_names():
        for code in schemas.vocabulary(name):
            assert f"| `{code.replace('|', chr(92) + '|')}` |" in text


def _expected_points(root=None) -> dict[str, int]:
    """Independently of the report: how many figures (or claim points) each chart must draw."""
    from ketamine_ssri_evidence import loader
    from ketamine_ssri_evidence.report import config

    figures = loader.load("figures", root=root)
    out = {}
    for g in config()["measure_groups"]:
        sfx = "" if g["values"] == "stated" else "_canonical"
        f = figures[figures["measure"].isin(g["measures"]) & (figures["qualifier"] != "qualitative")]
        has = f["value" + sfx].notna() | (f["low" + sfx].notna() & f["high" + sfx].notna())
        if g["scale"] == "log":
            has &= f["value" + sfx].fillna(f["low" + sfx]).fillna(0) > 0
        out[f"points_{g['name']}"] = int(has.sum())
    return out


def _values(spec: dict) -> list[dict]:
    """The records a chart draws: its inline data (or its one named data set)."""
    data = spec.get("data", {})
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def _expected_claims(root=None) -> int:
    """Credited article figures with a number in the claims dimension."""
    from ketamine_ssri_evidence import loader
    from ketamine_ssri_evidence.report import config

    figures = loader.load("figures", root=root).set_index("figure_id")
    claims = loader.load("claim_checks", root=root)
    a = figures.loc[claims["figure_id"]]
    a = a[a["dimension"] == config()["claims_dimension"]]
    return int((a["value_canonical"].notna() | (a["low_canonical"].notna() & a["high_canonical"].notna())).sum())


def _first(pattern: str, page: str) -> str:
    """The first group of ``pattern``'s first match in the page (the test fails if there is none)."""
    m = re.search(pattern, page, re.S)
    assert m is not None, f"the page has no {pattern!r}"
    return m.group(1)


def _check_page(out, root=None):
    page = (out / "index.html").read_text(encoding="utf-8")
    # opens offline: every script inline, no external resource of any kind
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", page, re.I)
    assert "<link" not in page and not re.search(r"<script[^>]*\ssrc=", page) and "url(http" not in page
    specs = json.loads(
        _first(r"<script type='application/json' id='report-specs'>(.*?)</script>", page).replace("<\\/", "</")
    )
    expected = _expected_points(root)
    for mark, n in expected.items():
        name = "measure_" + mark.removeprefix("points_")
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(_values(specs[name])) == n, name
    claims = _values(specs["claims"])
    assert len({p["figure_id"] for p in claims if p["role"] == "article says"}) == _expected_claims(root)
    ld = json.loads(_first(r"<script type='application/ld\+json'>(.*?)</script>", page))
    assert ld["@type"] == "Dataset" and ld["version"] in page
    return page


@pytest.fixture(scope="module")
def small_release(tmp_path_factory):
    from ketamine_ssri_evidence.release_build import build

    tmp = tmp_path_factory.mktemp("small")
    build(raw_dir=FIXTURES / "valid" / "raw", out_dir=tmp / "build", root_descriptor=tmp / "datapackage.json")
    return tmp / "build"


@pytest.mark.slow  # a second report, drawn from the valid fixture
def test_report_from_a_small_release(small_release, tmp_path):
    pytest.importorskip("altair")
    from ketamine_ssri_evidence.report import write_report

    write_report(tmp_path / "r", root=small_release)
    _check_page(tmp_path / "r", root=small_release)


@pytest.mark.slow  # the whole report of the real release, charts drawn (the chart data: test_report_data.py)
def test_report_from_the_real_release(real_report):
    page = _check_page(real_report)
    from ketamine_ssri_evidence import loader

    claims = loader.load("claim_checks")
    contra = loader.load("contradictions")
    # the tables list every claim and every contradiction
    for table, n in (("claims-table", len(claims)), ("contradictions-table", len(contra))):
        body = _first(rf"<table class='data' id='{table}'>.*?<tbody>(.*?)</tbody>", page)
        assert body.count("<tr>") == n


def test_classes_and_colours_come_from_schemas(monkeypatch):
    """A verdict class the code has never seen shows with its vocabulary label and a palette colour."""
    pytest.importorskip("altair")
    from ketamine_ssri_evidence import report

    real = report.labels
    monkeypatch.setattr(
        report, "labels", lambda v: {**real(v), "reviewed_new": "Reviewed (new)"} if v == "verdict" else real(v)
    )
    scale = report._scale("verdict", "verdict", ["consistent", "reviewed_new"])
    cfg = report.config()
    assert scale["domain"] == ["Consistent", "Reviewed (new)"]
    assert scale["range"][0] == cfg["colors"]["verdict"]["consistent"] and scale["range"][1] in cfg["palette"]
    pops = list(schemas.vocabulary("population"))
    assert report.colours("population", pops) == [
        cfg["colors"]["population"].get(p) or report.colours("population", [p])[0] for p in pops
    ]


def test_readme_embeds_a_chart_of_the_committed_report():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert images and all((ROOT / p).is_file() for p in images)
    assert readme.index(images[0]) < len(readme) // 4, "the chart stands near the top"
