"""Published versions never change; a new version never rewrites an earlier one."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import ROOT
from ketamine_ssri_evidence import releases
from ketamine_ssri_evidence.release_build import build
from ketamine_ssri_evidence.releases import ReleaseConflict, read_manifest, verify
from ketamine_ssri_evidence.version_bump import next_versions


def test_every_published_file_matches_the_manifest():
    assert verify(ROOT / "build") == []
    listed = {f["path"] for e in read_manifest(ROOT / "build")["versions"] for f in e["files"]}
    on_disk = {
        p.relative_to(ROOT / "build").as_posix()
        for p in (ROOT / "build").rglob("*")
        if p.is_file() and p.name != "versions.json"
    }
    assert on_disk == listed, "every file under build/ is a published file listed in build/versions.json"


def test_manifest_lists_every_release_of_package_json():
    published = [e["version"] for e in read_manifest(ROOT / "build")["versions"]]
    assert published == [r["version"] for r in releases.releases()]
    dates = {e["version"]: e["date"] for e in read_manifest(ROOT / "build")["versions"]}
    assert all(dates[r["version"]] == r["date"] for r in releases.releases())


def _copy_project(tmp_path, real_build):
    """A copy of raw/ with its build (the session's, conftest.real_build) beside it."""
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    shutil.copytree(real_build / "build", tmp_path / "build")
    shutil.copy(real_build / "datapackage.json", tmp_path / "datapackage.json")
    return raw, tmp_path / "build", tmp_path / "datapackage.json"


def test_changing_raw_without_a_new_version_is_refused(tmp_path, real_build):
    raw, out, desc = _copy_project(tmp_path, real_build)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    fig = next(raw.glob("*/figures.csv"))
    fig.write_text(
        fig.read_text(encoding="utf-8")
        .replace("up to 72%", "up to 72%", 1)
        .replace(",remission_rate,", ",response_rate,", 1),
        encoding="utf-8",
    )
    with pytest.raises(ReleaseConflict, match="add a new release"):
        build(raw_dir=raw, out_dir=out, root_descriptor=desc)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_new_version_leaves_earlier_ones_alone(tmp_path, monkeypatch, real_build):
    raw, out, desc = _copy_project(tmp_path, real_build)
    v1 = out / releases.current_release()["version"]
    first = {p.name: p.read_bytes() for p in v1.iterdir()}
    nxt = next_versions(releases.current_release()["version"])["patch"]
    meta = releases.package_metadata()
    meta["releases"][-1]["source_commit"] = "0" * 40
    meta["releases"].append({"version": nxt, "date": "2099-01-01", "summary": "test"})
    fig = next(raw.glob("*/figures.csv"))
    fig.write_text(fig.read_text(encoding="utf-8").replace(",remission_rate,", ",response_rate,", 1), encoding="utf-8")
    v2 = build(raw_dir=raw, out_dir=out, root_descriptor=desc, meta=meta)
    assert v2.name == nxt
    assert {p.name: p.read_bytes() for p in v1.iterdir()} == first
    assert [e["version"] for e in read_manifest(out)["versions"]] == [meta["releases"][-2]["version"], nxt]
    assert json.loads(desc.read_text())["version"] == nxt
    assert verify(out) == []


def test_build_refuses_too_small_a_bump(tmp_path, real_build):
    """A hand-edited release list: a patch release that adds rows is refused, nothing written."""
    raw, out, desc = _copy_project(tmp_path, real_build)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    nxt = next_versions(releases.current_release()["version"])["patch"]
    meta = releases.package_metadata()
    meta["releases"].append({"version": nxt, "date": "2099-01-01", "summary": "test"})
    src = next(p for p in sorted(raw.iterdir()) if p.is_dir())
    new = raw / "example-new-source"
    new.mkdir()
    for f in ("source.yaml", "figures.csv"):
        (new / f).write_text((src / f).read_text(encoding="utf-8").replace(src.name, new.name), encoding="utf-8")
    with pytest.raises(ReleaseConflict, match=f"{nxt} is a patch release, but the changes .* need a minor release"):
        build(raw_dir=raw, out_dir=out, root_descriptor=desc, meta=meta)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_citation_names_the_current_release():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    current = releases.current_release()
    assert f'version: "{current["version"]}"' in text and f'date-released: "{current["date"]}"' in text


def test_changelog_is_up_to_date():
    from ketamine_ssri_evidence.changelog import changelog

    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8") == changelog(), (
        "run: python -m ketamine_ssri_evidence changelog"
    )


@pytest.mark.slow  # each past release built by its own commit's code, in a fresh process
def test_published_releases_rebuild_from_their_source_commit(tmp_path):
    """A past release is reproducible: its own commit's code and data build it byte for byte."""
    import subprocess
    import sys

    done = 0
    rels = releases.releases()
    for i, r in enumerate(rels):
        commit = r.get("source_commit")
        if i == len(rels) - 1:
            continue  # the current release: checked against raw/ by test_gate
        assert commit, f"release {r['version']} has no source_commit: it could never be rebuilt"
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True)
        if archive.returncode != 0:
            shallow = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"], capture_output=True, text=True
            )
            if shallow.returncode != 0 or shallow.stdout.strip() == "true":
                pytest.skip(
                    f"commit {commit} of release {r['version']} is not in this clone "
                    "(not a git checkout, or a shallow clone: git fetch --unshallow)"
                )
            pytest.fail(f"release {r['version']}: source_commit {commit} is not a commit of this repository")
        tree = tmp_path / r["version"]
        tree.mkdir()
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        for f in (tree / "build" / r["version"]).iterdir():
            f.unlink()
        (tree / "build" / "versions.json").unlink()
        # The commit's own code, run from its datapackage/ folder (whatever its import name was then)
        proc = subprocess.run(
            [sys.executable, "-m", "datapackage", "build"], cwd=tree, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        for f in (ROOT / "build" / r["version"]).iterdir():
            assert (tree / "build" / r["version"] / f.name).read_bytes() == f.read_bytes(), f"{r['version']}/{f.name}"
        done += 1
    assert done or len(releases.releases()) == 1


def test_readme_counts_are_up_to_date():
    from ketamine_ssri_evidence.data_dictionary import readme_counts, with_readme_counts

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_readme_counts(readme, readme_counts()) == readme, "run: python -m ketamine_ssri_evidence docs"
