"""Open data: Wi-Fi sessions and distinct devices per park and hour, with small cells suppressed.

The only Wi-Fi use data that may leave the legal store. Computed from RADIUS accounting: a session
(NAS + Acct-Session-Id) runs from its start to its Stop (else its last report); it counts in the
sessions of the hour it started in and makes its terminal count once among the devices of every hour it
overlaps. Hours are Europe/Paris (people read them so); the output carries the park, the hour and the
two counts, never a MAC, an address, a user, a session or an AP. Every count below the threshold
(default 10) is suppressed, zero included, so no person can be singled out; no totals are published,
which would give suppressed cells back by subtraction.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connlog.errors import ConnlogError
from connlog.models import RecordRow
from connlog.store import Store

PARIS = ZoneInfo("Europe/Paris")
HEADER = ["parc", "heure_debut", "sessions", "appareils_distincts"]
_MAX_SESSION = 86400.0  # a session is read from records up to a day before the period


@dataclass(frozen=True, slots=True)
class Cell:
    site: str
    hour: float  # UTC epoch of the start of the hour
    sessions: int | None  # None: suppressed (fewer than the threshold)
    devices: int | None

    @property
    def hour_paris(self) -> str:
        return dt.datetime.fromtimestamp(self.hour, PARIS).isoformat(timespec="minutes")


@dataclass
class _Session:
    site: str | None
    mac: str | None
    start: float
    stop: float


def _sessions(store: Store, since: float, until: float) -> Iterable[_Session]:
    query = (select(RecordRow.source, RecordRow.session_id, RecordRow.site, RecordRow.client_mac, RecordRow.status,
                    RecordRow.start, RecordRow.stop, RecordRow.event_time)
             .where(RecordRow.kind == "radius", RecordRow.event_time >= since - _MAX_SESSION,
                    RecordRow.event_time < until + _MAX_SESSION, RecordRow.session_id.is_not(None)))
    found: dict[tuple[str, str], _Session] = {}
    stopped: set[tuple[str, str]] = set()
    with store.read() as conn:
        for source, sid, site, mac, status, start, stop, event_time in conn.execute(
                query, execution_options={"yield_per": 20_000}):
            key = (source, sid)
            begin = start if start is not None else event_time
            s = found.get(key)
            if s is None:
                s = found[key] = _Session(site, mac, begin, event_time)
            s.start = min(s.start, begin)
            s.site, s.mac = s.site or site, s.mac or mac
            if status == "Stop":
                s.stop = stop if stop is not None else event_time
                stopped.add(key)
            elif key not in stopped:
                s.stop = max(s.stop, event_time)  # unfinished: until its last report
    return found.values()


def compute(store: Store, since: float, until: float, *, sites: Iterable[str] | None = None,
            threshold: int = 10) -> list[Cell]:
    if until <= since:
        raise ConnlogError("the end of the period must follow its start")
    if threshold < 2:
        raise ConnlogError("the suppression threshold must be at least 2")
    wanted = set(sites) if sites is not None else None
    sessions: dict[tuple[str, float], int] = defaultdict(int)
    devices: dict[tuple[str, float], set[str]] = defaultdict(set)
    for s in _sessions(store, since, until):
        if s.site is None or (wanted is not None and s.site not in wanted):
            continue
        if since <= s.start < until:
            sessions[(s.site, _hour(s.start))] += 1
        # Paris is a whole number of hours from UTC: its hours start where UTC hours do.
        hour = max(_hour(s.start), _hour(since))
        while hour < min(s.stop, until):
            if s.mac is not None:
                devices[(s.site, hour)].add(s.mac)
            hour += 3600
    keys = sorted(set(sessions) | set(devices))
    return [Cell(site, hour, _keep(sessions.get((site, hour), 0), threshold),
                 _keep(len(devices.get((site, hour), ())), threshold)) for site, hour in keys]


def _hour(epoch: float) -> float:
    return epoch - epoch % 3600


def _keep(count: int, threshold: int) -> int | None:
    return count if count >= threshold else None


def write_csv(cells: list[Cell], out: Path | None = None) -> str:
    """Semicolon CSV (what French spreadsheets open), suppressed cells empty; written to `out` if given."""
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    for c in cells:
        writer.writerow([c.site, c.hour_paris, "" if c.sessions is None else c.sessions,
                         "" if c.devices is None else c.devices])
    text = buffer.getvalue()
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return text
