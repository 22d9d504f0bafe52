"""Helpers shared by the suites that start real peers: free ports, waiting, a real Prometheus."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lab.ports import free_tcp_port  # re-exported: the suites take it from here with the other peer helpers


def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll `probe` until it returns something truthy (never a fixed sleep); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s")
        time.sleep(0.25)


def start_prometheus(workdir: Path, target_port: int, *, interval: str = "1s", rule_files: tuple[Path, ...] = (),
                     alertmanager_port: int | None = None, more_jobs: dict[str, int] | None = None,
                     scrape: str | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Debian's prometheus on a free loopback port, scraping 127.0.0.1:target_port (job `thdmon`) and each
    of `more_jobs` (job name -> port) every `interval` (and evaluating `rule_files` as often, sending
    alerts to the Alertmanager on `alertmanager_port`); `scrape` (with a timeout of 3/4 of it, as the
    shipped contract) overrides the interval for the `thdmon` job."""
    port = free_tcp_port()
    config = workdir / "prometheus.yml"
    rules = "".join(f"- {path}\n" for path in rule_files)
    alerting = (f"alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{alertmanager_port}']\n"
                if alertmanager_port else "")
    jobs = {"thdmon": target_port, **(more_jobs or {})}
    own = {"thdmon": f"  scrape_interval: {scrape}\n  scrape_timeout: {_three_quarters(scrape)}\n"} if scrape else {}
    scrapes = "".join(f"- job_name: {job}\n{own.get(job, '')}  static_configs:\n  - targets: ['127.0.0.1:{p}']\n"
                      for job, p in jobs.items())
    config.write_text(f"""global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
{"rule_files:" + chr(10) + rules if rules else ""}{alerting}scrape_configs:
{scrapes}""")
    with (workdir / "prometheus.log").open("wb") as out:
        proc = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    return proc, port


def _three_quarters(duration: str) -> str:
    """`60s` -> `45s` (Prometheus durations in whole seconds)."""
    return f"{int(duration.removesuffix('s')) * 3 // 4}s"


def serve_webhook(received: Callable[[dict[str, Any]], None]) -> ThreadingHTTPServer:
    """An HTTP receiver on a free loopback port for Alertmanager's webhook: each notification's JSON body is
    handed to `received` (from the server's threads). `shutdown()` stops it."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_tcp_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_alertmanager(workdir: Path, config: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Debian's prometheus-alertmanager on a free loopback port, alone (clustering off)."""
    port = free_tcp_port()
    with (workdir / "alertmanager.log").open("wb") as out:
        proc = subprocess.Popen(["prometheus-alertmanager", f"--config.file={config}",
                                 f"--storage.path={workdir / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
                                 "--cluster.listen-address="], stdout=out, stderr=subprocess.STDOUT)
    until("alertmanager ready", lambda: _ready(f"http://127.0.0.1:{port}/-/ready"))
    return proc, port


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def prometheus_query(port: int, expr: str) -> list[dict[str, Any]]:
    """An instant query's result vector; empty while Prometheus is not answering yet."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except OSError:
        return []
    assert body["status"] == "success", body
    return body["data"]["result"]
