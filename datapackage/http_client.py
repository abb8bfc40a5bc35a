"""A small, strict HTTP(S) client for release downloads: one deadline, capped bodies, no surprises.

The standard library's :mod:`http.client` does the transfers: it never decompresses, and a
watchdog shuts the socket when the deadline of the whole download passes, so a server that
drips, stalls or sends without end cannot hold the caller. Redirects are followed at most
``MAX_REDIRECTS`` times, never from https:// down to http://; plain http:// is refused
beyond loopback unless the caller opts in; a body may not exceed the size it is allowed, a
compressed transfer encoding or a web page in place of a file is refused. Every failure is
a :class:`DownloadError` of one line; messages quote untrusted text through ``show``.
"""

from __future__ import annotations

import re
import threading
import time

from .releases import ReleaseError, show

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
ALLOW_HTTP_ENV = "DATAPACKAGE_ALLOW_HTTP"


class Param:
    """A parameter named in a message: ``base_url=URL`` to Python, ``--base-url URL`` on the command line."""

    FLAGS = {"allow_http": "--allow-http"}

    def __init__(self, name: str, value: str | None = None):
        self.name, self.value = name, value

    def python(self) -> str:
        return f"{self.name}=True" if self.value is None else f"{self.name}={self.value}"

    def cli(self) -> str:
        flag = self.FLAGS.get(self.name, "--" + self.name.replace("_", "-"))
        return flag if self.value is None else f"{flag} {self.value}"


class DownloadError(ReleaseError):
    """A release could not be fetched; the message (one line) says why and what to do."""

    def __init__(self, *parts: str | Param):
        self.parts = parts
        super().__init__(self._render("python"))

    def _render(self, how: str) -> str:
        return "".join(getattr(p, how)() if isinstance(p, Param) else p for p in self.parts)

    def cli(self) -> str:
        """The message with command-line options (``--base-url``) instead of parameters."""
        return self._render("cli")

    def prefixed(self, *prefix: str | Param) -> DownloadError:
        return DownloadError(*prefix, *self.parts)


class TrustWarning(UserWarning):
    """A release was accepted on the server's word alone (trusted on first use)."""


class Deadline:
    """One deadline for a whole download; a watchdog closes the open connection when it passes."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        shut(sock)

    def watch(self, sock) -> None:
        """Shut ``sock`` down when the deadline passes (the response reads from it after its
        connection object has let go of it)."""
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            shut(sock)

    def remaining(self, what: str) -> float:
        left = self.end - time.monotonic()
        if left <= 0 or self.expired:
            raise self.error(what)
        return left

    def error(self, what: str) -> DownloadError:
        return DownloadError(
            f"{what}: no complete answer within the deadline of {self.seconds:g} s (the server is "
            "slow, stalled or sends without end); try again later, or allow more time with ",
            Param("timeout", "SECONDS"),
        )

    def cancel(self) -> None:
        self._timer.cancel()


def shut(sock) -> None:
    if sock is not None:
        import socket

        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_http: bool):
    from urllib.parse import urlsplit

    if not isinstance(url, str) or any(not c.isprintable() or c.isspace() for c in url) or len(url) > 2000:
        raise DownloadError(f"the address {show(url)} is not a URL (it holds spaces or control characters)")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise DownloadError(f"the address {show(url)} is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise DownloadError(f"the address {show(url)} is not an https:// URL")
    if parts.scheme == "http" and not allow_http and not is_loopback(host):
        raise DownloadError(
            f"refused the plain http:// address {show(url)}: anyone on the way can change what it "
            "sends. Use https://, or accept the risk with ",
            Param("allow_http"),
            f" (or {ALLOW_HTTP_ENV}=1)",
        )
    return parts, host, port


def connection(parts, host: str, port: int | None, timeout: float, what: str):
    """An unopened connection for ``parts`` and the request target, through the proxy that
    ``https_proxy``/``http_proxy`` name (``no_proxy`` and loopback addresses go direct)."""
    import http.client
    from urllib.parse import unquote, urlsplit
    from urllib.request import getproxies, proxy_bypass

    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = None if is_loopback(host) else getproxies().get(parts.scheme)
    if proxy and proxy_bypass(host):
        proxy = None
    context = None
    if parts.scheme == "https":
        import ssl

        context = ssl.create_default_context()
    if not proxy:
        if context is not None:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=context), path
        return http.client.HTTPConnection(host, port, timeout=timeout), path
    try:
        pp = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        phost, pport = pp.hostname, pp.port
    except ValueError:
        phost = None
    if not phost or pp.scheme != "http":
        raise DownloadError(
            f"{what}: the proxy address {show(proxy)} is not an http:// URL (the only kind of proxy supported)"
        )
    headers = {}
    if pp.username is not None:
        import base64

        token = f"{unquote(pp.username)}:{unquote(pp.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(token).decode()
    if context is not None:  # https: a tunnel through the proxy, TLS end to end with the server
        tls = http.client.HTTPSConnection(phost, pport, timeout=timeout, context=context)
        tls.set_tunnel(host, port or 443, headers=headers)
        return tls, path
    # plain http: the proxy is asked for the absolute address
    return _ProxiedHTTP(
        http.client.HTTPConnection(phost, pport, timeout=timeout), headers
    ), f"http://{parts.netloc}{path}"


class _ProxiedHTTP:
    """A plain-http connection to a proxy that adds its credentials to every request."""

    def __init__(self, conn, headers: dict):
        self._conn, self._headers = conn, headers

    def request(self, method, url, headers=None):
        self._conn.request(method, url, headers={**(headers or {}), **self._headers})

    def __getattr__(self, name):
        return getattr(self._conn, name)


def get(url: str, deadline: Deadline, allow_http: bool, what: str):
    """Open ``url`` (following at most MAX_REDIRECTS redirects); return (response, connection)."""
    from urllib.parse import urljoin

    seen: list[str] = []
    for _ in range(MAX_REDIRECTS + 1):
        parts, host, port = check_url(url, allow_http)
        if seen and parts.scheme == "http" and seen[-1].startswith("https:") and not allow_http:
            raise DownloadError(f"{what}: the server redirected from https:// to plain http:// ({show(url)}); refused")
        seen.append(url)
        conn, path = connection(parts, host, port, deadline.remaining(what), what)
        try:
            conn.connect()
            deadline.watch(conn.sock)
            conn.request(
                "GET",
                path,
                headers={"Accept-Encoding": "identity", "Connection": "close", "User-Agent": "ketamine-ssri-evidence"},
            )
            resp = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        status = resp.status
        if status in (301, 302, 303, 307, 308):
            location = resp.getheader("Location")
            conn.close()
            if not location:
                raise DownloadError(f"{what}: the server answered {status} (a redirect) with no address")
            url = urljoin(url, location)
            continue
        if status != 200:
            conn.close()
            hint = {
                404: "not found: the address or the version may be wrong, or the release is incomplete on the server",
                403: "forbidden",
                410: "gone",
            }.get(status)
            if hint is None:
                hint = "a server error; try again later" if status >= 500 else "not a file"
            raise DownloadError(f"{what}: the server answered {status} ({hint})")
        encoding = (resp.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            conn.close()
            raise DownloadError(
                f"{what}: the server sent it compressed (Content-Encoding: {show(encoding)}) although "
                "none was asked for; refused (a small compressed body can inflate without bound)"
            )
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if ctype in ("text/html", "application/xhtml+xml"):
            conn.close()
            raise DownloadError(
                f"{what}: the server sent a web page ({ctype}), not a release file; is the "
                "address right? (a login or error page of a proxy looks like this)"
            )
        return resp, conn
    raise DownloadError(f"{what}: more than {MAX_REDIRECTS} redirects (a redirect loop?); refused")


def transfer(url: str, deadline: Deadline, allow_http: bool, what: str, limit: int, sink, exact: int | None = None):
    """Stream the body of ``url`` into ``sink(chunk)``; at most ``limit`` bytes; return the count."""
    import http.client

    conn = None
    try:
        resp, conn = get(url, deadline, allow_http, what)
        length = resp.getheader("Content-Length")
        if length is not None:
            if not re.fullmatch(r"[0-9]{1,18}", length.strip()):
                raise DownloadError(f"{what}: the server sent a Content-Length of {show(length)}; refused")
            if exact is not None and int(length) != exact:
                raise DownloadError(
                    f"{what}: the server announces {int(length)} bytes, the trusted manifest "
                    f"says {exact}; refused (truncated, padded or a different file)"
                )
            if int(length) > limit:
                raise DownloadError(
                    f"{what}: the server announces {int(length)} bytes, more than the {limit} allowed; refused"
                )
        count = 0
        while True:
            chunk = resp.read1(CHUNK) if hasattr(resp, "read1") else resp.read(CHUNK)
            if not chunk:
                break
            if deadline.expired or time.monotonic() > deadline.end:
                raise deadline.error(what)
            count += len(chunk)
            if count > limit:
                if exact is not None:
                    raise DownloadError(
                        f"{what}: the server sent more than the {exact} bytes the trusted manifest "
                        "lists; stopped and refused"
                    )
                raise DownloadError(f"{what}: larger than {limit} bytes, so not a release manifest; stopped")
            sink(chunk)
        if deadline.expired:
            raise deadline.error(what)
        return count
    except DownloadError:
        if deadline.expired:
            raise deadline.error(what) from None
        raise
    except http.client.IncompleteRead as e:
        if deadline.expired:
            raise deadline.error(what) from None
        raise DownloadError(
            f"{what}: the connection ended after {len(e.partial)} bytes, before the end the server announced; try again"
        ) from None
    except (http.client.HTTPException, OSError, ValueError, UnicodeError) as e:
        if deadline.expired or isinstance(e, TimeoutError):
            raise deadline.error(what) from None
        if isinstance(e, ConnectionRefusedError) or (isinstance(e, OSError) and e.errno in (-2, -3, -5, 101, 113)):
            raise Offline(
                f"cannot reach {show(url)} ({e.strerror or type(e).__name__}): you seem to be offline, "
                "or the address is wrong"
            ) from None
        if isinstance(e, OSError) and e.__class__.__name__.startswith("SSL"):
            raise DownloadError(f"{what}: the secure connection failed ({show(str(e), 120)})") from None
        if isinstance(e, http.client.HTTPException):
            reason = {
                "LineTooLong": "a header line longer than allowed",
                "RemoteDisconnected": "the server closed the connection without an answer",
                "BadStatusLine": "the answer is not HTTP",
            }.get(type(e).__name__, show(str(e) or type(e).__name__, 100))
            raise DownloadError(f"{what}: the server's answer is broken ({reason}); refused") from None
        raise DownloadError(f"{what}: the transfer failed ({show(str(e) or type(e).__name__, 100)})") from None
    finally:
        if conn is not None:
            conn.close()


class Offline(DownloadError):
    """The server cannot be reached at all (as opposed to answering badly)."""


def fetch_bytes(url: str, deadline: Deadline, allow_http: bool, what: str, limit: int) -> bytes:
    buf = bytearray()
    transfer(url, deadline, allow_http, what, limit, buf.extend)
    return bytes(buf)
