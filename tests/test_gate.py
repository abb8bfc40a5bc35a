"""The real data: raw/ validates, build/ is up to date and reproducible, outside tools agree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ARTICLES, ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.release_build import build
from ketamine_ssri_evidence.releases import current_release
from ketamine_ssri_evidence.validation import validate

VERSION = current_release()["version"]


def test_raw_is_valid():
    assert [i.render() for i in validate().issues] == []


@pytest.mark.skipif(not ARTICLES.is_dir(), reason="archived article texts not available here")
def test_provenance_against_archived_articles():
    result = validate(snapshots=ARTICLES)
    assert [i.render() for i in result.issues] == []


def test_build_is_up_to_date_with_raw(real_build):
    built = real_build / "build" / VERSION  # raw/ built once a run (conftest.real_build)
    files = {p.name: p.read_bytes() for p in built.iterdir()}
    release = ROOT / "build" / VERSION
    assert sorted(p.name for p in release.iterdir()) == sorted(files), "run: python -m ketamine_ssri_evidence build"
    stale = [name for name, data in files.items() if (release / name).read_bytes() != data]
    assert not stale, (
        f"build/{VERSION}/{', '.join(stale)} no longer match raw/ and schemas/. If {VERSION} is already "
        f"published (listed in build/versions.json), do not rebuild it: add a new release at the end of "
        f"'releases' in schemas/package.json, then run: python -m ketamine_ssri_evidence build"
    )


def test_root_descriptor_describes_current_release(real_build):
    assert (real_build / "datapackage.json").read_bytes() == (ROOT / "datapackage.json").read_bytes()
    desc = json.loads((ROOT / "datapackage.json").read_text())
    assert desc["version"] == VERSION
    assert all(r["path"].startswith(f"build/{VERSION}/") for r in desc["resources"])


def test_build_is_deterministic(tmp_path, real_build):
    shutil.copytree(real_build, tmp_path / "a")  # the session's build of raw/ (conftest.real_build)
    a = tmp_path / "a" / "build" / VERSION
    b = build(out_dir=tmp_path / "b" / "build", root_descriptor=tmp_path / "b" / "datapackage.json")
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    # and rebuilding in place changes nothing
    before = {n: (a / n).read_bytes() for n in names}
    build(out_dir=tmp_path / "a" / "build", root_descriptor=tmp_path / "a" / "datapackage.json")
    assert {n: (a / n).read_bytes() for n in names} == before


@pytest.mark.slow  # frictionless's own command reads every cell of every format
def test_frictionless_validates_the_package_as_an_outside_client():
    from pathlib import Path

    exe = str(Path(sys.executable).parent / "frictionless")
    proc = subprocess.run([exe, "validate", "datapackage.json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_release_descriptor_lists_bytes_and_hashes():
    import hashlib

    release = ROOT / "build" / VERSION
    desc = json.loads((release / "datapackage.json").read_text())
    for res in desc["resources"]:
        data = (release / res["path"]).read_bytes()
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert {r["name"] for r in desc["resources"] if r["format"] == "csv"} == set(schemas.table_names())


def test_failed_build_leaves_build_untouched(tmp_path, real_build):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    out = tmp_path / "build"
    shutil.copytree(real_build / "build", out)  # raw/ built (conftest.real_build)
    shutil.copy(real_build / "datapackage.json", tmp_path / "datapackage.json")
    snapshot = {
        p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "raw" not in p.parts
    }
    fig = next(raw.glob("*/figures.csv"))
    fig.write_text(fig.read_text(encoding="utf-8").replace(",remission_rate,", ",remision_rate,", 1), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ketamine_ssri_evidence", "build", "--raw", str(raw), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and "unknown-code" in proc.stdout and "Traceback" not in proc.stderr
    after = {
        p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "raw" not in p.parts
    }
    assert after == snapshot


def test_every_article_has_a_source_and_figures():
    rows = validate().rows
    snapshots = {s["snapshot"] for s in rows["sources"] if s.get("snapshot")}
    if ARTICLES.is_dir():
        assert {p.name for p in ARTICLES.glob("*.txt")} <= snapshots
    articles = {s["source_id"] for s in rows["sources"] if s["resolution"] == "archived"}
    per_source = {sid: sum(1 for f in rows["figures"] if f["source_id"] == sid) for sid in articles}
    assert all(n > 0 for n in per_source.values()), per_source
    # sources that could not be read have no figures of their own
    unread = {s["source_id"] for s in rows["sources"] if s["resolution"] in ("identified", "unresolved")}
    assert not any(f["source_id"] in unread for f in rows["figures"])


def test_every_credited_figure_is_checked():
    import csv

    release = ROOT / "build" / VERSION
    with (release / "figures.csv").open(encoding="utf-8", newline="") as f:
        credited = {r["figure_id"] for r in csv.DictReader(f) if r["attributed_to"]}
    with (release / "claim_checks.csv").open(encoding="utf-8", newline="") as f:
        checked = {r["figure_id"] for r in csv.DictReader(f)}
    assert credited and credited == checked
