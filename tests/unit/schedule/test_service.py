"""The polling service in-process: shard and enabled filtering, reload on file change, failed reloads, stop."""

from __future__ import annotations

import asyncio
import ipaddress
import os
from pathlib import Path

from collector.schedule import Defaults
from collector.service import PollingService, ServiceOptions, fingerprint
from collector.shard import Shard, site_bucket
from inventory.errors import InventoryError
from inventory.model import Device, Inventory, Role, Site, SiteKind

from .test_scheduler import FakePoller, _until


class Poller(FakePoller):
    def __init__(self) -> None:
        super().__init__()
        self.forgotten: list[str] = []
        self.closed = False

    def set_inventory(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def forget(self, hostname: str) -> None:
        self.forgotten.append(hostname)

    async def engine_id(self, device: Device) -> str | None:
        return None

    async def close(self) -> None:
        self.closed = True


class Reloads:
    def __init__(self) -> None:
        self.results: list[bool] = []

    def reloaded(self, ok: bool) -> None:
        self.results.append(ok)


def _inventory(devices: dict[str, tuple[str, bool]]) -> Inventory:
    """hostname -> (site id, enabled)."""
    sites = {s: Site(id=s, name=s, kind=SiteKind.college, commune="Pantin") for s, _ in devices.values()}
    devs = {h: Device(hostname=h, address=ipaddress.ip_address("127.0.0.1"), site=s, role=Role.access_switch,
                      enabled=e) for h, (s, e) in devices.items()}
    return Inventory(root="/x", sites=sites, devices=devs, credentials={}, profiles={})


def test_apply_keeps_this_shards_enabled_devices_only():
    sites = [f"col-{i}" for i in range(12)]
    mine = [s for s in sites if site_bucket(s, 3) == 1]
    inventory = _inventory({f"sw-{s}": (s, True) for s in sites} | {"off": (mine[0], False)})
    seen: list[list[str]] = []
    options = ServiceOptions(shard=Shard(2, 3), defaults=Defaults(fast=0.3),
                             on_inventory=[lambda inv, enabled: seen.append(sorted(enabled))])
    service = PollingService(lambda: inventory, [Poller()], options)
    service.apply(inventory)
    expected = sorted(f"sw-{s}" for s in mine)
    assert sorted(service.scheduler.devices) == expected and seen == [expected]


def test_file_change_reloads_and_a_broken_inventory_keeps_the_previous(tmp_path: Path):
    watched = tmp_path / "inventory"
    watched.mkdir()
    (watched / "devices.yaml").write_text("v1")
    current: dict[str, object] = {"inv": _inventory({"a": ("col-1", True), "b": ("col-1", True)})}

    def load() -> Inventory:
        value = current["inv"]
        if isinstance(value, Exception):
            raise value
        return value  # type: ignore[return-value]

    poller, reloads = Poller(), Reloads()
    service = PollingService(load, [poller], ServiceOptions(defaults=Defaults(fast=0.3), reload_interval=0.05,
                                                          watch_paths=(watched,)), reload_observer=reloads)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop, install_signals=False))
        await _until(lambda: service.running and service.store.get("a") is not None)
        assert service.health() == (True, "ok: 2 devices, shard 1/1")

        current["inv"] = _inventory({"a": ("col-1", True), "c": ("col-2", True)})
        (watched / "devices.yaml").write_text("v2, longer")
        await _until(lambda: reloads.results == [True])
        assert sorted(service.scheduler.devices) == ["a", "c"] and poller.forgotten == ["b"]
        assert service.store.get("b") is None
        await _until(lambda: service.store.get("c") is not None)

        current["inv"] = InventoryError("devices.yaml:3: hostname: field required")
        (watched / "extra.yaml").write_text("broken")
        await _until(lambda: reloads.results == [True, False])
        assert sorted(service.scheduler.devices) == ["a", "c"]  # still polled

        stop.set()
        await task

    asyncio.run(main())
    assert poller.closed and not service.running
    assert service.health() == (False, "not running")


def test_fingerprint_sees_edits_additions_and_removals(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("x")
    first = fingerprint((tmp_path,))
    (tmp_path / "a.yaml").write_text("xy")
    second = fingerprint((tmp_path,))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("z")
    third = fingerprint((tmp_path,))
    (tmp_path / "a.yaml").unlink()
    fourth = fingerprint((tmp_path,))
    os.mkfifo(tmp_path / "x.yaml")  # never opened (it would block): seen, and refused by name at the reload
    fifth = fingerprint((tmp_path,))
    assert len({first, second, third, fourth, fifth}) == 5
    assert fingerprint((tmp_path / "missing",)) == frozenset()


def test_trap_config_groups_shared_addresses_and_needs_v3_engine_ids():
    from pydantic import SecretStr

    from collector.snmp.trapwatch import trap_config
    from inventory.model import SnmpV2cCredential, SnmpV3Credential
    from inventory.secrets import Secrets

    site = Site(id="col-1", name="col-1", kind=SiteKind.college, commune="Pantin")

    def dev(name: str, address: str, port: int, snmp: str) -> Device:
        return Device(hostname=name, address=ipaddress.ip_address(address), snmp_port=port, site="col-1",
                      role=Role.access_switch, snmp=snmp)

    devices = {"a": dev("a", "127.0.0.1", 1161, "v2"), "b": dev("b", "127.0.0.1", 1162, "v2"),
               "w": dev("w", "10.93.0.5", 161, "v3"), "x": dev("x", "10.93.0.6", 161, "missing")}
    inventory = Inventory(
        root="/x", sites={"col-1": site}, devices=devices, profiles={},
        credentials={"v2": SnmpV2cCredential(type="snmp_v2c", community="env:C"),
                     "v3": SnmpV3Credential(type="snmp_v3", user="mon", security_level="authPriv",
                                            auth_protocol="SHA", auth_key="env:A", priv_protocol="AES",
                                            priv_key="env:P")},
        secrets=Secrets({"env:C": SecretStr("comm-1"), "env:A": SecretStr("auth-key-1"),
                         "env:P": SecretStr("priv-key-1")}))
    without = trap_config(inventory, devices, {})
    assert without.by_address == {"127.0.0.1": ("a", "b"), "10.93.0.5": ("w",), "10.93.0.6": ("x",)}
    assert without.communities == ("comm-1",) and without.v3_users == ()  # no engine id yet: no v3 user
    known = trap_config(inventory, devices, {"w": "80001f8880aabb"})
    (user,) = known.v3_users
    assert (user.user, user.engine_id, user.auth_key, user.priv_protocol) == ("mon", "80001f8880aabb",
                                                                             "auth-key-1", "AES")
    assert not [secret for secret in ("comm-1", "auth-key-1", "priv-key-1") if secret in repr(known)]
