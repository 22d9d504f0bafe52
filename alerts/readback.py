"""Read thdmon's own series back, from a running `thdmon serve` (/metrics) or from Prometheus.

`thdmon status` and `thdmon topology check` never poll devices: they read what the collectors already
know. From serve, one scrape of its page (the current values); from Prometheus, one instant query over
the families wanted (every shard's collectors at once).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from alerts.errors import AlertsError
from metrics import catalogue

TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Source:
    """Where to read: `metrics_url` (a serve's /metrics) or `prometheus_url` (its HTTP API)."""

    url: str
    prometheus: bool = False
    auth: tuple[str, str] | None = None  # basic auth for a serve beyond loopback

    def __str__(self) -> str:
        return ("prometheus " if self.prometheus else "") + self.url


def _get(url: str, auth: tuple[str, str] | None) -> bytes:
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise AlertsError(f"{url}: only http and https URLs are read")
    # gzip: a serve sends the members it keeps as they are (unpacking them is then this side's work)
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310 - scheme checked above
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - scheme checked above
            body = response.read()
            return gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body
    except (OSError, EOFError) as exc:
        raise AlertsError(f"cannot read {url}: {exc}") from None


def parse_exposition(text: str, names: Collection[str]) -> list[Series]:
    """The samples of `names` in a text exposition (info families by their `_info` sample name)."""
    wanted = set(names)
    return [Series(s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(text) for s in family.samples if s.name in wanted]


def page_url(url: str, names: Collection[str]) -> str:
    """A serve's /metrics URL for `names`: its liveness part when they are all on it (the small page,
    ~1 % of a collector's series: what `thdmon status` refreshes), else the whole page."""
    parts = urllib.parse.urlsplit(url)
    if not all(catalogue.get(n).liveness for n in names) or "part=" in parts.query:
        return url
    query = "&".join(filter(None, [parts.query, "part=liveness"]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def read(source: Source, names: Collection[str]) -> list[Series]:
    for name in names:
        catalogue.get(name)  # a typo here is a bug, not an empty screen
    if not source.prometheus:
        return parse_exposition(_get(page_url(source.url, names), source.auth).decode("utf-8"), names)
    expr = '{__name__=~"' + "|".join(re.escape(n) for n in sorted(names)) + '"}'
    url = source.url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.loads(_get(url, source.auth))
    if body.get("status") != "success":
        raise AlertsError(f"{source}: {body.get('error', body)}")
    result = []
    for item in body["data"]["result"]:
        labels = dict(item["metric"])
        name = labels.pop("__name__")
        result.append(Series(name, labels, float(item["value"][1])))
    return result
