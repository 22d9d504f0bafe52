"""Times as people read them: typed in Europe/Paris (what requisitions state), shown with UTC beside."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()


class BadTime(ValueError):
    pass


def parse_local(text: str) -> float:
    """'2026-06-14T15:03' or '2026-06-14 15:03:20' (Europe/Paris unless an offset is given) -> epoch."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadTime(f"« {text} » n'est pas une date et heure (AAAA-MM-JJ HH:MM[:SS])") from None
    epoch = (when if when.tzinfo else when.replace(tzinfo=PARIS)).timestamp()
    if not math.isfinite(epoch) or not EARLIEST <= epoch <= dt.datetime.now(dt.UTC).timestamp() + 86400:
        raise BadTime(f"« {text} » est hors de la période possible (depuis 2000, jusqu'à demain)")
    return epoch


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadTime(f"« {text} » n'est pas une date (AAAA-MM-JJ)") from None


def paris(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, PARIS).strftime("%Y-%m-%d %H:%M:%S")


def utc(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def paris_day_start(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(0), PARIS).timestamp()
