"""The data dictionary and the visual report."""
from __future__ import annotations

import json
import re
import struct

import pytest

from conftest import FIXTURES, ROOT
from ketamine_ssri_evidence import _schema
from ketamine_ssri_evidence.docs import data_dictionary


def test_data_dictionary_is_up_to_date():
    assert (ROOT / "DATA_DICTIONARY.md").read_text(encoding="utf-8") == data_dictionary(), \
        "run: python -m ketamine_ssri_evidence docs"


def test_every_published_column_and_code_is_described():
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            assert f.get("description", "").strip(), f"{res['name']}.{f['name']}"
            for code in f.get("constraints", {}).get("enum", []):
                vocab = next(fl.vocabulary for fl in _schema.table(res["name"].removesuffix("-xlsx")).fields if fl.name == f["name"])
                assert _schema.vocabulary(vocab)[code]["definition"].strip(), f"{vocab}:{code}"
    text = data_dictionary()
    for name in _schema.vocabulary_names():
        for code in _schema.vocabulary(name):
            assert f"| `{code.replace('|', chr(92) + '|')}` |" in text


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _check_report(out):
    from ketamine_ssri_evidence.report import KEY_MEASURES

    page = (out / "index.html").read_text(encoding="utf-8")
    names = [f"measure_{k}" for k, _, _ in KEY_MEASURES] + ["claims", "contradictions", "counts"]
    for name in names:
        png = (out / f"{name}.png").read_bytes()
        w, h = _png_size(png)
        assert w > 300 and h > 150 and len(png) > 5000, name
        assert f"id='{name}'" in page
    assert page.count("data:image/png;base64,") == len(names)
    # opens offline: no external resource of any kind
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", page, re.I)
    assert "<link" not in page and "<script" not in page and "url(" not in page


@pytest.fixture(scope="module")
def small_release(tmp_path_factory):
    from ketamine_ssri_evidence.building import build

    tmp = tmp_path_factory.mktemp("small")
    build(raw_dir=FIXTURES / "valid" / "raw", out_dir=tmp / "build", root_descriptor=tmp / "datapackage.json")
    return tmp / "build"


def test_report_from_a_small_release(small_release, tmp_path):
    pytest.importorskip("matplotlib")
    from ketamine_ssri_evidence.report import write_report

    write_report(tmp_path / "r", root=small_release)
    _check_report(tmp_path / "r")


def test_report_from_the_real_release(tmp_path):
    pytest.importorskip("matplotlib")
    from ketamine_ssri_evidence.report import write_report

    write_report(tmp_path / "r")
    _check_report(tmp_path / "r")


def test_readme_embeds_a_chart_of_the_committed_report():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert images and all((ROOT / p).is_file() for p in images)
    assert readme.index(images[0]) < len(readme) // 4, "the chart stands near the top"
