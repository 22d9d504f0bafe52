"""`--shard K/N`: split the département between N collectors by site, stably.

The split itself lives in `inventory.shard` (sha1 of the site id), shared with `thdmon inventory
export --format file_sd --shard K/N`: a collector polls exactly the devices its shard's export lists.
"""

from __future__ import annotations

from collector.errors import CollectorError
from inventory.shard import ALL, Shard, devices_of_shard, parse, site_bucket

__all__ = ["ALL", "Shard", "devices_of_shard", "parse_shard", "site_bucket"]


def parse_shard(text: str) -> Shard:
    """'K/N' with 1 <= K <= N; CollectorError otherwise."""
    try:
        return parse(text)
    except ValueError as exc:
        raise CollectorError(str(exc)) from None
