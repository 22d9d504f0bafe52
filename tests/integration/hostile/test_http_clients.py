"""Hostile HTTP clients of /metrics (issue 11, defect 7): no timing oracle on user names, a flood of wrong
passwords spends a bounded amount of bcrypt and never slows an authenticated scraper, idle connections
beyond the bounds are closed at once and counted, and the server answers afterwards.

Real sockets against the real server (exporters.http.MetricsServer) on 127.0.0.1; the attackers connect
from other loopback addresses (127.0.0.2...), as other hosts would.
"""

from __future__ import annotations

import base64
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import bcrypt
import pytest
from pydantic import SecretStr

from exporters.guard import ConnectionBound, FailedAuthLimiter
from exporters.http import BasicAuth, MetricsServer

BODY = b'thdmon_device_up{device="sw"} 1.0\n'
PASSWORD = "scrape-S3cret-93"
# Cost 10: ~50-100 ms per verification here, the order of a production hash, so that a difference shows.
HASH = SecretStr(bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode())


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def make_server() -> Iterator[object]:
    servers: list[MetricsServer] = []

    def make(**kw: object) -> MetricsServer:
        server = MetricsServer("127.0.0.1:0", lambda accept: (BODY, "text/plain"), lambda: (True, "ok"),
                               auth=BasicAuth("prometheus", HASH), **kw)  # type: ignore[arg-type]
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def _get(server: MetricsServer, authorization: str | None, source: str = "127.0.0.1") -> tuple[int, float]:
    host, port = server.address
    conn = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0))
    started = time.perf_counter()
    conn.request("GET", "/metrics", headers={"Authorization": authorization} if authorization else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def test_a_wrong_user_name_costs_what_a_wrong_password_costs(make_server) -> None:
    server = make_server(failures=FailedAuthLimiter(limit=1000))
    wrong_user = [_get(server, _basic("nobody", "guess"))[1] for _ in range(7)]
    wrong_password = [_get(server, _basic("prometheus", "guess"))[1] for _ in range(7)]
    assert _get(server, _basic("prometheus", PASSWORD))[0] == 200
    ratio = statistics.median(wrong_user) / statistics.median(wrong_password)
    assert 0.5 < ratio < 2.0, (wrong_user, wrong_password)  # was 2-9 ms against 340-590 ms


def test_a_flood_of_wrong_passwords_is_cut_and_the_scraper_keeps_its_pace(make_server) -> None:
    server = make_server()
    good = _basic("prometheus", PASSWORD)
    assert _get(server, good)[0] == 200  # the scraper has authenticated once (cached from now on)
    statuses: list[int] = []
    lock = threading.Lock()

    def flood(source: str) -> None:
        for _ in range(60):
            status, _ = _get(server, _basic("prometheus", "wrong"), source)
            with lock:
                statuses.append(status)

    cpu = time.process_time()
    # Flooders on the scraper's own address too: a shared NAT must not lock the scraper out.
    threads = [threading.Thread(target=flood, args=(f"127.0.0.{i}",)) for i in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    scrapes = []
    while any(t.is_alive() for t in threads):
        status, seconds = _get(server, good)
        assert status == 200
        scrapes.append(seconds)
    for t in threads:
        t.join()
    spent = time.process_time() - cpu
    assert statuses.count(401) == 4 * 10  # ten verifications per source and minute, no more
    assert statuses.count(429) == 4 * 50
    # Was 0.2-1 s per scrape under such a flood; a loaded machine may still delay one now and then.
    assert statistics.median(scrapes) < 0.2 and max(scrapes) < 1.0, scrapes
    assert spent < 15, spent  # 40 bcrypt verifications and 200 cheap refusals (was 240 verifications)
    counts = server.rejections.counts()
    assert counts["auth_failed"] == 40 and counts["auth_rate_limited"] == 200


def _idle(source: str, server: MetricsServer) -> socket.socket:
    sock = socket.create_connection(server.address, timeout=5, source_address=(source, 0))
    return sock


def _closed_by_server(sock: socket.socket, within: float = 2.0) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_idle_connections_beyond_the_bounds_are_closed_at_once(make_server) -> None:
    server = make_server(connections=ConnectionBound(total=12, per_source=4))
    threads_before = threading.active_count()
    held = [_idle("127.0.0.2", server) for _ in range(4)]
    extra = _idle("127.0.0.2", server)  # a fifth from the same source
    assert _closed_by_server(extra)
    held += [_idle(f"127.0.0.{i}", server) for i in (3, 3, 3, 3, 4, 4, 4, 4)]  # 12: the total
    beyond = _idle("127.0.0.5", server)
    assert _closed_by_server(beyond)
    assert threading.active_count() - threads_before <= 12
    counts = server.rejections.counts()
    assert counts == {"connections_per_source": 1, "connections_total": 1}
    for sock in [*held, extra, beyond]:
        sock.close()
    # Places are given back when the clients go: the server answers again.
    deadline = time.monotonic() + 5
    while True:
        try:
            status, _ = _get(server, _basic("prometheus", PASSWORD))
            break
        except (ConnectionError, http.client.HTTPException):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert status == 200
