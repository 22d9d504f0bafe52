"""Open data from a lab park day: the counts equal the generator's ground truth, small cells are suppressed,
and nothing in the file identifies anyone (CLI and portal page give the same CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from connlog import opendata
from connlog.store import Store
from tests.integration.portal.harness import DAY, ParkDay, Portal

PARIS = ZoneInfo("Europe/Paris")


def _truth(day: ParkDay) -> tuple[dict[str, int], dict[str, int]]:
    """Sessions started and distinct devices present per Paris hour, from the generator's own sessions."""
    sessions: dict[str, int] = defaultdict(int)
    devices: dict[str, set[str]] = defaultdict(set)
    for s in day.truth["sessions"]:
        start, stop = int(s["start"]), int(s["stop"])  # RADIUS carries whole seconds (Event-Timestamp)
        sessions[_label(start - start % 3600)] += 1
        hour = start - start % 3600
        while hour < stop:
            devices[_label(hour)].add(s["client_mac"])
            hour += 3600
    return dict(sessions), {k: len(v) for k, v in devices.items()}


def _label(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, PARIS).isoformat(timespec="minutes")


def test_counts_equal_the_ground_truth_and_small_cells_are_suppressed(day: ParkDay):
    sessions, devices = _truth(day)
    store = Store.open(day.db_url)
    try:
        since = dt.datetime.combine(DAY, dt.time(0), PARIS).timestamp()
        exact = opendata.compute(store, since, since + 86400, sites=["parc-sausset"], threshold=2)
        cells = opendata.compute(store, since, since + 86400, sites=["parc-sausset"], threshold=5)
    finally:
        store.close()
    # threshold 2 keeps nearly everything: compare the numbers themselves
    for c in exact:
        assert c.sessions == (sessions.get(c.hour_paris, 0) if sessions.get(c.hour_paris, 0) >= 2 else None)
        assert c.devices == (devices.get(c.hour_paris, 0) if devices.get(c.hour_paris, 0) >= 2 else None)
    assert {c.hour_paris for c in exact} == set(sessions) | set(devices)
    hidden = [c for c in cells if c.sessions is None or c.devices is None]
    shown = [c for c in cells if c.devices is not None]
    assert hidden and shown  # the day has both quiet and busy hours
    for c in cells:
        assert c.sessions is None or c.sessions >= 5
        assert c.devices is None or c.devices >= 5
        assert (c.sessions is None) == (sessions.get(c.hour_paris, 0) < 5)


def test_cli_and_portal_publish_the_same_csv_without_identifiers(day: ParkDay, portal: Portal, tmp_path: Path):
    out = tmp_path / "wifi.csv"
    proc = subprocess.run([sys.executable, "-m", "thdmon", "logs", "opendata", "--from", DAY.isoformat(),
                           "--to", DAY.isoformat(), "-o", str(out)], env=day.env(), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0] == opendata.HEADER and len(rows) > 5
    assert all(r[0] == "parc-sausset" for r in rows[1:])
    assert all(cell == "" or int(cell) >= 10 for r in rows[1:] for cell in r[2:])
    # No identifier of any kind: no MAC, no address, no user, no session, no AP of the day.
    for s in day.truth["sessions"]:
        for value in (s["client_mac"], s["private_ip"], s["public_ip"], s["session_id"], s["ap"], s["user_name"]):
            assert not value or value not in text
    assert not re.search(r"([0-9a-f]{2}:){5}[0-9a-f]{2}|\d+\.\d+\.\d+\.\d+", text)
    with portal.session("alice") as c:
        page = c.get(f"/donnees-ouvertes?du={DAY}&au={DAY}")
        assert page.status_code == 200 and "masqué" in page.text
        assert c.get(f"/donnees-ouvertes.csv?du={DAY}&au={DAY}").text == text
