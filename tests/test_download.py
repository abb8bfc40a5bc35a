"""Downloads from a real HTTP server on loopback serving a copy of build/."""
from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading

import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT
from ketamine_ssri_evidence.download import DownloadError, download, fetch
from ketamine_ssri_evidence.releases import current_release

VERSION = current_release()["version"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve a copy of build/ on 127.0.0.1; yields (base_url, served_dir, stop)."""
    served = tmp_path / "served"
    shutil.copytree(ROOT / "build", served)
    handler = functools.partial(_Quiet, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    stopped = []

    def stop():
        if not stopped:
            httpd.shutdown()
            httpd.server_close()
            stopped.append(True)

    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served, stop
    stop()


def _files(d):
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def test_download_verifies_and_copies(server, tmp_path):
    url, served, _ = server
    target = download(VERSION, tmp_path / "dest", base=url, cache=tmp_path / "cache")
    assert target == tmp_path / "dest" / VERSION
    for p in (served / VERSION).iterdir():
        assert (target / p.name).read_bytes() == p.read_bytes()


def test_cli_download(server, tmp_path):
    import subprocess
    import sys

    url, _, _ = server
    proc = subprocess.run([sys.executable, "-m", "ketamine_ssri_evidence", "download", "--version", VERSION, "--dest",
                           str(tmp_path / "d"), "--base-url", url, "--cache", str(tmp_path / "c")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "d" / VERSION / "figures.parquet").is_file()


@pytest.mark.parametrize("damage", ["tampered", "truncated", "missing"])
def test_damaged_files_are_refused(server, tmp_path, damage):
    url, served, _ = server
    victim = served / VERSION / "figures.csv"
    if damage == "tampered":
        victim.write_bytes(victim.read_bytes().replace(b"72", b"92", 1))
    elif damage == "truncated":
        victim.write_bytes(victim.read_bytes()[:1000])
    else:
        victim.unlink()
    with pytest.raises(DownloadError, match="checksum" if damage != "missing" else "404"):
        download(VERSION, tmp_path / "dest", base=url, cache=tmp_path / "cache")
    # nothing half-written: no file of the bad name, no leftovers in cache or destination
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not any(p.name == "figures.csv" for p in cached)
    assert not any("tmp" in p.name for p in cached)
    assert not (tmp_path / "dest").exists() or _files(tmp_path / "dest") == []


def test_unknown_version_lists_known_ones(server, tmp_path):
    url, _, _ = server
    with pytest.raises(DownloadError, match=f"unknown version 9.9.9; known versions: .*{VERSION}"):
        fetch("9.9.9", base=url, cache=tmp_path / "cache")


def test_offline_with_cache_works(server, tmp_path):
    url, _, stop = server
    first = fetch(VERSION, base=url, cache=tmp_path / "cache")
    stop()
    again = fetch(VERSION, base=url, cache=tmp_path / "cache")
    assert again == first and (again / "figures.parquet").is_file()


def test_offline_without_cache_says_so(server, tmp_path):
    url, _, stop = server
    stop()
    with pytest.raises(DownloadError, match="offline"):
        fetch(VERSION, base=url, cache=tmp_path / "cache")


def test_no_address_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAPACKAGE_BASE_URL", raising=False)
    from ketamine_ssri_evidence import download as dl

    monkeypatch.setattr(dl, "package_metadata", lambda: {"download_base_url": ""})
    with pytest.raises(DownloadError, match="--base-url"):
        fetch(VERSION, cache=tmp_path / "cache")


def test_load_downloads_a_version_not_present_locally(server, tmp_path, monkeypatch):
    url, served, _ = server
    # publish the same files under a version this checkout does not have
    shutil.copytree(served / VERSION, served / "0.0.1")
    manifest = json.loads((served / "versions.json").read_text())
    entry = json.loads(json.dumps(manifest["versions"][-1]))
    entry["version"] = "0.0.1"
    for f in entry["files"]:
        f["path"] = f["path"].replace(f"{VERSION}/", "0.0.1/")
    manifest["versions"].insert(0, entry)
    (served / "versions.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("DATAPACKAGE_BASE_URL", url)
    monkeypatch.setenv("DATAPACKAGE_CACHE", str(tmp_path / "cache"))
    df = kse.load("figures", version="0.0.1")
    assert len(df) == len(kse.load("figures"))
