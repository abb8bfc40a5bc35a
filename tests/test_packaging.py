"""Packaging: python -m build makes an sdist that carries what a build needs and a wheel
from it that carries schemas/ and the current release; the version is the data release's;
loading needs only pandas and pyarrow; the package installs beside the unrelated
``datapackage`` distribution of the index and both work. Building and installing are the
slow tier (python -m pytest --slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from ketamine_ssri_evidence import __version__
from ketamine_ssri_evidence.release_metadata import package_version
from ketamine_ssri_evidence.releases import current_release

VERSION = current_release()["version"]
META = json.loads((ROOT / "schemas" / "package.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """``python -m build``: the sdist, then the wheel built from the unpacked sdist."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        if "Could not find a version" in tail or "NewConnectionError" in tail or "Max retries" in tail:
            pytest.skip("the package index is unreachable (python -m build installs setuptools from it)")
        pytest.fail(tail)
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


@pytest.fixture(scope="module")
def wheel(dist):
    return dist[1]


def test_the_version_is_the_data_release():
    assert __version__ == package_version(META)
    assert package_version({"releases": [{"version": "0.2.0"}]}) == "0.2.0"
    assert package_version({"releases": [{"version": "0.2.0"}], "package_post_release": 2}) == "0.2.0.post2"


@pytest.mark.slow  # python -m build
def test_build_makes_both_with_that_version(dist):
    sdist, wheel = dist
    assert sdist.name == f"ketamine_ssri_evidence-{__version__}.tar.gz"
    assert wheel.name == f"ketamine_ssri_evidence-{__version__}-py3-none-any.whl"


@pytest.mark.slow  # python -m build
def test_sdist_carries_what_a_build_needs(dist):
    names = {n.split("/", 1)[1] for n in tarfile.open(dist[0]).getnames() if "/" in n}
    for f in (
        "schemas/package.json",
        "schemas/figures.schema.json",
        "build/versions.json",
        f"build/{VERSION}/figures.parquet",
        "datapackage.json",
        "README.md",
        "LICENSE",
        "CITATION.cff",
        "setup.py",
        "pyproject.toml",
        "datapackage/py.typed",
        "datapackage/release_metadata.py",
    ):
        assert f in names, f
    assert any(n.startswith("raw/") and n.endswith("/figures.csv") for n in names)
    assert not any(n.startswith((".venv/", ".git/", "build/.staging-")) for n in names)


@pytest.mark.slow  # python -m build
def test_wheel_carries_the_release(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("figures.parquet", "figures.csv", "sources.parquet", "sources.csv", "datapackage.json"):
        assert f"ketamine_ssri_evidence/_data/build/{VERSION}/{f}" in names
    assert "ketamine_ssri_evidence/_data/schemas/figures.schema.json" in names
    assert "ketamine_ssri_evidence/_data/build/versions.json" in names
    assert "ketamine_ssri_evidence/py.typed" in names
    assert not any(n.startswith(("raw/", "tests/", "build/", "datapackage/")) for n in names)


@pytest.mark.slow  # python -m build
def test_loading_needs_only_pandas_and_pyarrow(wheel):
    meta = zipfile.ZipFile(wheel).read(f"ketamine_ssri_evidence-{__version__}.dist-info/METADATA").decode()
    core = sorted(
        line.split(":", 1)[1].split(">")[0].split(";")[0].strip()
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )
    assert core == ["pandas", "pyarrow"]
    extras = {line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Provides-Extra:")}
    assert {"build", "validate", "report", "test"} <= extras
    for name in ("pandera", "frictionless", "PyYAML"):
        assert f"Requires-Dist: {name}" in meta and not any(
            line.startswith(f"Requires-Dist: {name}") and "extra ==" not in line for line in meta.splitlines()
        )


@pytest.mark.slow  # python -m build
def test_installed_wheel_loads_offline(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -I: no user site, no PYTHONPATH, no checkout on the path: only the unpacked wheel
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import ketamine_ssri_evidence as kse, pathlib; "
        f"assert pathlib.Path(kse.__file__).is_relative_to({str(site)!r}); "
        "df = kse.load('figures'); print(len(df), kse.current_version(), kse.__version__)"
    )
    env = {"DATAPACKAGE_BASE_URL": "http://127.0.0.1:9/"}  # a dead address: nothing may be downloaded
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    n, version, package = proc.stdout.split()
    assert version == VERSION and int(n) > 0 and package == __version__


NETWORK_ERRORS = (
    "Could not find a version",
    "No matching distribution",
    "NewConnectionError",
    "Max retries",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeout",
)


@pytest.mark.slow
@pytest.mark.network
def test_installs_beside_the_unrelated_datapackage_distribution(wheel, tmp_path):
    """``pip install datapackage`` (the older frictionless library) and this wheel in one fresh
    venv: both import, ours loads a table, and removing theirs leaves ours working."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # pandas, pyarrow, ... come from this test environment (appended to sys.path, after the
    # venv's own site-packages) so that only datapackage and its dependencies are fetched
    (Path(site) / "zz-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    ours = subprocess.run(
        pip + ["--no-deps", "--ignore-installed", str(wheel)], capture_output=True, text=True, timeout=300
    )
    assert ours.returncode == 0, ours.stderr[-2000:]
    theirs = subprocess.run(pip + ["datapackage"], capture_output=True, text=True, timeout=300)
    if theirs.returncode != 0:
        if any(e in theirs.stderr for e in NETWORK_ERRORS):
            pytest.skip("the package index is unreachable")
        pytest.fail(theirs.stderr[-2000:])
    code = (
        "import datapackage, ketamine_ssri_evidence as kse, pathlib, sys; "
        f"venv = pathlib.Path({site!r}); "
        "assert pathlib.Path(datapackage.__file__).parent == venv / 'datapackage', datapackage.__file__; "
        "assert pathlib.Path(kse.__file__).parent == venv / 'ketamine_ssri_evidence', kse.__file__; "
        "assert hasattr(datapackage, 'Package'); "
        "print(len(kse.load('figures')))"
    )
    env = {"DATAPACKAGE_BASE_URL": "http://127.0.0.1:9/", "PATH": "/usr/bin:/bin"}
    both = subprocess.run([str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert both.returncode == 0, both.stderr[-2000:]
    assert int(both.stdout) > 0
    gone = subprocess.run(
        [str(py), "-m", "pip", "uninstall", "-y", "-q", "datapackage"], capture_output=True, text=True, timeout=120
    )
    assert gone.returncode == 0, gone.stderr
    alone = subprocess.run(
        [str(py), "-c", "import ketamine_ssri_evidence as kse; print(len(kse.load('sources')))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert alone.returncode == 0 and int(alone.stdout) > 0, alone.stderr[-2000:]
