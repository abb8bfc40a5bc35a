"""Downloads from a real HTTP server on loopback serving a copy of build/: the everyday path,
the trust model (shipped hashes, pins, trust on first use), caches that heal, a destination
that is never overwritten, versions(), latest, and messages that name Python parameters."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings

import hostile_server as hs
import pytest

import ketamine_ssri_evidence as kse
from conftest import ROOT, cli
from ketamine_ssri_evidence.download import DownloadError, TrustWarning, download, fetch
from ketamine_ssri_evidence.releases import current_release, shipped_manifest

dl = sys.modules["ketamine_ssri_evidence.download"]  # the package attribute `download` is the function
VERSION = current_release()["version"]


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch):
    for k in list(os.environ):
        if k.startswith("DATAPACKAGE_") or k.lower().endswith("_proxy"):
            monkeypatch.delenv(k)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return hs.publish(ROOT / "build", tmp_path_factory.mktemp("published") / "build")


@pytest.fixture
def server(tmp_path, published):
    """A server of the test's own, serving build/ (its releases linked: no test here writes into
    one; they add versions)."""
    s = hs.HostileServer(hs.publish_links(published, tmp_path / "served"))
    yield s
    s.close()


@pytest.fixture
def new(server):
    """A version 9.0.0 the package does not know; yields the sha256 of its datapackage.json."""
    return hs.add_version(server.folder, "9.0.0", VERSION)


def _files(d):
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def _tofu(version, **kw):
    with pytest.warns(TrustWarning, match="trusted on first use"):
        return fetch(version, **kw)


# ---------------------------------------------------------------------------------------
# the everyday path


def test_download_verifies_and_copies(server, tmp_path):
    target = download(VERSION, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    assert target == tmp_path / "dest" / VERSION
    for f in shipped_manifest()[VERSION]["files"]:
        name = f["path"].split("/")[1]
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == f["sha256"]
    assert sorted(p.name for p in target.iterdir()) == sorted(
        f["path"].split("/")[1] for f in shipped_manifest()[VERSION]["files"]
    )
    # the server's list is read, and checked against the package's, even for a shipped version
    assert server.requests[0] == "versions.json"


def test_a_server_that_lies_about_a_known_version_is_not_asked_for_files(server, tmp_path):
    man = hs.manifest(server.folder)
    man["versions"][-1]["files"][0]["sha256"] = "0" * 64
    hs.write_manifest(server.folder, man)
    with pytest.raises(DownloadError, match=f"changes the published files of release {VERSION}"):
        download(VERSION, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    assert server.requests == ["versions.json"]


def test_download_again_is_a_no_op(server, tmp_path):
    first = download(VERSION, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    before = hs.tree(tmp_path / "dest")
    server.close()  # the cache serves it; nothing is fetched
    assert download(VERSION, tmp_path / "dest", cache=tmp_path / "cache") == first
    assert hs.tree(tmp_path / "dest") == before


def test_cli_download(server, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ketamine_ssri_evidence",
            "download",
            "--version",
            VERSION,
            "--dest",
            str(tmp_path / "d"),
            "--base-url",
            server.url,
            "--cache",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert (tmp_path / "d" / VERSION / "figures.parquet").is_file()


def test_newest_by_default(server, tmp_path, new):
    with pytest.warns(TrustWarning):
        target = download(None, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    assert target.name == "9.0.0"


def test_unknown_version_lists_known_ones(server, tmp_path):
    with pytest.raises(DownloadError, match=f"unknown version 9.9.9; known versions: .*{VERSION}"):
        fetch("9.9.9", base_url=server.url, cache=tmp_path / "cache")


# ---------------------------------------------------------------------------------------
# trust: shipped hashes, pins, trust on first use


def test_unknown_version_is_trusted_on_first_use_and_said_so(server, tmp_path, new):
    folder = _tofu("9.0.0", base_url=server.url, cache=tmp_path / "cache")
    assert (folder / "figures.parquet").is_file()
    assert [v.trusted for v in kse.versions(cache=tmp_path / "cache", server=False) if v.version == "9.0.0"] == ["tofu"]


def test_tofu_version_changed_later_is_refused(server, tmp_path, new):
    _tofu("9.0.0", base_url=server.url, cache=tmp_path / "cache")
    p = server.folder / "9.0.0" / "figures.csv"
    p.write_bytes(p.read_bytes().replace(b"72", b"92", 1))
    man = hs.manifest(server.folder)
    for f in man["versions"][-1]["files"]:
        if f["path"] == "9.0.0/figures.csv":
            f["sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
    hs.write_manifest(server.folder, man)
    with pytest.raises(DownloadError, match=r"changes release 9\.0\.0 \(figures\.csv\) since it was first downloaded"):
        fetch(None, base_url=server.url, cache=tmp_path / "cache")


def test_pin_by_descriptor_hash(server, tmp_path, new):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrustWarning)  # a pinned version is not trusted on first use
        folder = fetch("9.0.0", base_url=server.url, cache=tmp_path / "cache", sha256=new)
    assert (folder / "figures.csv").is_file()
    assert [v.trusted for v in kse.versions(cache=tmp_path / "cache", server=False) if v.version == "9.0.0"] == [
        "pinned"
    ]


def test_pin_by_file_hashes(server, tmp_path, new):
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (server.folder / "9.0.0").iterdir()}
    folder = fetch("9.0.0", base_url=server.url, cache=tmp_path / "cache", sha256=files)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(files)


def test_partial_file_pins_are_not_enough(server, tmp_path, new):
    h = hashlib.sha256((server.folder / "9.0.0" / "figures.csv").read_bytes()).hexdigest()
    with pytest.raises(DownloadError, match=r"not covered by the pinned hashes; pin them too with sha256="):
        fetch("9.0.0", base_url=server.url, cache=tmp_path / "cache", sha256={"figures.csv": h})


def test_wrong_pin_is_refused(server, tmp_path, new):
    with pytest.raises(DownloadError, match="not the pinned"):
        fetch("9.0.0", base_url=server.url, cache=tmp_path / "cache", sha256="ab" * 32)
    assert not list((tmp_path / "cache").rglob("*.csv"))


def test_pinned_descriptor_that_lies_about_a_file(server, tmp_path, new):
    """The descriptor is pinned, the server then serves a figures.csv it does not list."""
    p = server.folder / "9.0.0" / "figures.csv"
    p.write_bytes(p.read_bytes() + b"\n")
    man = hs.manifest(server.folder)
    for f in man["versions"][-1]["files"]:
        if f["path"] == "9.0.0/figures.csv":
            f["bytes"], f["sha256"] = p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()
    hs.write_manifest(server.folder, man)
    with pytest.raises(DownloadError, match="than the pinned datapackage.json"):
        fetch("9.0.0", base_url=server.url, cache=tmp_path / "cache", sha256=new)


def test_pin_that_disagrees_with_shipped_hashes(server, tmp_path):
    with pytest.raises(DownloadError, match="hashes this package ships .* authoritative"):
        fetch(VERSION, base_url=server.url, cache=tmp_path / "cache", sha256="ab" * 32)


def test_cli_pin(server, tmp_path, new, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the command in process (conftest.cli)
    r = cli(
        "download",
        "--version",
        "9.0.0",
        "--dest",
        str(tmp_path / "d"),
        "--base-url",
        server.url,
        "--cache",
        str(tmp_path / "c"),
        "--sha256",
        new,
    )
    assert r.code == 0 and r.err == "", r.err
    r = cli(
        "download",
        "--version",
        "9.0.0",
        "--dest",
        str(tmp_path / "d2"),
        "--base-url",
        server.url,
        "--cache",
        str(tmp_path / "c2"),
    )
    assert r.code == 0
    assert r.err.startswith("warning: release 9.0.0 is not known to this package") and "--sha256 HASH" in r.err
    assert len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize("how", ["param", "env"])
def test_plain_http_beyond_loopback_needs_opting_in(tmp_path, monkeypatch, how):
    url = "http://192.0.2.1:9/"  # TEST-NET-1: never routed
    with pytest.raises(DownloadError, match=r"refused the plain http:// .*allow_http=True"):
        fetch(VERSION, base_url=url, cache=tmp_path / "cache", timeout=1)
    if how == "env":
        monkeypatch.setenv("DATAPACKAGE_ALLOW_HTTP", "1")
        kw: dict[str, bool] = {}
    else:
        kw = {"allow_http": True}
    # opted in: the address is tried (and, here, cannot answer within the deadline)
    with pytest.raises(DownloadError, match="deadline|cannot reach"):
        fetch(VERSION, base_url=url, cache=tmp_path / "cache", timeout=1, allow_http=kw.get("allow_http"))


def test_cli_allow_http_flag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli(
        "download", "--base-url", "http://192.0.2.1:9/", "--cache", str(tmp_path / "c"), "--dest", str(tmp_path / "d")
    )
    assert r.code == 1 and "--allow-http" in r.err and "allow_http" not in r.err


# ---------------------------------------------------------------------------------------
# caches heal


def _damage(kind, path, outside):
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif kind == "wrong-hash":
        data = bytearray(path.read_bytes())
        data[10] ^= 1
        path.write_bytes(bytes(data))
    elif kind == "directory":
        path.unlink()
        (path / "inner").mkdir(parents=True)
    elif kind == "symlink":
        path.unlink()
        os.symlink(outside, path)
    elif kind == "missing":
        path.unlink()


DAMAGE = ["truncated", "wrong-hash", "directory", "symlink", "missing"]


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("which", ["shipped", "tofu"])
def test_damaged_cache_entry_is_fetched_again(server, tmp_path, new, kind, which):
    version = VERSION if which == "shipped" else "9.0.0"
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrustWarning)
        folder = fetch(version, base_url=server.url, cache=cache)
    outside = tmp_path / "outside.csv"
    outside.write_text("not to be touched\n")
    _damage(kind, folder / "figures.csv", outside)
    again = fetch(version, base_url=server.url, cache=cache)
    assert again == folder and not (folder / "figures.csv").is_symlink()
    assert (folder / "figures.csv").read_bytes() == (server.folder / version / "figures.csv").read_bytes()
    assert outside.read_text() == "not to be touched\n"


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_cache_offline_says_what_to_do(server, tmp_path, new, kind):
    cache = tmp_path / "cache"
    url = server.url
    _tofu("9.0.0", base_url=url, cache=cache)
    _damage(kind, cache / "releases" / "9.0.0" / "figures.csv", tmp_path / "x")
    server.close()
    with pytest.raises(DownloadError) as info:
        fetch("9.0.0", base_url=url, cache=cache, timeout=5)
    msg = str(info.value)
    assert "cached copy of release 9.0.0 is incomplete or damaged" in msg and "Connect to the network" in msg
    with pytest.raises(DownloadError, match=r"no download address is set to fetch it again: pass base_url=URL"):
        fetch("9.0.0", cache=cache)


@pytest.mark.parametrize("damage", ["truncated", "empty", "directory", "symlink", "not-an-entry"])
def test_damaged_trust_record_heals(server, tmp_path, new, damage):
    cache = tmp_path / "cache"
    _tofu("9.0.0", base_url=server.url, cache=cache)
    record = cache / "releases" / "9.0.0" / ".entry.json"
    if damage == "truncated":
        record.write_bytes(record.read_bytes()[:50])
    elif damage == "empty":
        record.write_bytes(b"")
    elif damage == "directory":
        record.unlink()
        record.mkdir()
    elif damage == "symlink":
        record.unlink()
        os.symlink("/etc/hostname", record)
    else:
        record.write_text('{"version": "9.0.0", "files": 5}')
    # with the server: fetched again (and trusted on first use again)
    _tofu("9.0.0", base_url=server.url, cache=cache)
    assert json.loads(record.read_text())["trust"] == "tofu"


def test_damaged_cached_server_list_is_ignored(server, tmp_path, new):
    cache = tmp_path / "cache"
    kse.versions(base_url=server.url, cache=cache)
    (listed,) = (cache / "servers").glob("*/versions.json")
    listed.write_bytes(listed.read_bytes()[:40])
    url = server.url
    server.close()
    records = kse.versions(base_url=url, cache=cache)  # offline, damaged list: no JSONDecodeError
    assert [r.version for r in records] == [r.version for r in records if r.where != "server"]
    assert not listed.exists()


def test_a_symlinked_version_folder_in_the_cache_is_replaced(server, tmp_path):
    cache = tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me\n")
    (cache / "releases").mkdir(parents=True)
    os.symlink(elsewhere, cache / "releases" / VERSION)
    folder = fetch(VERSION, base_url=server.url, cache=cache)
    assert not folder.is_symlink() and (folder / "figures.csv").is_file()
    assert _files(elsewhere) == ["precious.txt"]


def test_read_only_cache_is_a_clear_error(server, tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(dl.tempfile, "mkstemp", refuse)
    with pytest.raises(
        DownloadError,
        match=r"cannot write figures\.csv|cannot write .* in the cache folder .*"
        r"Read-only file system.*pass cache=DIR or set DATAPACKAGE_CACHE",
    ):
        fetch(VERSION, base_url=server.url, cache=tmp_path / "cache")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_read_only_cache_folder(server, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        with pytest.raises(DownloadError, match="cache folder .*pass cache=DIR"):
            fetch(VERSION, base_url=server.url, cache=cache)
    finally:
        cache.chmod(0o755)


def test_a_complete_read_only_cache_still_loads(server, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fetch(VERSION, base_url=server.url, cache=cache)
    monkeypatch.setattr(dl.tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EROFS, "ro")))
    assert (fetch(VERSION, cache=cache) / "figures.csv").is_file()


def test_cache_that_is_a_file(server, tmp_path):
    (tmp_path / "cache").write_text("a file\n")
    with pytest.raises(DownloadError, match="cache"):
        fetch(VERSION, base_url=server.url, cache=tmp_path / "cache")
    assert (tmp_path / "cache").read_text() == "a file\n"


# ---------------------------------------------------------------------------------------
# the destination: only what this download created is ever removed


def test_existing_destination_is_never_removed(server, tmp_path):
    dest = tmp_path / "dest"
    (dest / VERSION).mkdir(parents=True)
    (dest / VERSION / "mine.txt").write_text("my notes\n")
    with pytest.raises(DownloadError, match=r"already exists .* left untouched\. Remove it, or pass another dest=DIR"):
        download(VERSION, dest, base_url=server.url, cache=tmp_path / "cache")
    assert _files(dest) == [f"{VERSION}/mine.txt"]


def test_destination_that_is_a_file(server, tmp_path):
    (tmp_path / "dest").write_text("x")
    with pytest.raises(DownloadError, match="dest=DIR"):
        download(VERSION, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    assert (tmp_path / "dest").read_text() == "x"


def test_destination_symlink_in_place_of_the_version(server, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", dest / VERSION)
    with pytest.raises(DownloadError, match="already exists"):
        download(VERSION, dest, base_url=server.url, cache=tmp_path / "cache")
    assert _files(tmp_path / "elsewhere") == []


# ---------------------------------------------------------------------------------------
# versions(), latest, offline, and the names in messages


def test_versions_lists_shipped_cached_and_server(server, tmp_path, new):
    cache = tmp_path / "cache"
    records = {r.version: r for r in kse.versions(base_url=server.url, cache=cache)}
    shipped = shipped_manifest()
    for v in shipped:
        assert records[v].trusted == "shipped-hash" and records[v].where in ("local", "cached", "shipped")
        assert records[v].date == shipped[v]["date"]
    assert records["9.0.0"].where == "server" and records["9.0.0"].trusted == "tofu"
    assert records["9.0.0"].date == "2026-12-24"
    assert [r.version for r in records.values() if r.current] == [kse.current_version()]
    _tofu("9.0.0", base_url=server.url, cache=cache)
    assert {r.version: r.where for r in kse.versions(cache=cache, server=False)}["9.0.0"] == "cached"
    import pandas as pd

    table = pd.DataFrame(kse.versions(cache=cache, server=False))
    assert list(table.columns) == ["version", "date", "where", "trusted", "current"]


def test_versions_of_a_package_that_ships_only_hashes(tmp_path, monkeypatch):
    """A wheel carries the hashes of every release but the files of the current one only."""
    monkeypatch.setattr(sys.modules["ketamine_ssri_evidence.loader"], "_local_versions", lambda root: [VERSION])
    records = {r.version: r.where for r in kse.versions(cache=tmp_path / "cache", server=False)}
    assert records[VERSION] == "local" and all(w == "shipped" for v, w in records.items() if v != VERSION)


def test_versions_when_the_server_is_down(server, tmp_path):
    url = server.url
    server.close()
    assert {r.version for r in kse.versions(base_url=url, cache=tmp_path / "cache")} >= set(shipped_manifest())
    with pytest.raises(DownloadError, match="cannot reach"):
        kse.versions(base_url=url, cache=tmp_path / "cache", server=True)


def test_load_latest(server, tmp_path, new):
    with pytest.warns(TrustWarning):
        df = kse.load("figures", version="latest", base_url=server.url, cache=tmp_path / "cache")
    assert df.attrs["version"] == "9.0.0"
    # no server: the newest version here
    assert kse.latest_version(cache=tmp_path / "cache") == "9.0.0"
    assert kse.load("sources", version="latest").attrs["version"] == kse.current_version()


def test_cached_version_loads_offline_with_no_address(server, tmp_path, new, monkeypatch):
    cache = tmp_path / "cache"
    with pytest.warns(TrustWarning):
        kse.load("figures", version="9.0.0", base_url=server.url, cache=cache)
    server.close()
    monkeypatch.setattr(dl, "package_metadata", lambda: {"download_base_url": ""})
    df = kse.load("figures", version="9.0.0", cache=cache)
    assert df.attrs["version"] == "9.0.0" and len(df) == len(kse.load("figures"))
    monkeypatch.setenv("DATAPACKAGE_CACHE", str(cache))
    assert kse.load("sources", version="9.0.0").attrs["version"] == "9.0.0"


def test_load_a_version_not_present_locally(server, tmp_path, new, monkeypatch):
    monkeypatch.setenv("DATAPACKAGE_BASE_URL", server.url)
    monkeypatch.setenv("DATAPACKAGE_CACHE", str(tmp_path / "cache"))
    df = kse.load("figures", version="9.0.0", sha256=new)
    assert len(df) == len(kse.load("figures"))


def test_no_address_names_the_python_parameter(tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "package_metadata", lambda: {"download_base_url": ""})
    with pytest.raises(DownloadError) as info:
        fetch("0.9.0", cache=tmp_path / "cache")
    assert "base_url=URL" in str(info.value) and "--" not in str(info.value)
    assert "--base-url URL" in info.value.cli()


def test_cli_translates_parameters_to_options(tmp_path, monkeypatch):
    for k in [k for k in os.environ if k.startswith("DATAPACKAGE_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    r = cli("download", "--version", "0.9.0", "--cache", str(tmp_path / "c"), "--dest", str(tmp_path / "d"))
    assert r.code == 1
    assert "--base-url URL" in r.err and "base_url=" not in r.err


def test_bad_timeout(tmp_path, server):
    with pytest.raises(DownloadError, match=r"timeout 'soon' is not a number .* pass timeout=SECONDS"):
        fetch("0.9.0", base_url=server.url, cache=tmp_path / "cache", timeout="soon")  # type: ignore[arg-type]  # on purpose


def test_server_copy_is_the_same_as_shutil(server, tmp_path):
    """download() copies exactly the release files (no trust record, nothing hidden)."""
    target = download(VERSION, tmp_path / "dest", base_url=server.url, cache=tmp_path / "cache")
    ref = tmp_path / "ref"
    shutil.copytree(server.folder / VERSION, ref)
    assert hs.tree(target) == hs.tree(ref)


def test_a_file_of_the_users_where_the_cache_keeps_a_folder_is_left_alone(server, tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir()
    (cache / "releases").write_text("my list of releases\n")
    with pytest.raises(DownloadError, match="holds a file named releases .* left untouched: pass another cache=DIR"):
        fetch(VERSION, base_url=server.url, cache=cache)
    assert (cache / "releases").read_text() == "my list of releases\n"


def test_a_symlink_in_place_of_the_cache_folder_is_unlinked_not_followed(server, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", cache / "releases")
    assert (fetch(VERSION, base_url=server.url, cache=cache) / "figures.csv").is_file()
    assert _files(tmp_path / "elsewhere") == [] and not (cache / "releases").is_symlink()


def test_a_fifo_in_the_cache_does_not_block(server, tmp_path):
    cache = tmp_path / "cache"
    folder = fetch(VERSION, base_url=server.url, cache=cache)
    (folder / "figures.csv").unlink()
    os.mkfifo(folder / "figures.csv")
    assert fetch(VERSION, base_url=server.url, cache=cache) == folder
    assert (folder / "figures.csv").is_file()


def test_a_tofu_release_with_a_malformed_descriptor_is_an_error_not_a_traceback(server, tmp_path):
    hs.add_version(server.folder, "9.0.0", VERSION)
    desc = server.folder / "9.0.0" / "datapackage.json"
    d = json.loads(desc.read_text())
    for r in d["resources"]:
        if r["name"] == "figures":
            r["schema"]["fields"] = [1, 2, 3]
    desc.write_text(json.dumps(d))
    man = hs.manifest(server.folder)
    for f in man["versions"][-1]["files"]:
        if f["path"] == "9.0.0/datapackage.json":
            f["bytes"], f["sha256"] = desc.stat().st_size, hashlib.sha256(desc.read_bytes()).hexdigest()
    hs.write_manifest(server.folder, man)
    with pytest.warns(TrustWarning), pytest.raises(kse.ReleaseError, match="malformed"):
        kse.load("figures", version="9.0.0", base_url=server.url, cache=tmp_path / "cache")


def test_the_former_parameter_name_still_works(server, tmp_path):
    with pytest.warns(DeprecationWarning, match="base_url"):
        assert download(VERSION, tmp_path / "d", base=server.url, cache=tmp_path / "c").is_dir()
    with pytest.raises(TypeError, match="unexpected keyword argument 'bsae'"):
        fetch(VERSION, bsae=server.url)


def test_a_version_record_equals_its_version_string():
    assert kse.current_version() in kse.versions(server=False)
    assert str(kse.versions(server=False)[0]) == kse.versions(server=False)[0].version


def test_a_damaged_manifest_of_the_package_is_one_line_from_the_cli(tmp_path, monkeypatch):
    from ketamine_ssri_evidence import cli

    broken = tmp_path / "versions.json"
    broken.write_text('{"versions": [')
    rel = sys.modules["ketamine_ssri_evidence.releases"]
    monkeypatch.setattr(rel, "shipped_manifest", lambda: rel.parse_manifest(broken.read_bytes(), str(broken)))
    monkeypatch.setattr(dl, "shipped_manifest", rel.shipped_manifest)
    assert (
        cli.main(
            [
                "download",
                "--version",
                "0.9.0",
                "--base-url",
                "http://127.0.0.1:9/",
                "--cache",
                str(tmp_path / "c"),
                "--dest",
                str(tmp_path / "d"),
            ]
        )
        == 1
    )


def test_versions_warns_and_goes_on_when_the_servers_list_is_refused(server, tmp_path):
    man = hs.manifest(server.folder)
    man["versions"][-1]["files"][0]["sha256"] = "0" * 64
    hs.write_manifest(server.folder, man)
    with pytest.warns(TrustWarning, match="changes the published files"):
        records = kse.versions(base_url=server.url, cache=tmp_path / "cache")
    assert {r.version for r in records} == set(shipped_manifest())
    with pytest.raises(DownloadError, match="changes the published files"):
        kse.load("figures", version="latest", base_url=server.url, cache=tmp_path / "cache")


@pytest.mark.parametrize("credentials", ["", "ann:s%40cret@"])
def test_downloads_go_through_the_proxy_the_environment_names(server, tmp_path, monkeypatch, credentials):
    port = server.url.rsplit(":", 1)[1].rstrip("/")
    monkeypatch.setenv("http_proxy", f"http://{credentials}127.0.0.1:{port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    target = download(VERSION, tmp_path / "d", base_url="http://mirror.invalid/", cache=tmp_path / "c", allow_http=True)
    assert (target / "figures.parquet").is_file()
    assert server.requests[0] == "versions.json"
    auth = {h.get("Proxy-Authorization") for h in server.headers}
    if credentials:
        import base64

        assert auth == {"Basic " + base64.b64encode(b"ann:s@cret").decode()}
    else:
        assert auth == {None}


def test_loopback_never_goes_through_a_proxy(server, tmp_path, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://192.0.2.1:9")
    assert download(VERSION, tmp_path / "d", base_url=server.url, cache=tmp_path / "c", timeout=10).is_dir()
