"""Sharding by site: N collectors together poll every device exactly once, the same split everywhere."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from collector.errors import CollectorError
from collector.shard import ALL, Shard, devices_of_shard, parse_shard, site_bucket
from inventory.model import Device, Inventory, Role, Site, SiteKind


def _inventory(sites: int = 120, per_site: int = 3) -> Inventory:
    site_map = {f"col-{i:03d}": Site(id=f"col-{i:03d}", name=f"Collège {i}", kind=SiteKind.college,
                                     commune="Bobigny") for i in range(sites)}
    devices = {f"sw-{s}-{j}": Device(hostname=f"sw-{s}-{j}", address=ipaddress.ip_address("127.0.0.1"), site=s,
                                     role=Role.access_switch, enabled=j != 2)
               for s in site_map for j in range(per_site)}
    return Inventory(root="/nowhere", sites=site_map, devices=devices, credentials={}, profiles={})


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_cover_every_device_exactly_once(n):
    inv = _inventory()
    seen = Counter(h for k in range(1, n + 1) for h in devices_of_shard(inv, Shard(k, n)))
    assert set(seen) == set(inv.devices) and set(seen.values()) == {1}


def test_a_site_is_never_split_and_shards_are_balanced():
    inv = _inventory()
    shards = [devices_of_shard(inv, Shard(k, 4)) for k in range(1, 5)]
    for part in shards:
        sites = {d.site for d in part.values()}
        assert all(len(inv.devices_of_site(s)) == sum(1 for d in part.values() if d.site == s) for s in sites)
    assert min(len(p) for p in shards) > 0.5 * len(inv.devices) / 4


def test_the_split_is_the_same_in_another_process():
    code = "from collector.shard import site_bucket; print(site_bucket('col-bobigny-001', 5))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"}, cwd=str(Path(__file__).parents[3]))
    assert int(other.stdout) == site_bucket("col-bobigny-001", 5)


def test_parse_shard_accepts_k_of_n_and_explains_mistakes():
    assert parse_shard("2/4") == Shard(2, 4) and str(parse_shard(" 1 / 1 ")) == "1/1" == str(ALL)
    for bad in ("0/4", "5/4", "1/0", "two/4", "1-4", ""):
        with pytest.raises(CollectorError, match="shard"):
            parse_shard(bad)


def test_file_sd_exports_of_the_shards_partition_the_full_export_as_serve_polls_it(capsys):
    """`thdmon inventory export --format file_sd --shard K/N` (the real CLI, the sample inventory)."""
    from collector.service import PollingService, ServiceOptions
    from inventory import load_inventory
    from lab.sample import DATA as SAMPLE_INVENTORY
    from thdmon.cli import main

    from .test_service import Poller

    def export(*extra: str) -> list[dict]:
        assert main(["inventory", "export", "--format", "file_sd", "--no-secrets", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    full = export()
    inventory = load_inventory(SAMPLE_INVENTORY, None, check_secrets=False)
    n = 3
    parts = [export("--shard", f"{k}/{n}") for k in range(1, n + 1)]
    assert all(parts)  # the sample's sites spread over the three shards
    union = sorted((g for part in parts for g in part), key=lambda g: g["labels"]["device"])
    assert union == full  # every device exactly once, with the same targets and labels
    for k, part in enumerate(parts, start=1):
        service = PollingService(lambda: inventory, [Poller()], ServiceOptions(shard=Shard(k, n)))
        service.apply(inventory)  # what `thdmon serve --shard k/n` schedules
        assert sorted(service.scheduler.devices) == sorted(g["labels"]["device"] for g in part)
    assert main(["inventory", "export", "--format", "csv", "--shard", "1/3"]) == 2
    assert "--shard applies to --format file_sd only" in capsys.readouterr().err
    assert main(["inventory", "export", "--format", "file_sd", "--shard", "4/3"]) == 2
    assert "K must be between 1 and N" in capsys.readouterr().err
