"""A small département for the roll-up tests: a data centre, a PoP behind it, a collège and a park
behind the PoP, and a lycée hanging directly from the data centre."""

from __future__ import annotations

import pytest

from inventory.model import Device, Inventory, Role, Site, SiteKind


def site(id_: str, kind: SiteKind, uplink: str | None, commune: str = "Bobigny") -> Site:
    return Site(id=id_, name=id_.upper(), kind=kind, commune=commune, lat=48.9, lon=2.45, uplink=uplink)


def device(hostname: str, site_id: str, role: Role = Role.access_switch, **kw: object) -> Device:
    return Device(hostname=hostname, address="127.0.0.1", site=site_id, role=role, **kw)


@pytest.fixture
def inv() -> Inventory:
    sites = [site("dc", SiteKind.datacenter, None), site("pop", SiteKind.pop, "dc"),
             site("clg", SiteKind.college, "pop", "Pantin"), site("park", SiteKind.park, "pop"),
             site("lyc", SiteKind.lycee, "dc")]
    devices = [device("dc-core1", "dc", Role.core), device("pop-core1", "pop", Role.core),
               device("pop-core2", "pop", Role.core), device("clg-acc1", "clg"), device("clg-acc2", "clg"),
               device("clg-ap1", "clg", Role.wifi_ap), device("park-ap1", "park", Role.wifi_ap),
               device("lyc-acc1", "lyc"), device("lyc-off", "lyc", enabled=False)]
    return Inventory(root="test", sites={s.id: s for s in sites}, devices={d.hostname: d for d in devices},
                     credentials={}, profiles={})
