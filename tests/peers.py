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

import yaml

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


# The shipped scrape contract: the collector's jobs (each a part of its page) and their relabelling.
CONTRACT = Path(__file__).resolve().parents[1] / "exporters" / "prometheus.yml"


def start_prometheus(workdir: Path, target_port: int, *, interval: str = "1s", rule_files: tuple[Path, ...] = (),
                     alertmanager_port: int | None = None, more_jobs: dict[str, int] | None = None,
                     scrape: str | None = None, contract: bool = False) -> tuple[subprocess.Popen[bytes], int]:
    """Debian's prometheus on a free loopback port, scraping 127.0.0.1:target_port (job `thdmon`, the whole
    page) and each of `more_jobs` (job name -> port) every `interval` (and evaluating `rule_files` as often,
    sending alerts to the Alertmanager on `alertmanager_port`). `contract`: the collector is scraped by the
    jobs of the shipped `exporters/prometheus.yml` instead (each part of the page on its own job and
    interval, its relabelling), pointed at target_port. `scrape` (with a timeout of 3/4 of it, as the
    shipped contract) overrides the interval of the collector's job(s)."""
    port = free_tcp_port()
    jobs = _collector_jobs(target_port, contract, scrape) + [
        {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{p}"]}]} for job, p in (more_jobs or {}).items()]
    config: dict[str, Any] = {"global": {"scrape_interval": interval, "evaluation_interval": interval}}
    if rule_files:
        config["rule_files"] = [str(path) for path in rule_files]
    if alertmanager_port:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]}
    config["scrape_configs"] = jobs
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    with (workdir / "prometheus.log").open("wb") as out:
        proc = subprocess.Popen(["prometheus", f"--config.file={path}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    return proc, port


def _collector_jobs(target_port: int, contract: bool, scrape: str | None) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = (yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["scrape_configs"] if contract
                                  else [{"job_name": "thdmon"}])
    for job in jobs:
        job.pop("file_sd_configs", None)
        job["static_configs"] = [{"targets": [f"127.0.0.1:{target_port}"]}]
        if scrape:
            job.update(scrape_interval=scrape, scrape_timeout=_three_quarters(scrape))
    return jobs


def _three_quarters(duration: str) -> str:
    """`60s` -> `45000ms` (Prometheus durations)."""
    return f"{int(duration.removesuffix('s')) * 750}ms"


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
