"""The SNMP poller builds a device's target once, and again only when the device or the inventory changes."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import SecretStr

from collector.errors import CollectorError
from collector.poller import PollerOptions
from collector.snmp.poller import SnmpPoller
from inventory.model import Device, Inventory, Role, Site, SiteKind, SnmpV2cCredential
from inventory.secrets import Secrets

SITE = Site(id="col-1", name="col-1", kind=SiteKind.college, commune="Pantin")


def _inventory(community: str, port: int = 1161) -> Inventory:
    devices = {
        "sw": Device(hostname="sw", address=ipaddress.ip_address("127.0.0.1"), snmp_port=port, site="col-1",
                     role=Role.access_switch, snmp="v2"),
        "orphan": Device(hostname="orphan", address=ipaddress.ip_address("127.0.0.2"), site="col-1",
                         role=Role.access_switch, snmp="missing"),
    }
    return Inventory(root="/x", sites={"col-1": SITE}, devices=devices, profiles={},
                     credentials={"v2": SnmpV2cCredential(type="snmp_v2c", community="env:C")},
                     secrets=Secrets({"env:C": SecretStr(community)}))


def test_a_target_is_reused_until_a_reload_or_a_changed_device():
    first = _inventory("comm-1")
    poller = SnmpPoller(first, PollerOptions(timeout=0.5, retries=0), modules={})
    target = poller.target(first.devices["sw"])
    assert (target.address, target.port, target.timeout, target.retries) == ("127.0.0.1", 1161, 0.5, 0)
    assert target.community is not None and target.community.get_secret_value() == "comm-1"
    assert poller.target(first.devices["sw"]) is target

    moved = first.devices["sw"].model_copy(update={"snmp_port": 1162})
    assert poller.target(moved).port == 1162  # a different Device: built again

    second = _inventory("comm-2")
    poller.set_inventory(second)
    renewed = poller.target(second.devices["sw"])
    assert renewed.community is not None and renewed.community.get_secret_value() == "comm-2"

    poller.forget("sw")
    assert poller.target(second.devices["sw"]) is not renewed


def test_a_device_without_a_usable_credential_fails_at_every_poll():
    inventory = _inventory("comm-1")
    poller = SnmpPoller(inventory, PollerOptions(), modules={})
    for _ in range(2):
        with pytest.raises(CollectorError, match="orphan: credential 'missing' is not an SNMP credential"):
            poller.target(inventory.devices["orphan"])
