"""The /metrics and /healthz HTTP endpoint (stdlib ThreadingHTTPServer in its own thread).

Scrapes never block polling: requests run in their own threads and read the store through its
snapshot. Loopback by default; any other address requires HTTP basic authentication (a bcrypt or
sha256 hash of the password, from a secret reference) or the server refuses to start. TLS is optional
(certificate and key files); the handshake runs in the request's thread so a slow client cannot stall
the accept loop. Connections are bounded and failed authentications rate-limited per source
(exporters/guard.py); credentials are checked in constant time whatever the user name.
"""

from __future__ import annotations

import base64
import collections
import gzip
import hashlib
import hmac
import ipaddress
import logging
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import bcrypt
from prometheus_client.exposition import gzip_accepted
from pydantic import SecretStr

from collector.errors import CollectorError
from exporters.guard import ConnectionBound, FailedAuthLimiter, Rejections

log = logging.getLogger(__name__)

BodyFn = Callable[[str | None], tuple[bytes, str]]  # Accept header -> (body, content type)
HealthFn = Callable[[], tuple[bool, str]]
GZIP_MIN_BYTES = 1024  # below this, gzip costs more than it saves


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:9810', '[::1]:9810' -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise CollectorError(f"listen address {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:9810")
    if not 0 <= int(port) <= 65535:
        raise CollectorError(f"listen address {listen!r}: port out of range")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


class BasicAuth:
    """One user and a password hash: `$2b$...` (bcrypt) or `sha256:<hex>`. Never shows the hash."""

    def __init__(self, user: str, password_hash: SecretStr) -> None:
        value = password_hash.get_secret_value()
        if not (value.startswith(("$2a$", "$2b$", "$2y$")) or _is_sha256(value)):
            raise CollectorError(
                "the /metrics password must be given as a hash (bcrypt `$2b$...` or `sha256:<64 hex>`), "
                "not in clear; see docs/exporter.md")
        self.user = user
        self._hash = password_hash
        # Digests of headers already verified: bcrypt once, not per scrape. Bounded, least recent out.
        self._accepted: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BasicAuth(user={self.user!r}, password_hash=**********)"

    def check(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic ") or len(header) > MAX_AUTH_HEADER:
            return False
        digest = hashlib.sha256(header.encode()).digest()
        with self._lock:
            if digest in self._accepted:
                self._accepted.move_to_end(digest)
                return True
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        # The password is verified whatever the user name, and both results combined only then: a wrong
        # user name must cost what a wrong password costs, or timing tells which names exist.
        user_ok = hmac.compare_digest(hashlib.sha256(user.encode()).digest(),
                                      hashlib.sha256(self.user.encode()).digest())
        if not (self._verify(password) and user_ok):
            return False
        with self._lock:
            self._accepted[digest] = None
            while len(self._accepted) > ACCEPTED_CACHE:
                self._accepted.popitem(last=False)
        return True

    def known(self, header: str | None) -> bool:
        """Whether `header` was verified recently: a blocked source still scrapes with good credentials."""
        if not header or len(header) > MAX_AUTH_HEADER:
            return False
        digest = hashlib.sha256(header.encode()).digest()
        with self._lock:
            return digest in self._accepted

    def _verify(self, password: str) -> bool:
        stored = self._hash.get_secret_value()
        if _is_sha256(stored):
            return hmac.compare_digest(hashlib.sha256(password.encode()).hexdigest(), stored[7:].lower())
        try:
            return bcrypt.checkpw(password.encode(), stored.encode())
        except ValueError:
            return False


ACCEPTED_CACHE = 64  # verified Authorization headers remembered (one per scraper and password, in practice)
MAX_AUTH_HEADER = 1024  # bytes: a longer header is refused before any hashing


def _is_sha256(value: str) -> bool:
    hexpart = value[7:]
    return value.startswith("sha256:") and len(hexpart) == 64 and all(c in "0123456789abcdefABCDEF" for c in hexpart)


@dataclass(frozen=True, slots=True)
class Tls:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(str(self.cert), str(self.key))
        except (OSError, ssl.SSLError) as exc:
            raise CollectorError(f"TLS certificate {self.cert} / key {self.key}: {exc}") from None
        return ctx


def check_exposure(host: str, auth: BasicAuth | None, tls: Tls | None) -> None:
    """Refuse to serve metrics beyond loopback without authentication: they map the whole network."""
    if is_loopback(host):
        return
    if auth is None:
        raise CollectorError(
            f"refusing to listen on {host}: beyond loopback /metrics requires authentication "
            "(--auth-user and --auth-password-hash), or listen on 127.0.0.1")
    if tls is None:
        log.warning("event=cleartext_auth listen=%s hint=add --tls-cert/--tls-key", host)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None
    connections: ConnectionBound
    rejections: Rejections

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        sock.settimeout(30)  # a stalled client holds one thread at most this long
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # In the accept thread, before a thread is started for it: beyond the bound, closed at once.
        refused = self.connections.enter(client_address[0])
        if refused is not None:
            self.rejections.add(refused)
            return False
        return True

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.leave(client_address[0])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops the connection or fails the TLS handshake is not our error: one line.
        log.info("event=http_client_error client=%s", client_address[0] if client_address else "?")


class MetricsServer:
    """Serves `body` on /metrics and `health` on /healthz until stop()."""

    def __init__(self, listen: str, body: BodyFn, health: HealthFn, *, auth: BasicAuth | None = None,
                 tls: Tls | None = None, connections: ConnectionBound | None = None,
                 failures: FailedAuthLimiter | None = None, gzip_body: BodyFn | None = None,
                 parts: Mapping[str, Page] | None = None) -> None:
        """`body` is the whole /metrics page; `gzip_body` the same already gzip-encoded, served as is to a
        client that accepts gzip (`body` is then for the others; without it a large body is compressed
        per request). `parts`: the pages `/metrics?part=NAME` serves (thdmon serve's liveness and bulk,
        docs/exporter.md); any other part is answered 400."""
        host, port = parse_listen(listen)
        check_exposure(host, auth, tls)
        self.rejections = Rejections()
        handler = type("Handler", (_Handler,), {"health": staticmethod(health),
                                                "page": Page(body, gzip_body), "parts": dict(parts or {}),
                                                "auth": auth, "failures": failures or FailedAuthLimiter(),
                                                "rejections": self.rejections})
        server_class = type("Server", (_Server,), {
            "address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
        try:
            self._server = server_class((host, port), handler)
        except OSError as exc:
            raise CollectorError(f"cannot listen on {listen}: {exc.strerror or exc}") from None
        self._server.tls = tls.context() if tls else None
        self._server.connections = connections or ConnectionBound()
        self._server.rejections = self.rejections
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


TARGET_REFUSED = (b"thdmon serves every device of its shard in one scrape of /metrics: scrape each collector whole, "
                  b"without ?target= (docs/exporter.md, 'Scrape contract'; thdmon inventory export --format file_sd "
                  b"--group-by collector)\n")


@dataclass(frozen=True, slots=True)
class Page:
    """One page /metrics serves: `body` in plain text, and `gzip_body` already gzip-encoded (if it has one)."""

    body: BodyFn
    gzip_body: BodyFn | None = None


def part_refused(parts: Collection[str]) -> bytes:
    """The 400's text for a `?part=` this endpoint does not serve (the value is not echoed)."""
    known = ", ".join(f"part={name}" for name in parts)
    return ((f"unknown part: /metrics serves {known} (one at a time), or the whole page without ?part= "
             if known else "this /metrics has no parts: scrape it without ?part= ")
            + "(docs/exporter.md, 'Scrape contract')\n").encode()


class _Handler(BaseHTTPRequestHandler):
    page: Page
    parts: dict[str, Page]
    health: HealthFn
    auth: BasicAuth | None
    failures: FailedAuthLimiter
    rejections: Rejections
    server_version = "thdmon"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            ok, text = self.health()
            self._send(200 if ok else 503, text.encode() + b"\n", "text/plain; charset=utf-8")
            return
        if self.auth is not None and not self._authenticated():
            return
        if path == "/metrics":
            query = urllib.parse.parse_qs(self.path.partition("?")[2], keep_blank_values=True)
            if "target" in query:
                # snmp_exporter's habit: every per-device scrape would fetch the whole shard (docs/exporter.md)
                self._send(400, TARGET_REFUSED, "text/plain; charset=utf-8")
                return
            page = self.page
            if "part" in query:
                names = query["part"]
                page = self.parts.get(names[0]) if len(names) == 1 else None
                if page is None:
                    self._send(400, part_refused(self.parts), "text/plain; charset=utf-8")
                    return
            if page.gzip_body is not None and gzip_accepted(self.headers.get("Accept-Encoding", "")):
                body, content_type = page.gzip_body(self.headers.get("Accept"))
                self._send(200, body, content_type, encoded=True)
                return
            body, content_type = page.body(self.headers.get("Accept"))
            self._send(200, body, content_type)
        elif path == "/":
            self._send(200, b'<html><body><a href="/metrics">/metrics</a> <a href="/healthz">/healthz</a>'
                            b"</body></html>\n", "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _authenticated(self) -> bool:
        """Check the credentials, or answer 429 (too many failures from this source) or 401."""
        assert self.auth is not None
        source = self.client_address[0]
        header = self.headers.get("Authorization")
        if self.failures.blocked(source) and not self.auth.known(header):
            self.rejections.add("auth_rate_limited")
            self.send_response(429)
            self.send_header("Retry-After", str(self.failures.retry_after(source)))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        if self.auth.check(header):
            return True
        self.failures.failed(source)
        self.rejections.add("auth_failed")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="thdmon", charset="UTF-8"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _send(self, status: int, body: bytes, content_type: str, encoded: bool = False) -> None:
        """`encoded`: `body` is gzip-encoded already."""
        gzipped = encoded or (len(body) >= GZIP_MIN_BYTES and gzip_accepted(self.headers.get("Accept-Encoding", "")))
        if gzipped and not encoded:
            body = gzip.compress(body, compresslevel=1)  # level 1: ~5x smaller at a fraction of level 9's CPU
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("event=http_request client=%s request=%s", self.client_address[0], args[0] if args else "")
