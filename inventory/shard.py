"""The stable split of the département between N collectors, by site: shared by `thdmon serve --shard`
(collector.shard) and `thdmon inventory export --format file_sd --shard` so that both compute the
same split without the inventory importing the collector.

A site (never a device) is the unit, so one site's devices land on the same collector and its
dashboards and topology-based alert inhibitions see one scrape target. The hash is sha1 of the site
id, not Python's hash() (salted per process): every process computes the same split.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from inventory.model import Device, Inventory

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # K, 1-based
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def has_site(self, site_id: str) -> bool:
        return site_bucket(site_id, self.count) == self.index - 1


ALL = Shard(1, 1)


def parse(text: str) -> Shard:
    """'K/N' with 1 <= K <= N; ValueError (a human message) otherwise."""
    match = _SHARD.match(text)
    if match is None:
        raise ValueError(f"shard {text!r}: expected K/N, e.g. 2/4")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"shard {text!r}: K must be between 1 and N (N >= 1)")
    return Shard(index, count)


def site_bucket(site_id: str, count: int) -> int:
    """0-based bucket of a site among `count` shards."""
    return int.from_bytes(hashlib.sha1(site_id.encode(), usedforsecurity=False).digest()[:8], "big") % count


def devices_of_shard(inventory: Inventory, shard: Shard) -> dict[str, Device]:
    """The inventory's devices (enabled or not) whose site belongs to `shard`, by hostname."""
    return {h: d for h, d in inventory.devices.items() if shard.has_site(d.site)}
