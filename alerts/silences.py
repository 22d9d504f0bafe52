"""`thdmon alerts silence-sync`: the inventory's maintenance dates as Alertmanager silences, idempotently.

A device with `maintenance: DATE` (today or later) gets a silence on `device=<hostname>` until the end of
DATE (midnight Europe/Paris). A site whose every enabled device is in maintenance also gets one on
`site=<id>` (its site alerts carry no device label), until the earliest of those dates. The silences
thdmon made are told by `createdBy`; each run makes Alertmanager's set equal to the wanted one: creates
what is missing, moves the end of those whose date changed (Alertmanager updates an active silence in
place when only its end moves), expires those no longer wanted, and leaves the rest alone — a second
run changes nothing. Silences made by people are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from alerts.errors import AlertsError
from inventory.model import Inventory

PARIS = ZoneInfo("Europe/Paris")
CREATOR = "thdmon silence-sync"
Key = tuple[tuple[str, str], ...]  # (label, value) equality matchers, sorted


@dataclass(frozen=True, slots=True)
class Wanted:
    key: Key
    ends: dt.datetime
    comment: str


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # create | update | expire | keep
    key: Key
    ends: dt.datetime | None
    silence_id: str = ""
    starts: str = ""  # an update keeps the silence's start: Alertmanager then changes it in place

    def as_dict(self) -> dict[str, object]:
        return {"action": self.kind, "matchers": dict(self.key), "id": self.silence_id,
                "ends_at": self.ends.isoformat() if self.ends else None}

    def __str__(self) -> str:
        what = ",".join(f"{k}={v}" for k, v in self.key)
        until = f" until {self.ends.astimezone(PARIS):%Y-%m-%d %H:%M} (Paris)" if self.ends else ""
        return f"{self.kind:7} {what}{until}"


def _end_of(day: dt.date) -> dt.datetime:
    """Midnight after `day` in Paris, as UTC: maintenance dates are inclusive."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), PARIS).astimezone(dt.UTC)


def wanted(inventory: Inventory, today: dt.date) -> list[Wanted]:
    result: list[Wanted] = []
    by_site: dict[str, list[dt.date | None]] = {}
    for device in sorted(inventory.devices.values(), key=lambda d: d.hostname):
        if not device.enabled:
            continue
        in_maintenance = device.in_maintenance(today)
        by_site.setdefault(device.site, []).append(device.maintenance if in_maintenance else None)
        if in_maintenance and device.maintenance is not None:
            result.append(Wanted((("device", device.hostname),), _end_of(device.maintenance),
                                 f"maintenance of {device.hostname} until {device.maintenance} (inventory)"))
    for site_id, dates in sorted(by_site.items()):
        if dates and all(d is not None for d in dates):
            until = min(d for d in dates if d is not None)
            result.append(Wanted((("site", site_id),), _end_of(until),
                                 f"every device of {site_id} in maintenance until {until} (inventory)"))
    return result


class AlertmanagerApi:
    """The three calls of Alertmanager's v2 API that silence-sync needs."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in {"http", "https"}:
            raise AlertsError(f"{base_url}: Alertmanager is reached over http or https")
        self.base = base_url.rstrip("/") + "/api/v2"
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,  # noqa: S310 - scheme checked
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            payload = response.read()
        return json.loads(payload) if payload else None

    def silences(self) -> list[dict[str, object]]:
        return list(self._call("GET", "/silences") or [])

    def post(self, silence: dict[str, object]) -> str:
        return str(self._call("POST", "/silences", silence)["silenceID"])  # type: ignore[index]

    def expire(self, silence_id: str) -> None:
        self._call("DELETE", f"/silence/{silence_id}")


def _key(silence: dict[str, object]) -> Key | None:
    """The key of a silence thdmon could have made (equality matchers only), else None."""
    pairs = []
    for m in silence.get("matchers", []):  # type: ignore[union-attr]
        if m.get("isRegex") or not m.get("isEqual", True):
            return None
        pairs.append((m["name"], m["value"]))
    return tuple(sorted(pairs))


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _body(w: Wanted, starts: str, silence_id: str = "") -> dict[str, object]:
    body: dict[str, object] = {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in w.key],
        "startsAt": starts, "endsAt": w.ends.isoformat(), "createdBy": CREATOR, "comment": w.comment,
    }
    if silence_id:
        body["id"] = silence_id
    return body


def plan(existing: Iterable[dict[str, object]], want: list[Wanted]) -> list[Action]:
    mine: dict[Key, dict[str, object]] = {}
    actions: list[Action] = []
    for s in existing:
        state = s.get("status", {}).get("state")  # type: ignore[union-attr]
        key = _key(s)
        if s.get("createdBy") != CREATOR or state == "expired" or key is None:
            continue
        if key in mine:  # a duplicate (two runs at once): keep one
            actions.append(Action("expire", key, None, str(s["id"])))
            continue
        mine[key] = s
    for w in want:
        current = mine.pop(w.key, None)
        if current is None:
            actions.append(Action("create", w.key, w.ends))
        elif abs((_parse_time(str(current["endsAt"])) - w.ends).total_seconds()) >= 1:
            actions.append(Action("update", w.key, w.ends, str(current["id"]), str(current["startsAt"])))
        else:
            actions.append(Action("keep", w.key, w.ends, str(current["id"])))
    actions += [Action("expire", key, None, str(s["id"])) for key, s in sorted(mine.items())]
    return actions


def sync(inventory: Inventory, api: AlertmanagerApi, today: dt.date, *, dry_run: bool = False,
         now: dt.datetime | None = None) -> list[Action]:
    now = now or dt.datetime.now(dt.UTC)
    want = wanted(inventory, today)
    by_key = {w.key: w for w in want}
    actions = plan(api.silences(), want)
    if dry_run:
        return actions
    done = []
    for a in actions:
        if a.kind == "create":
            a = Action(a.kind, a.key, a.ends, api.post(_body(by_key[a.key], now.isoformat())))
        elif a.kind == "update":
            a = Action(a.kind, a.key, a.ends, api.post(_body(by_key[a.key], a.starts, a.silence_id)))
        elif a.kind == "expire":
            api.expire(a.silence_id)
        done.append(a)
    return done
