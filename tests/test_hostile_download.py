"""Downloads from a loopback server that plays every hostile role we know of.

Each case runs through the command line (``download``, its ``main`` called in this process)
and the Python API (``download`` and ``load``) and must end in one line that says what went
wrong, no traceback, within the deadline, in bounded memory, with nothing written or removed
outside ``--dest`` and the cache (a canary tree around both is hashed before and after) and
nothing half-written kept. One server serves every case, each under an address of its own
(``HostileServer.site``). A server that stalls and one that sends a body that would inflate
also run the real command in a fresh process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hostile_server as hs
import pytest

from conftest import ROOT, bounded, cli
from ketamine_ssri_evidence.download import DownloadError, download
from ketamine_ssri_evidence.releases import ReleaseError, current_release

VERSION = current_release()["version"]
DEADLINE = 0.1  # seconds: the deadline of the cases that only a deadline can end
PAST_DEADLINE = re.escape(f"deadline of {DEADLINE:g} s")  # what their message says
ROOMY = 30.0  # the deadline of the other cases, which must end by themselves, long before it
SLACK = 15.0  # the bound asserted on wall time is the deadline + SLACK (a bound, not a speed goal)
CLI_MEMORY_MB = 200  # a fresh process, interpreter and libraries included
API_MEMORY_MB = 40  # the growth of this process's peak during one in-process run


@dataclass
class Case:
    name: str
    setup: Callable[[hs.HostileServer, Path, Path], None]
    match: str
    version: str | None = VERSION
    options: dict = field(default_factory=dict)
    code: int = 1
    deadline: float = ROOMY


def _man(edit):
    def setup(server, served, world):
        man = hs.manifest(served)
        edit(man, world)
        hs.write_manifest(served, man)

    return setup


def _newest(man, **changes):
    entry = json.loads(json.dumps(man["versions"][-1]))
    entry.update(changes)
    man["versions"].append(entry)
    return entry


def _traversal_version(man, world):
    e = _newest(man, version="9.9.9/..")
    for f in e["files"]:
        f["path"] = f["path"].replace(f"{VERSION}/", "9.9.9/../")


def _absolute_version(man, world):
    target = str(world / "outside")
    e = _newest(man, version=target)
    for f in e["files"]:
        f["path"] = f["path"].replace(f"{VERSION}/", target + "/")


def _file_path(path):
    def edit(man, world):
        e = _newest(man, version="9.0.0")
        for f in e["files"]:
            f["path"] = "9.0.0/" + f["path"].split("/", 1)[1]
        e["files"][0]["path"] = path.format(world=world)

    return edit


def _tamper_known(man, world):
    e = man["versions"][-1]
    e["files"][0]["sha256"] = "0" * 64


def _resize_known(man, world):
    man["versions"][-1]["files"][0]["bytes"] += 1


def _extra_file_known(man, world):
    man["versions"][-1]["files"].append({"path": f"{VERSION}/evil.csv", "bytes": 1, "sha256": "0" * 64})


def _twice(man, world):
    man["versions"].append(json.loads(json.dumps(man["versions"][-1])))


def _huge_size(man, world):
    e = _newest(man, version="9.0.0")
    for f in e["files"]:
        f["path"] = "9.0.0/" + f["path"].split("/", 1)[1]
    e["files"][0]["bytes"] = 10**15


def _bool_size(man, world):
    e = _newest(man, version="9.0.0")
    for f in e["files"]:
        f["path"] = "9.0.0/" + f["path"].split("/", 1)[1]
    e["files"][0]["bytes"] = True


def _manifest_role(role):
    def setup(server, served, world):
        server.play("versions.json", role)

    return setup


def _file_role(role, name="figures.csv", version=VERSION):
    def setup(server, served, world):
        server.play(f"{version}/{name}", role)

    return setup


def _tofu(role, name="figures.csv"):
    def setup(server, served, world):
        hs.add_version(served, "9.0.0", VERSION)
        server.play(f"9.0.0/{name}", role)

    return setup


def _tampered_tofu_with_pin(server, served, world):
    pin = hs.add_version(served, "9.0.0", VERSION)
    (served / "9.0.0" / "datapackage.json").write_text("{}")  # the server swaps the descriptor ...
    man = hs.manifest(served)
    for f in man["versions"][-1]["files"]:  # ... and its own manifest to match
        if f["path"].endswith("datapackage.json"):
            import hashlib

            f["bytes"], f["sha256"] = 2, hashlib.sha256(b"{}").hexdigest()
    hs.write_manifest(served, man)
    world.joinpath("pin").write_text(pin)


def _own(served: Path, version: str) -> Path:
    """The case's own copy of a release it writes into (each release is served as a link)."""
    folder = served / version
    if folder.is_symlink():
        target = folder.resolve()
        folder.unlink()
        shutil.copytree(target, folder)
    return folder


def _tampered_file_true_manifest(server, served, world):
    p = _own(served, VERSION) / "figures.csv"
    data = p.read_bytes().replace(b"72", b"92", 1)
    p.write_bytes(data)
    man = hs.manifest(served)  # the server's manifest agrees with the tampered file
    import hashlib

    for f in man["versions"][-1]["files"]:
        if f["path"].endswith("figures.csv"):
            f["sha256"] = hashlib.sha256(data).hexdigest()
    hs.write_manifest(served, man)


def _bomb(server, served, world):
    hs._bomb()  # made before the clock starts
    server.play(f"{VERSION}/figures.csv", hs.gzip_bomb)


def _tampered_file_same_size(server, served, world):
    p = _own(served, VERSION) / "figures.csv"
    p.write_bytes(p.read_bytes().replace(b"72", b"92", 1))


def _nothing(server, served, world):
    pass


def _server_down(site, served, world):
    gone = hs.HostileServer()
    gone.close()
    site.url = gone.url  # an address where a server listened a moment ago


CASES = [
    # names from the server are checked before any path is made of them
    Case("version-traversal", _man(_traversal_version), r"not a semantic version", version=None),
    Case("version-absolute", _man(_absolute_version), r"not a semantic version", version=None),
    Case(
        "file-traversal", _man(_file_path("9.0.0/../../escape.csv")), r"not 9\.0\.0/<bare file name>", version="9.0.0"
    ),
    Case("file-absolute", _man(_file_path("{world}/escape.csv")), r"not 9\.0\.0/<bare file name>", version="9.0.0"),
    Case("file-hidden", _man(_file_path("9.0.0/.bashrc")), r"not 9\.0\.0/<bare file name>", version="9.0.0"),
    Case("file-subfolder", _man(_file_path("9.0.0/a/b.csv")), r"not 9\.0\.0/<bare file name>", version="9.0.0"),
    Case("listed-twice", _man(_twice), r"listed twice", version=None),
    Case("size-too-large", _man(_huge_size), r"bytes .* is not a size", version="9.0.0"),
    Case("size-not-a-number", _man(_bool_size), r"bytes 'True' is not a size", version="9.0.0"),
    # the package's hashes are the trust root
    Case("known-hash-changed", _man(_tamper_known), r"changes the published files of release", version=None),
    Case("known-size-changed", _man(_resize_known), r"changes the published files of release", version=None),
    Case("known-file-added", _man(_extra_file_known), r"changes the published files of release", version=None),
    Case("tampered-file-matching-server-hash", _tampered_file_true_manifest, r"changes the published files of release"),
    Case("tampered-file", _file_role(hs.body(b"x" * 100)), r"announces 100 bytes"),
    Case("tampered-file-same-size", _tampered_file_same_size, r"sha256 differs from the trusted one"),
    Case(
        "pinned-descriptor-swapped",
        _tampered_tofu_with_pin,
        r"not the pinned",
        version="9.0.0",
        options={"sha256": "@pin"},
    ),
    Case(
        "plain-http-elsewhere",
        _nothing,
        r"refused the plain http:// address",
        options={"base_url": "http://192.0.2.1/"},
    ),
    Case("not-a-url-scheme", _nothing, r"not an https:// URL", options={"base_url": "ftp://127.0.0.1/"}),
    Case(
        "header-injection",
        _nothing,
        r"spaces or control characters",
        options={"base_url": "http://127.0.0.1:9/\r\nX-Evil: 1"},
    ),
    # manifests: capped, parsed strictly
    Case("manifest-endless", _manifest_role(hs.endless_json), r"larger than \d+ bytes", version=None),
    Case(
        "manifest-not-json", _manifest_role(hs.body(b"{not json", "application/json")), r"not valid JSON", version=None
    ),
    Case("manifest-deep", _manifest_role(hs.body(b"[" * 200_000, "application/json")), r"not valid JSON", version=None),
    Case("manifest-not-utf8", _manifest_role(hs.body(b'{"versions": "\xff\xfe"}')), r"not valid JSON", version=None),
    Case(
        "manifest-wrong-shape", _manifest_role(hs.body(b'{"versions": {"a": 1}}')), r'no "versions" list', version=None
    ),
    Case("manifest-web-page", _manifest_role(hs.html), r"sent a web page", version=None),
    Case("manifest-500", _manifest_role(hs.status(500)), r"answered 500", version=None),
    Case("manifest-404", _manifest_role(hs.status(404)), r"answered 404", version=None),
    # bounded work on files
    Case("file-404-midway", _file_role(hs.status(404), "figures.parquet"), r"answered 404"),
    Case("file-web-page", _file_role(hs.html), r"sent a web page"),
    Case("file-drip", _file_role(hs.drip), PAST_DEADLINE, deadline=DEADLINE),
    Case("headers-drip", _file_role(hs.drip_headers), PAST_DEADLINE, deadline=DEADLINE),
    Case("silent", _file_role(hs.silent), PAST_DEADLINE, deadline=DEADLINE),
    Case("manifest-silent", _manifest_role(hs.silent), PAST_DEADLINE, version=None, deadline=DEADLINE),
    Case("file-endless", _file_role(hs.endless), r"more than the \d+ bytes the trusted manifest lists"),
    Case(
        "tofu-file-endless", _tofu(hs.endless), r"more than the \d+ bytes the trusted manifest lists", version="9.0.0"
    ),
    Case("length-too-long", _file_role(hs.length(10**9)), r"announces 1000000000 bytes"),
    Case("length-too-short", _file_role(hs.length(100)), r"announces 100 bytes"),
    Case("cut-short", _file_role(hs.cut_short), r"connection ended after|sent \d+ of the \d+ bytes"),
    Case("no-length-short", _file_role(hs.no_length_short), r"sent \d+ of the \d+ bytes"),
    Case("gzip-bomb", _bomb, r"Content-Encoding: 'gzip'"),
    Case("huge-headers", _file_role(hs.huge_headers), r"answer is broken"),
    Case("long-header-line", _file_role(hs.long_header_line), r"answer is broken"),
    Case("not-http", _file_role(hs.garbage), r"answer is broken|not HTTP"),
    Case("closed-at-once", _file_role(hs.close_at_once), r"answer is broken|closed the connection"),
    Case("redirect-loop", _file_role(hs.redirect_loop), r"more than 5 redirects"),
    Case("redirect-to-plain-http", _file_role(hs.redirect("http://192.0.2.1/x")), r"refused the plain http://"),
    Case("redirect-to-file", _file_role(hs.redirect("file:///etc/passwd")), r"not an https:// URL"),
    Case("redirect-without-location", _file_role(hs.status(302)), r"redirect\) with no address"),
    Case("continue-flood", _file_role(hs.continue_flood), PAST_DEADLINE, deadline=DEADLINE),
    Case("odd-status", _file_role(hs.odd_status), r"answered 999"),
    Case("manifest-empty", _manifest_role(hs.body(b"", "application/json")), r"not valid JSON", version=None),
    Case(
        "manifest-nan-size",
        _manifest_role(
            hs.body(
                b'{"versions": [{"version": "9.0.0", "date": "2026-12-24", "files": [{"path": "9.0.0/a.csv", "bytes": NaN, '
                b'"sha256": "' + b"0" * 64 + b'"}]}]}',
                "application/json",
            )
        ),
        r"bytes 'nan' is not a size",
        version=None,
    ),
    Case("redirect-with-hidden-characters", _file_role(hs.bidi_location), r"\\u202e|not a URL"),
    Case("server-down", _server_down, r"cannot reach .*offline"),
    # bad arguments from the user are refused as well
    Case("user-version-traversal", _nothing, r"not a semantic version", version="../../x", code=2),
    Case("user-version-absolute", _nothing, r"not a semantic version", version="/etc", code=2),
    Case("user-bad-pin", _nothing, r"not 64 hex digits", options={"sha256": "zz"}),
    Case("user-bad-timeout", _nothing, r"timeout 'soon' is not a number of seconds", options={"timeout": "soon"}),
    Case("user-negative-timeout", _nothing, r"timeout '-1' is not a number of seconds", options={"timeout": "-1"}),
]


@pytest.fixture(scope="module")
def server():
    """One loopback server for the module; every case is a site of its own on it."""
    s = hs.HostileServer()
    yield s
    s.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return hs.publish(ROOT / "build", tmp_path_factory.mktemp("published") / "build")


@pytest.fixture
def world(tmp_path, server, published, monkeypatch):
    """A canary tree, a copy of build/ served under an address of the case's own."""
    for k in list(os.environ):
        if k.startswith("DATAPACKAGE_") or k.lower().endswith("_proxy"):
            monkeypatch.delenv(k)
    world, dest, cache = hs.make_world(tmp_path)
    served = hs.publish_links(published, tmp_path / "served")  # a case that writes into a release: _own
    site = server.site(f"case-{len(server.sites)}", served)
    yield world, dest, cache, site, served
    site.close()


def _cli_args(case: Case, url: str, dest: Path, cache: Path, world: Path) -> list[str]:
    args = [
        "download",
        "--dest",
        str(dest),
        "--cache",
        str(cache),
        "--timeout",
        str(case.options.get("timeout", case.deadline)),
        "--base-url",
        case.options.get("base_url", url),
    ]
    if case.version is not None:
        args += ["--version", case.version]
    pin = case.options.get("sha256")
    if pin:
        args += ["--sha256", (world / "pin").read_text() if pin == "@pin" else pin]
    return args


def _api_kwargs(case: Case, url: str, cache: Path, world: Path) -> dict:
    kw = {
        "base_url": case.options.get("base_url", url),
        "cache": cache,
        "timeout": case.options.get("timeout", case.deadline),
    }
    pin = case.options.get("sha256")
    if pin:
        kw["sha256"] = (world / "pin").read_text() if pin == "@pin" else pin
    return kw


def _check_untouched(before, world, dest, cache):
    assert hs.tree(world, skip=(dest, cache)) == before, "something outside --dest and the cache changed"
    if dest.exists():
        assert [p.name for p in dest.iterdir()] == [], "a failed download left files in --dest"
    if cache.exists():
        left = [p for p in cache.rglob("*") if p.name.startswith(".part-")]
        assert not left, f"half-written files kept in the cache: {left}"
        for p in cache.rglob("*"):
            assert not p.is_symlink()


def _check_cli_error(case: Case, code: int, err: str) -> None:
    lines = err.strip().splitlines()
    assert code == case.code, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "internal error" not in err
    assert "base_url=" not in err and "timeout=" not in err, "the command line names its options"
    assert re.search(case.match, lines[0]), lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli(case, world, tmp_path, monkeypatch):
    world, dest, cache, site, served = world
    case.setup(site, served, world)
    before = hs.tree(world, skip=(dest, cache))
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with bounded(case.deadline + SLACK) as run:
            r = cli(*_cli_args(case, site.url, dest, cache, world))
    _check_cli_error(case, r.code, r.err)
    assert r.out == ""
    assert run.seconds < case.deadline + SLACK, f"took {run.seconds:.1f} s"
    assert run.peak_mb < API_MEMORY_MB, f"peak {run.peak_mb:.0f} MB"
    _check_untouched(before, world, dest, cache)


# as the real command in a fresh process: a transfer only the deadline ends, a body that would inflate
SMOKE = ["silent", "gzip-bomb"]
RUNNER = (
    "import os, re, sys\n"
    "from ketamine_ssri_evidence.cli import main\n"
    "try:\n"
    "    rc = main(sys.argv[1:])\n"
    "finally:\n"
    "    status = open('/proc/self/status').read()\n"
    "    open(os.environ['HWM_FILE'], 'w').write(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    "sys.exit(rc)\n"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
@pytest.mark.parametrize("case", [c for c in CASES if c.name in SMOKE], ids=SMOKE)
def test_cli_in_a_fresh_process(case, world, tmp_path):
    world, dest, cache, site, served = world
    case.setup(site, served, world)
    before = hs.tree(world, skip=(dest, cache))
    hwm = tmp_path / "hwm"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAPACKAGE_") and not k.lower().endswith("_proxy")}
    env["HWM_FILE"] = str(hwm)
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *_cli_args(case, site.url, dest, cache, world)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=case.deadline + SLACK + 60,
    )
    elapsed = time.monotonic() - t0
    _check_cli_error(case, proc.returncode, proc.stderr)
    assert elapsed < case.deadline + SLACK, f"took {elapsed:.1f} s"
    assert int(hwm.read_text()) // 1024 < CLI_MEMORY_MB
    _check_untouched(before, world, dest, cache)


@pytest.mark.parametrize("entry", ["download", "load"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api(case, entry, world):
    world, dest, cache, site, served = world
    case.setup(site, served, world)
    if entry == "load" and case.version == VERSION:
        pytest.skip("load() finds this version in the package's own build/ without a download")
    before = hs.tree(world, skip=(dest, cache))
    kw = _api_kwargs(case, site.url, cache, world)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ReleaseError) as info, bounded(case.deadline + SLACK) as run:
            if entry == "download":
                download(case.version, dest, **kw)
            else:
                import ketamine_ssri_evidence as kse

                kse.load("figures", version=case.version or "latest", **kw)
    message = str(info.value)
    assert "\n" not in message and re.search(case.match, message), message
    assert "--" not in message, "a Python caller is told Python parameters, not command-line options"
    assert isinstance(info.value, DownloadError) or case.code == 2
    assert run.seconds < case.deadline + SLACK
    assert run.peak_mb < API_MEMORY_MB, f"peak {run.peak_mb:.0f} MB"
    _check_untouched(before, world, dest, cache)
