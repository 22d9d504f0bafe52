"""A park day from lab.wifi through the real listeners into the real store, then the requisition chain.

The second test runs `thdmon logs serve` as a real process, with the database unreachable at first,
kills it with SIGKILL while a NAS is sending, restarts it: every answered request is in the database
exactly once, and every visitor is found from public address, port and instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from connlog.ingest.sources import from_mapping
from connlog.search import Criteria, run
from connlog.store import Store
from lab import inventory_files
from lab.errors import LabError
from lab.wifi.generate import Park, Truth, plan_day, play
from tests.conftest import ROOT
from tests.integration.connlog_ingest.harness import MemorySink, RunningService, config, wait_until

DAY = dt.date(2026, 6, 14)


def unique_loopback() -> str:
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    return f"127.{rng.randrange(64, 250)}.{rng.randrange(1, 250)}.{rng.randrange(1, 250)}"


def free_port(host: str) -> int:
    """A port free for both UDP and TCP on `host` (bound then released: a unique address avoids races)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def check_requisitions(store: Store, truth: Truth, samples: int = 25) -> None:
    rng = random.Random(3)
    for s in rng.sample(truth.sessions, min(samples, len(truth.sessions))):
        at = rng.uniform(s.start + 1, s.stop - 1)
        port = rng.randint(s.port_start, s.port_end)
        assert truth.who(s.public_ip, port, at) == s
        result = run(store, Criteria(public_ip=s.public_ip, port=port, at=at))
        assert [a.client_mac for a in result.attributions] == [s.client_mac], (s, result.attributions)
        a = result.attributions[0]
        assert (a.private_ip, a.user_name, a.session_id, a.ap) == (s.private_ip, s.user_name, s.session_id, s.ap)


def test_park_day_into_the_store_answers_requisitions(tmp_path):
    host = unique_loopback()
    park = Park(controller=host, firewall=host, dhcp_server=host)
    events, truth = plan_day(DAY, 120, seed=11, park=park)
    store = Store.open(f"sqlite:///{tmp_path / 'connlog.sqlite'}")
    sources = from_mapping({host: "lab-secret"}, {host: ("ctrl-parc-sausset", "parc-sausset")})
    try:
        with RunningService(config(tmp_path, radius=(host, 0), syslog=(host, 0)), sources, store) as rs:
            asyncio.run(play(events, truth, park, b"lab-secret", rs.service.radius_address,
                             rs.service.syslog_address))
            total = truth.radius_sent + truth.syslog_sent
            assert truth.radius_answered == truth.radius_sent
            assert wait_until(lambda: store.last_seq() == total, 30), (store.last_seq(), total)
            assert rs.service.spool.depth(store.last_seq()) == 0
            assert rs.metrics.dropped == {}
        check_requisitions(store, truth)
    finally:
        store.close()


def _serve(tmp_path: Path, inventory: Path, host: str, radius: int, syslog: int, db: str,
           ) -> subprocess.Popen[str]:
    env = {**os.environ, "PARC_RADIUS_SECRET": "lab-secret", "THDMON_STATE_DIR": str(tmp_path / "state"),
           "PYTHONPATH": str(ROOT)}
    env.pop("THDMON_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "thdmon", "--inventory", str(inventory), "logs", "serve",
         "--radius", f"{host}:{radius}", "--syslog", f"{host}:{syslog}", "--metrics", "off",
         "--db", db, "--spool", str(tmp_path / "spool")],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def listening() -> bool:
        try:
            socket.create_connection((host, syslog), timeout=0.2).close()
            return True
        except OSError:
            return proc.poll() is not None

    assert wait_until(listening, 30)
    assert proc.poll() is None, proc.communicate()[1]
    return proc


def write_inventory(path: Path, host: str) -> Path:
    return inventory_files.write_inventory(
        path, sites=[inventory_files.site("parc-sausset", name="Parc départemental du Sausset", kind="park",
                                          commune="Aulnay-sous-Bois")],
        credentials={"radius-parcs": inventory_files.radius("env:PARC_RADIUS_SECRET")},
        devices=[inventory_files.device("ctrl-parc-sausset", "parc-sausset", address=host, role="wifi_controller",
                                        radius="radius-parcs")]).root


@pytest.mark.timeout(120)
def test_kill_mid_stream_and_database_down_lose_nothing(tmp_path):
    host = unique_loopback()
    radius, syslog = free_port(host), free_port(host)
    inventory = write_inventory(tmp_path / "inventory", host)
    park = Park(controller=host, firewall=host, dhcp_server=host)
    dead_db = f"postgresql+psycopg://postgres@{host}:{free_port(host)}/postgres"  # nothing listens there
    db = f"sqlite:///{tmp_path / 'connlog.sqlite'}"

    # Day 1 with the database down: everything is answered from the spool alone.
    proc = _serve(tmp_path, inventory, host, radius, syslog, dead_db)
    events1, truth1 = plan_day(DAY, 60, seed=5, park=park)
    asyncio.run(play(events1, truth1, park, b"lab-secret", (host, radius), (host, syslog)))
    assert truth1.radius_answered == truth1.radius_sent
    time.sleep(0.3)  # let the last syslog frames reach the spool (syslog has no acknowledgement)

    # Day 2, RADIUS only, played over ~3 s; the server is SIGKILLed in the middle and restarted with a
    # working database. The NAS retransmits what was not answered.
    events2, truth2 = plan_day(DAY + dt.timedelta(days=1), 60, seed=6, park=park)
    events2 = [e for e in events2 if e.channel == "radius"]
    span = events2[-1].t - events2[0].t
    errors: list[BaseException] = []

    def nas() -> None:
        try:
            asyncio.run(play(events2, truth2, park, b"lab-secret", (host, radius), (host, syslog),
                             speed=span / 3.0, timeout=0.5, retries=20))
        except BaseException as exc:  # reported below
            errors.append(exc)

    sender = threading.Thread(target=nas)
    sender.start()
    assert wait_until(lambda: truth2.radius_answered > 20, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc = _serve(tmp_path, inventory, host, radius, syslog, db)
    sender.join(60)
    assert not errors, errors
    assert truth2.radius_answered == truth2.radius_sent
    assert truth2.radius_retransmissions > 0  # the kill really happened mid-stream

    total = truth1.radius_sent + truth1.syslog_sent + truth2.radius_sent
    store = Store.open(db)
    try:
        assert wait_until(lambda: store.last_seq() >= total, 30), (store.last_seq(), total)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.communicate()[1]
        with store.read() as conn:
            rows = store.records(conn, True)
        assert len(rows) == total  # nothing lost, nothing twice
        keys = {(r.record.session_id, r.record.status, r.record.event_time) for r in rows
                if r.record.kind.value == "radius"}
        assert len(keys) == truth1.radius_sent + truth2.radius_sent
        check_requisitions(store, truth1, samples=10)
    finally:
        store.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_lab_wifi_command_plays_a_day_and_writes_the_truth(tmp_path):
    host = unique_loopback()
    sink = MemorySink()
    sources = from_mapping({host: "lab-only"}, {host: ("ctrl-parc-sausset", "parc-sausset")})
    with RunningService(config(tmp_path, radius=(host, 0), syslog=(host, 0)), sources, sink) as rs:
        (rh, rp), (sh, sp) = rs.service.radius_address, rs.service.syslog_address
        proc = subprocess.run(
            [sys.executable, "-m", "lab.wifi", "--radius", f"{rh}:{rp}", "--syslog", f"{sh}:{sp}", "--clients", "15",
             "--date", "2026-06-14", "--seed", "3", "--dhcp-format", "kea", "--controller", host, "--firewall", host,
             "--dhcp-server", host, "--truth", str(tmp_path / "truth.json")],
            env={**os.environ, "THDMON_LAB_RADIUS_SECRET": "lab-only", "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        (day,) = json.loads((tmp_path / "truth.json").read_text())
        assert len(day["sessions"]) == 15 and day["radius_answered"] == day["radius_sent"]
        assert wait_until(lambda: len(sink.records) == day["radius_sent"] + day["syslog_sent"])
    leases = [r for r in sink.records.values() if r.kind.value == "dhcp"]
    assert sorted(r.client_mac for r in leases) == sorted(s["client_mac"] for s in day["sessions"])
    assert all(r.lease_seconds == 3600 for r in leases)  # Kea's lease time made it through


def test_lab_wifi_with_a_wrong_secret_fails_clearly(tmp_path):
    host = unique_loopback()
    sources = from_mapping({host: "right"}, {host: ("ctrl-parc-sausset", "parc-sausset")})
    with RunningService(config(tmp_path, radius=(host, 0), syslog=(host, 0)), sources) as rs:
        park = Park(controller=host, firewall=host, dhcp_server=host)
        events, truth = plan_day(DAY, 2, seed=1, park=park)
        with pytest.raises(LabError, match="never answered"):
            asyncio.run(play(events[:3], truth, park, b"wrong", rs.service.radius_address, rs.service.syslog_address,
                             timeout=0.2, retries=1))
        assert rs.metrics.dropped_count("radius", "bad_authenticator") >= 2
