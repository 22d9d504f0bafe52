"""Issue 10, defect 8: retransmissions are stored exactly once across SIGKILL restarts, with and without
Event-Timestamp. FreeRADIUS's radclient floods `thdmon logs serve` (a real process) and retransmits the
same packet (same identifier and authenticator) until answered; the server is killed twice meanwhile.
Without Event-Timestamp the dedup key is (NAS, session, status, session time, octets), warmed from the
spool's tail after the restart."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import pytest

from connlog.store import Store
from tests.integration.connlog_ingest.harness import wait_until
from tests.integration.connlog_ingest.test_park_day import _serve, free_port, unique_loopback, write_inventory

SESSIONS = 1500  # x Start, Interim-Update, Stop = 4,500 requests


def _requests(path: Path, event_timestamp: bool, source: str) -> int:
    blocks = []
    for n in range(SESSIONS):
        base = (f'Acct-Session-Id = "R{n:06d}"\nCalling-Station-Id = "02-00-00-{n >> 16 & 255:02X}-{n >> 8 & 255:02X}-'
                f'{n & 255:02X}"\nFramed-IP-Address = 10.30.{n >> 8 & 255}.{n & 255}\n'
                f"Packet-Src-IP-Address = {source}\n")  # the NAS is known by its source address
        for i, (status, session_time) in enumerate((("Start", None), ("Interim-Update", 600), ("Stop", 1200))):
            attrs = base + f"Acct-Status-Type = {status}\n"
            if session_time is not None:
                attrs += f"Acct-Session-Time = {session_time}\nAcct-Input-Octets = {n * 10 + i}\n"
            if event_timestamp:
                attrs += f"Event-Timestamp = {1781438607 + n * 10 + i}\n"
            blocks.append(attrs)
    path.write_text("\n".join(blocks))
    return len(blocks)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("event_timestamp", [False, True], ids=["without-event-timestamp", "with-event-timestamp"])
def test_retransmissions_stored_once_across_two_sigkills(tmp_path: Path, radclient: str, event_timestamp) -> None:
    host = unique_loopback()
    radius, syslog = free_port(host), free_port(host)
    inventory = write_inventory(tmp_path / "inventory", host)
    db = f"sqlite:///{tmp_path / 'connlog.sqlite'}"
    total = _requests(tmp_path / "requests.txt", event_timestamp, host)
    proc = _serve(tmp_path, inventory, host, radius, syslog, db)
    flood = subprocess.Popen([radclient, "-s", "-p", "64", "-r", "30", "-t", "1", "-f",
                              str(tmp_path / "requests.txt"), f"{host}:{radius}", "acct", "lab-secret"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outcome: list[dict[str, int]] = []

    def wait() -> None:
        # radclient's summary, not its exit status: a late answer to a retransmission whose Id radclient
        # has already reused is logged as "reply to request we did not send" and fails the exit status,
        # though the server is right to answer every retransmission (RFC 2866).
        out, _ = flood.communicate()
        outcome.append({k.strip(): int(v) for k, _, v in (line.partition(":") for line in out.splitlines())
                        if k.strip() in ("Accepted", "Lost") and v.strip().isdigit()})

    waiter = threading.Thread(target=wait)
    waiter.start()
    store = Store.open(db)
    try:
        kills = 0
        for threshold in (total // 4, total // 2):
            # Kill once that many records are in, i.e. mid-flood with requests in flight.
            assert wait_until(lambda t=threshold: store.last_seq() >= t, 60), (store.last_seq(), outcome)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = _serve(tmp_path, inventory, host, radius, syslog, db)
        waiter.join(180)
        # Every request answered. radclient's "Lost" is not asserted: under load it moved in some runs (by a
        # few) while "Accepted" still reached the total, so it does not count unanswered requests here.
        assert outcome and outcome[0].get("Accepted") == total, outcome
        assert wait_until(lambda: store.last_seq() >= total, 60), (store.last_seq(), total)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.communicate()[1]
        with store.read() as conn:
            rows = store.records(conn, True)
        keys = [(r.record.session_id, r.record.status) for r in rows]
        assert kills == 2
        assert len(keys) == len(set(keys)) == total, (len(keys), len(set(keys)), total)  # exactly once
    finally:
        store.close()
        for p in (proc, flood):
            if p.poll() is None:
                p.kill()
                p.wait()

