"""`thdmon status` reads the same report from a real Prometheus as from the page Prometheus scraped."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alerts.readback import Source, read
from alerts.status import NAMES, build_report
from inventory.model import Inventory
from tests.conftest import require
from tests.peers import free_tcp_port, prometheus_query, start_prometheus, until
from tests.unit.sites.conftest import inv  # noqa: F401 - the small département fixture
from tests.unit.sites.test_status import NOW, _exposition, _scenario


def test_status_from_prometheus_matches_status_from_the_page(inv: Inventory, tmp_path: Path):  # noqa: F811
    require(shutil.which("prometheus") is not None, "prometheus not installed (apt-get install prometheus)")
    page = _exposition(inv, _scenario(inv)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_tcp_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prom, prom_port = start_prometheus(tmp_path, server.server_address[1])
    try:
        until("Prometheus scraped the site states", lambda: prometheus_query(prom_port, "thdmon_site_state"))
        direct = build_report(read(Source(f"http://127.0.0.1:{server.server_address[1]}/metrics"), NAMES), "page", NOW)
        via = build_report(read(Source(f"http://127.0.0.1:{prom_port}", prometheus=True), NAMES), "prom", NOW)
        assert [(s.site, s.state, s.cause, s.since) for s in via.sites] == [
            (s.site, s.state, s.cause, s.since) for s in direct.sites]
        assert via.counts == direct.counts and [s.site for s in via.sites] == ["pop", "clg", "lyc"]
    finally:
        prom.kill()
        prom.wait()
        server.shutdown()
