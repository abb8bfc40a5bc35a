"""A loopback HTTP server that serves a copy of build/ and can play hostile roles.

``HostileServer(folder)`` serves ``folder`` on 127.0.0.1 (a free port) from daemon threads.
``server.play(path, role)`` makes the request for ``path`` (relative to the address, such as
``versions.json`` or ``0.2.0/figures.csv``) answer with ``role``, a function of the
request handler; the roles below are the hostile ones. Every role ends by itself within
``MAX_SECONDS`` or when the server closes, so no test can leave a thread running forever.

One server can hold many sites: ``server.site(name, folder)`` serves ``folder`` under
``<address>name/`` with roles, a request log and a ``close()`` of its own, so that a whole
module of cases shares one server (one port, one thread) and still no case sees another's.
"""

from __future__ import annotations

import http.server
import threading
import time
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

MAX_SECONDS = 60.0
Role = Callable[["Handler"], None]


class Site:
    """What one case serves: a folder, the roles played on its paths, what was asked."""

    def __init__(self, folder: Path | None, url: str):
        self.folder = Path(folder) if folder is not None else None
        self.url = url
        self.roles: dict[str, Role] = {}
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.stop = threading.Event()

    def play(self, path: str, role: Role) -> None:
        self.roles[path] = role

    def close(self) -> None:
        """End this site's roles; its requests are then refused (closed without an answer)."""
        self.stop.set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that never sends its request does not hold a thread for ever
    site: Site
    rel: str  # the path asked for, relative to the site

    def log_message(self, *args) -> None:
        pass

    @property
    def owner(self) -> HostileServer:
        return self.server.owner  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("http://"):  # asked as a proxy: serve the absolute address's path
            from urllib.parse import urlsplit

            self.path = urlsplit(self.path).path
        path = self.path.split("?", 1)[0].lstrip("/")
        first, _, rest = path.partition("/")
        site = self.owner.sites.get(first)
        if site is not None:
            self.site, self.rel = site, rest
        elif self.owner.root is not None:
            self.site, self.rel = self.owner.root, path
        else:
            self.close_connection = True
            return
        if self.stopping():  # a closed site: as if nothing listened
            self.close_connection = True
            return
        self.site.requests.append(self.rel)
        self.site.headers.append(dict(self.headers))
        role = self.site.roles.get(self.rel, serve)
        try:
            role(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError):
            pass  # the client gave up, as it should

    # helpers for roles
    def stopping(self) -> bool:
        return self.owner.stop.is_set() or self.site.stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep (False if the server or the site is closing)."""
        return not self.site.stop.wait(seconds) and not self.owner.stop.is_set()

    def file_bytes(self) -> bytes | None:
        if self.site.folder is None:
            return None
        p = self.site.folder / self.rel
        return p.read_bytes() if p.is_file() else None

    def head(
        self,
        status: int = 200,
        length: int | None = None,
        ctype: str = "application/octet-stream",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()


class HostileServer:
    def __init__(self, folder: Path | None = None):
        self.sites: dict[str, Site] = {}
        self.stop = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        # the folder served at the address itself (a server of one site)
        self.root = Site(folder, self.url) if folder is not None else None
        self._closed = False

    # the root site's parts, for a server of one site
    @property
    def folder(self) -> Path:
        assert self.root is not None and self.root.folder is not None, "a server of sites has no folder of its own"
        return self.root.folder

    @property
    def roles(self) -> dict[str, Role]:
        assert self.root is not None
        return self.root.roles

    @property
    def requests(self) -> list[str]:
        assert self.root is not None
        return self.root.requests

    @property
    def headers(self) -> list[dict[str, str]]:
        assert self.root is not None
        return self.root.headers

    def play(self, path: str, role: Role) -> None:
        assert self.root is not None
        self.root.play(path, role)

    def site(self, name: str, folder: Path | None) -> Site:
        """Serve ``folder`` under ``<address>name/`` (``name``: one path segment, new to this server)."""
        if not name or "/" in name or name in self.sites:
            raise ValueError(f"site name {name!r}: one path segment, not used before")
        site = self.sites[name] = Site(folder, f"{self.url}{name}/")
        return site

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.stop.set()
            for site in self.sites.values():
                site.stop.set()
            if self.root is not None:
                self.root.stop.set()
            self.httpd.shutdown()
            self.httpd.server_close()


# ---------------------------------------------------------------------------------------
# roles


def serve(h: Handler) -> None:
    """The honest server: the file, its length, a plain type."""
    data = h.file_bytes()
    if data is None:
        h.head(404, 0)
        return
    h.head(200, len(data), "application/json" if h.path.endswith(".json") else "application/octet-stream")
    h.wfile.write(data)


def body(data: bytes, ctype: str = "application/octet-stream", status: int = 200) -> Role:
    def role(h: Handler) -> None:
        h.head(status, len(data), ctype)
        h.wfile.write(data)

    return role


def status(code: int) -> Role:
    return body(b"error\n", "text/plain", code)


def html(h: Handler) -> None:
    """A 200 web page instead of the file (a captive portal, a proxy's login page)."""
    body(b"<!doctype html><html><body>Please log in</body></html>", "text/html; charset=utf-8")(h)


def drip(h: Handler, interval: float = 0.01) -> None:
    """The real file, one byte at a time, slowly: never done within any sane deadline, and no
    pause long enough for a timeout of one read to notice (only a deadline of the whole ends it)."""
    data = h.file_bytes() or b"x" * 10_000
    h.head(200, len(data))
    end = time.monotonic() + MAX_SECONDS
    for i in range(len(data)):
        if time.monotonic() > end or not h.wait(interval):
            return
        h.wfile.write(data[i : i + 1])
        h.wfile.flush()


def drip_headers(h: Handler) -> None:
    """A status line, then header bytes one at a time without end."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    end = time.monotonic() + MAX_SECONDS
    while time.monotonic() < end and h.wait(0.01):
        h.wfile.write(b"X")
        h.wfile.flush()


def silent(h: Handler) -> None:
    """Accept the request, then say nothing at all."""
    h.wait(MAX_SECONDS)


def endless(h: Handler) -> None:
    """200 with no length, then bytes for ever (fills a disk if nothing stops it)."""
    h.head(200, None)
    chunk = b"\0" * 65536
    end = time.monotonic() + MAX_SECONDS
    while time.monotonic() < end and not h.stopping():
        h.wfile.write(chunk)


def endless_json(h: Handler) -> None:
    """A versions.json that never ends: a list that keeps opening."""
    h.head(200, None, "application/json")
    h.wfile.write(b'{"versions": [')
    chunk = b'{"version": "0.0.1", "date": "2026-01-01", "files": []},' * 1000
    end = time.monotonic() + MAX_SECONDS
    while time.monotonic() < end and not h.stopping():
        h.wfile.write(chunk)


def length(announced: int) -> Role:
    """The real file under a Content-Length that lies (the body is cut or padded to match)."""

    def role(h: Handler) -> None:
        data = (h.file_bytes() or b"")[:announced]
        h.head(200, announced)
        h.wfile.write(data)
        left = announced - len(data)
        while left > 0 and not h.stopping():
            n = min(left, 65536)
            h.wfile.write(b"\0" * n)
            left -= n

    return role


def cut_short(h: Handler) -> None:
    """The full Content-Length, half the body, then the connection closes."""
    data = h.file_bytes() or b"x" * 1000
    h.head(200, len(data))
    h.wfile.write(data[: len(data) // 2])
    h.wfile.flush()
    h.close_connection = True


def no_length_short(h: Handler) -> None:
    """No Content-Length, the first half of the file, then the connection closes."""
    data = h.file_bytes() or b"x" * 1000
    h.head(200, None)
    h.wfile.write(data[: len(data) // 2])
    h.close_connection = True


@lru_cache(maxsize=1)
def _bomb() -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b"\0" * (1 << 20)
    return b"".join(z.compress(zeros) for _ in range(64)) + z.flush()  # 64 MiB inflated, ~64 kB sent


def gzip_bomb(h: Handler) -> None:
    """Content-Encoding: gzip over a body that inflates to 64 MiB."""
    data = _bomb()
    h.head(200, len(data), extra={"Content-Encoding": "gzip"})
    h.wfile.write(data)


def huge_headers(h: Handler) -> None:
    """More header lines than any client should read."""
    h.send_response(200)
    for i in range(5000):
        h.send_header(f"X-Filler-{i}", "y" * 1000)
    h.end_headers()
    h.wfile.write(b"{}")


def long_header_line(h: Handler) -> None:
    h.send_response(200)
    h.send_header("X-Long", "y" * 1_000_000)
    h.end_headers()


def redirect(location: str, code: int = 302) -> Role:
    def role(h: Handler) -> None:
        h.head(code, 0, extra={"Location": location})

    return role


def redirect_loop(h: Handler) -> None:
    redirect("/" + h.path.lstrip("/"))(h)


def garbage(h: Handler) -> None:
    """Not HTTP at all."""
    h.wfile.write(b"\x00\xff garbage, not a status line\r\n\r\n")
    h.close_connection = True


def close_at_once(h: Handler) -> None:
    """Close the connection without a word."""
    h.close_connection = True


# ---------------------------------------------------------------------------------------
# a published copy of build/ to serve, and the tree checks the tests share

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import stat  # noqa: E402


def publish(build: Path, served: Path) -> Path:
    """Copy ``build`` (versions.json and every release) to ``served``."""
    shutil.copytree(build, served)
    return served


def publish_links(published: Path, served: Path) -> Path:
    """``served`` as a copy of ``published`` (a build/ folder) that costs next to nothing:
    versions.json copied (a test may change it), each release a link to ``published``'s
    (a test that writes into one makes it its own first)."""
    served.mkdir()
    for entry in published.iterdir():
        if entry.is_dir():
            (served / entry.name).symlink_to(entry, target_is_directory=True)
        else:
            shutil.copy2(entry, served / entry.name)
    return served


def manifest(served: Path) -> dict:
    return json.loads((served / "versions.json").read_text(encoding="utf-8"))


def write_manifest(served: Path, man: dict | bytes) -> None:
    data = man if isinstance(man, bytes) else json.dumps(man, indent=1).encode()
    (served / "versions.json").write_bytes(data)


def add_version(served: Path, new: str, like: str) -> str:
    """Publish a copy of release ``like`` as ``new`` (its descriptor says ``new``); return the
    sha256 of the new datapackage.json (what a user would pin)."""
    shutil.copytree(served / like, served / new)
    desc_path = served / new / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    desc["version"] = new
    desc_path.write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    man = manifest(served)
    files = [
        {"path": f"{new}/{p.name}", "bytes": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in sorted((served / new).iterdir())
    ]
    man["versions"].append({"version": new, "date": "2026-12-24", "files": files})
    write_manifest(served, man)
    return hashlib.sha256(desc_path.read_bytes()).hexdigest()


def tree(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every entry under ``root`` (not following symlinks) with its content hash, mode or link
    target: two equal results mean nothing was written, changed or removed."""
    out: dict[str, str] = {}
    if not os.path.lexists(root):
        return out
    skip_set = {os.path.abspath(s) for s in skip}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if os.path.abspath(os.path.join(dirpath, d)) not in skip_set]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if os.path.abspath(p) in skip_set:
                continue
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = f"dir:{stat.S_IMODE(st.st_mode):o}"
            else:
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def make_world(tmp: Path) -> tuple[Path, Path, Path]:
    """A canary tree: ``world/`` with files beside and above where ``dest`` (world/area/data)
    and the cache (world/area/cache) go. Returns (world, dest, cache)."""
    world = tmp / "world"
    (world / "area" / "keep").mkdir(parents=True)
    (world / "canary.txt").write_text("above everything\n")
    (world / "area" / "canary.txt").write_text("beside dest and cache\n")
    (world / "area" / "keep" / "notes.csv").write_text("a,b\n1,2\n")
    os.symlink("canary.txt", world / "area" / "link-to-canary")
    return world, world / "area" / "data", world / "area" / "cache"


def continue_flood(h: Handler) -> None:
    """Interim "100 Continue" answers without end: a client that skips them never stops."""
    end = time.monotonic() + MAX_SECONDS
    while time.monotonic() < end and h.wait(0.01):
        h.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        h.wfile.flush()


def odd_status(h: Handler) -> None:
    h.wfile.write(b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    h.close_connection = True


def bidi_location(h: Handler) -> None:
    """A redirect whose address hides right-to-left overrides and a newline."""
    h.wfile.write(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1/\xe2\x80\xaetxt.exe\r\nContent-Length: 0\r\n"
        b"Connection: close\r\n\r\n"
    )
    h.close_connection = True
