"""A park day in a real store and the real portal in front of it, for the portal's integration and e2e tests.

`park_day` plays a lab Wi-Fi day (`python -m lab.wifi`) through a real `thdmon logs serve` (RADIUS and
syslog listeners, spool, SQLite store) and keeps the generator's ground truth. The day is not sealed (it
is today): exports are proven by connlog's interim checkpoint, and the e2e verifies them with the public
key alone the same day, as an auditor would.
`Portal` runs `thdmon portal serve` as a real process on a free loopback port.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connlog import keys
from connlog.store import Store
from tests.conftest import ROOT
from tests.integration.connlog_ingest.test_park_day import _serve, free_port, unique_loopback, write_inventory
from tests.peers import free_tcp_port, until

DAY = dt.date(2026, 6, 14)
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class ParkDay:
    state: Path
    inventory: Path
    db_url: str
    truth: dict[str, Any]
    records: int

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "THDMON_STATE_DIR": str(self.state), "THDMON_DB_URL": self.db_url,
               "THDMON_INVENTORY": str(self.inventory), "PYTHONPATH": str(ROOT), **extra}
        env.pop("THDMON_CONFIG", None)
        return env


def park_day(root: Path, clients: int = 40, seed: int = 7) -> ParkDay:
    host = unique_loopback()
    radius, syslog = free_port(host), free_port(host)
    inventory = write_inventory(root / "inventory", host)
    db_url = f"sqlite:///{root / 'state' / 'connlog.sqlite'}"
    proc = _serve(root, inventory, host, radius, syslog, db_url)
    try:
        played = subprocess.run(
            [sys.executable, "-m", "lab.wifi", "--radius", f"{host}:{radius}", "--syslog", f"{host}:{syslog}",
             "--clients", str(clients), "--date", DAY.isoformat(), "--seed", str(seed), "--controller", host,
             "--firewall", host, "--dhcp-server", host, "--truth", str(root / "truth.json")],
            env={**os.environ, "THDMON_LAB_RADIUS_SECRET": "lab-secret", "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=120)
        assert played.returncode == 0, played.stderr
        (truth,) = json.loads((root / "truth.json").read_text())
        total = truth["radius_sent"] + truth["syslog_sent"]
        store = Store.open(db_url)
        try:
            until("the park day in the store", lambda: store.last_seq() >= total, 60)
            # The signing key the portal will use (the logs service made it): no day is sealed.
            keys.load_or_create(keys.key_path("", root / "state"))
        finally:
            store.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    return ParkDay(root / "state", inventory, db_url, truth, total)


def add_user(day: ParkDay, name: str, role: str, password: str = PASSWORD) -> None:
    proc = subprocess.run([sys.executable, "-m", "thdmon", "portal", "add-user", name, "--role", role,
                           "--password-stdin"], input=password + "\n", env=day.env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@dataclass
class Portal:
    day: ParkDay
    port: int = field(default_factory=free_tcp_port)
    metrics_port: int = field(default_factory=free_tcp_port)
    tls: tuple[Path, Path] | None = None
    settings: dict[str, str] = field(default_factory=dict)  # THDMON_PORTAL__* overrides
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> Portal:
        args = [sys.executable, "-m", "thdmon", "portal", "serve", "--listen", f"127.0.0.1:{self.port}",
                "--metrics", f"127.0.0.1:{self.metrics_port}"]
        if self.tls:
            args += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        env = self.day.env(**{f"THDMON_PORTAL__{k.upper()}": v for k, v in self.settings.items()})
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.proc.communicate()[1] if self.proc else ""
            try:
                return httpx.get(self.url + "/connexion", verify=False, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        until("the portal answering", up, 60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=False, timeout=30, follow_redirects=False)

    @contextmanager
    def session(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """A client holding a live session of `name`."""
        with self.client() as c:
            r = c.post("/connexion", data={"name": name, "password": password, "login_token": login_token(c)})
            assert r.status_code == 303, (r.status_code, r.text[:500])
            yield c

    def metric(self, outcome: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text
        m = re.search(rf'^thdmon_portal_logins_total\{{outcome="{outcome}"\}} (\S+)$', text, re.M)
        return float(m.group(1)) if m else 0.0


def login_token(c: httpx.Client) -> str:
    page = c.get("/connexion")
    m = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert m, page.text[:500]
    return m.group(1)


def csrf_of(c: httpx.Client, path: str = "/mot-de-passe") -> str:
    page = c.get(path)
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m, (page.status_code, page.text[:500])
    return m.group(1)
