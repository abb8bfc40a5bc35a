"""The wheel carries schemas/ and the current release, so load() works without the checkout."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from ketamine_ssri_evidence.releases import current_release

VERSION = current_release()["version"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    return next(out.glob("*.whl"))


def test_wheel_carries_the_release(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("figures.parquet", "figures.csv", "sources.parquet", "sources.csv", "datapackage.json"):
        assert f"ketamine_ssri_evidence/_data/build/{VERSION}/{f}" in names
    assert "ketamine_ssri_evidence/_data/schemas/figures.schema.json" in names
    assert "ketamine_ssri_evidence/_data/build/versions.json" in names
    assert not any(n.startswith(("raw/", "tests/", "build/")) for n in names)


def test_installed_wheel_loads_offline(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -I: no user site, no PYTHONPATH, no checkout on the path: only the unpacked wheel
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import ketamine_ssri_evidence as kse, pathlib; "
            f"assert pathlib.Path(kse.__file__).is_relative_to({str(site)!r}); "
            "df = kse.load('figures'); print(len(df), kse.current_version())")
    env = {"DATAPACKAGE_BASE_URL": "http://127.0.0.1:9/"}  # a dead address: nothing may be downloaded
    proc = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    n, version = proc.stdout.split()
    assert version == VERSION and int(n) > 0
