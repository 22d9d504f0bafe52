"""The sample département: deterministic, complete, loadable, with a sound topology."""

from __future__ import annotations

import collections
import ipaddress

import pytest

from lab.sample import generate
from lab.sample.places import COMMUNES, PARKS
from tests.conftest import load_sample


@pytest.fixture(scope="module")
def inv():
    return load_sample()


def test_generator_is_deterministic_and_matches_committed_data(tmp_path):
    generate.write(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.yaml")}
    committed = {p.relative_to(generate.DATA_DIR).as_posix(): p.read_bytes()
                 for p in generate.DATA_DIR.rglob("*.yaml")}
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], "run `python -m lab.sample.generate` and commit lab/sample/data"


def test_site_counts_match_the_departement(inv):
    kinds = collections.Counter(site.kind for site in inv.sites.values())
    assert kinds["college"] == 131
    assert kinds["lycee"] + kinds["cfa"] == 74
    assert kinds["departmental_site"] == 215
    assert kinds["datacenter"] == 2
    assert kinds["park"] == len(PARKS)
    assert {"parc-georges-valbon", "parc-jean-moulin-les-guilands", "parc-du-sausset"} <= set(inv.sites)
    assert inv.sites["parc-georges-valbon"].commune == "La Courneuve"
    assert inv.sites["parc-du-sausset"].insee == "93078"


def test_sites_cover_the_40_real_communes(inv):
    insee = {c.insee: c.name for c in COMMUNES}
    assert len(insee) == 40
    used = {site.insee for site in inv.sites.values()}
    assert used == set(insee)
    for site in inv.sites.values():
        assert site.commune == insee[site.insee]
        assert 48.80 < site.lat < 49.0 and 2.28 < site.lon < 2.61


def test_about_1500_devices_on_unique_loopback_addresses(inv):
    assert 1400 <= len(inv.devices) <= 1600
    addresses = [d.address for d in inv.devices.values()]
    assert len(set(addresses)) == len(addresses)
    assert all(a in ipaddress.ip_network("127.0.0.0/8") for a in addresses)
    assert all(d.snmp_port == generate.LAB_SNMP_PORT for d in inv.devices.values())
    roles = collections.Counter(d.role for d in inv.devices.values())
    assert roles["wifi_controller"] >= 2 and roles["router"] >= 2 and roles["firewall"] >= 2
    assert all(inv.sites[d.site].kind == "datacenter" for d in inv.devices.values()
               if d.role in ("router", "firewall", "wifi_controller") and "lab-recording" not in d.tags)


def test_every_site_hangs_from_a_pop_and_every_pop_from_a_datacentre(inv):
    for site in inv.sites.values():
        chain, current = [], site
        while current.uplink:
            chain.append(current.uplink)
            assert len(chain) <= 2, f"{site.id}: uplink chain too long or cyclic: {chain}"
            current = inv.sites[current.uplink]
        assert current.kind == "datacenter", site.id
        if site.kind not in ("datacenter", "pop"):
            assert inv.sites[site.uplink].kind == "pop"


def test_credentials_and_profiles(inv):
    assert inv.credentials["lab-v2c"].community == "file:lab_snmp_community"
    v3 = inv.credentials["lab-v3"]
    assert (v3.security_level, v3.auth_protocol, v3.priv_protocol) == ("authPriv", "SHA", "AES")
    v3_devices = [d for d in inv.devices.values() if d.snmp == "lab-v3"]
    assert 3 <= len(v3_devices) <= 20
    assert all(d.radius == "lab-radius" for d in inv.devices.values()
               if d.role in ("wifi_ap", "wifi_controller") and "lab-recording" not in d.tags)
    assert "wifi_airespace" in inv.profiles["generic-wifi-ap"].snmp_modules
    # Cisco APs name their profile; the parks' UniFi and Aruba Instant APs have none (built-in, by sysObjectID)
    assert all(d.profile in inv.profiles for d in inv.devices.values() if d.profile is not None)
    unprofiled = {t for d in inv.devices.values() if d.profile is None for t in d.tags if t.startswith("model:")}
    assert unprofiled == {"model:U6-Pro", "model:AP-505"}
