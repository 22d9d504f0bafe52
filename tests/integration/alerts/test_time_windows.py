"""Time windows end to end: the generated Alertmanager configuration in a real Alertmanager, delivering to
webhook receivers in this test.

`amtool config routes test` ignores `active_time_intervals`, so only a running Alertmanager can say
whether a route is live at a given time. The clock cannot be moved: the windows are redrawn around *now*
(Europe/Paris, as the shipped ones are) in the shipped policy, and the configuration is built by the
production builder (`alerts.build.render`). The shipped routes stay as they are: a collège pages in
`school_hours`, a park in `working_hours`, and everything reaches the e-mail catch-all.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from alerts import build
from alerts.policy import DEFAULT_POLICY, load_policy
from inventory import load_inventory
from inventory.model import Inventory, SiteKind
from lab.sample import generate
from tests.conftest import require
from tests.peers import serve_webhook, start_alertmanager, until

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MARGIN = 30  # minutes either side of now: far more than the test lasts


@dataclass
class Receivers:
    """Every notification Alertmanager posts, by the receiver named in its body."""

    got: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sites(self, receiver: str) -> set[str]:
        with self.lock:
            return {a["labels"]["site"] for name, body in self.got if name == receiver for a in body["alerts"]}


@pytest.fixture
def receivers() -> Iterator[tuple[Receivers, int]]:
    seen = Receivers()

    def received(body: dict[str, Any]) -> None:
        with seen.lock:
            seen.got.append((body["receiver"], body))

    server = serve_webhook(received)
    try:
        yield seen, server.server_address[1]
    finally:
        server.shutdown()


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def windows_around(now: dt.datetime, outside: str) -> dict[str, dict[str, Any]]:
    """`school_hours` covering `now`; `working_hours` not covering it, by its hours the same day
    (`outside="hours"`) or by its weekday, the whole of another day (`outside="weekday"`)."""
    today = WEEKDAYS[now.weekday()]
    minute = now.hour * 60 + now.minute
    inside = {"start": _hhmm(max(0, minute - MARGIN)), "end": _hhmm(min(24 * 60, minute + MARGIN + 1))}
    if outside == "hours":
        # the part of today farther than MARGIN from now: before it, or after it near midnight
        other = ({"start": "00:00", "end": _hhmm(minute - MARGIN)} if minute >= 2 * MARGIN
                 else {"start": _hhmm(minute + MARGIN + 1), "end": "24:00"})
        away = {"weekdays": [today], "times": [other]}
    else:
        away = {"weekdays": [WEEKDAYS[(now.weekday() + 3) % 7]], "times": [{"start": "00:00", "end": "24:00"}]}
    return {"school_hours": {"weekdays": [today], "times": [inside], "location": "Europe/Paris"},
            "working_hours": {**away, "location": "Europe/Paris"}}


def _config(work: Path, inv: Inventory, hook_port: int, windows: dict[str, Any]) -> Path:
    """The shipped policy with its windows redrawn and its receivers pointed at the test."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    am = policy["alertmanager"]
    am["windows"] = windows
    am["receivers"] = {name: {"webhook_url": f"http://127.0.0.1:{hook_port}/{name}"} for name in am["receivers"]}
    am["group_wait"] = "1s"  # not 0: with 0 s Alertmanager has been seen to skip its checks
    path = work / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    _, files = build.render(inv, load_policy(path))
    build.write(work, files)
    return work / build.ALERTMANAGER_FILE


def _site(inv: Inventory, kind: SiteKind) -> dict[str, str]:
    site = next(s for s in sorted(inv.sites.values(), key=lambda s: s.id) if s.kind == kind)
    return {"site": site.id, "site_kind": site.kind.value, "commune": site.commune}


@pytest.mark.parametrize("outside", ["hours", "weekday"])
def test_a_route_pages_inside_its_window_only(tmp_path: Path, receivers: tuple[Receivers, int], outside: str):
    require(shutil.which("prometheus-alertmanager") is not None,
            "prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)")
    seen, hook_port = receivers
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)
    now = dt.datetime.now(PARIS)
    config = _config(tmp_path, inv, hook_port, windows_around(now, outside))
    generated = yaml.safe_load(config.read_text(encoding="utf-8"))
    # the production builder wrote the windows and the routes that use them
    assert {w["name"] for w in generated["time_intervals"]} == {"school_hours", "working_hours"}
    assert {tuple(r.get("active_time_intervals", ())) for r in generated["route"]["routes"]} >= {
        ("school_hours",), ("working_hours",)}
    proc, port = start_alertmanager(tmp_path, config)
    try:
        college, park = _site(inv, SiteKind.college), _site(inv, SiteKind.park)
        alerts = [{"labels": {"alertname": "SiteDown", "severity": "critical", **where},
                   "annotations": {"summary": "test"}} for where in (college, park)]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 200
        # both reach the catch-all e-mail receiver, whatever the time
        until("both SiteDown e-mailed", lambda: seen.sites("email") == {college["site"], park["site"]}, timeout=20)
        # the collège is inside school_hours: paged
        until("the collège paged", lambda: seen.sites("page") == {college["site"]}, timeout=20)
        # the park's page would have been flushed with its e-mail (same group_wait); give it a moment more
        time.sleep(2)
        assert seen.sites("page") == {college["site"]}, f"paged outside working_hours ({outside}) at {now:%a %H:%M}"
    finally:
        proc.kill()
        proc.wait()
