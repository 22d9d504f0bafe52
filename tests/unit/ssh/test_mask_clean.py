"""Masking: every secret kind of every shipped platform, on the lab's real-looking configurations, is gone
before storage; what is not a secret stays; volatile lines go and only they."""

from __future__ import annotations

import random

import pytest

from collector.ssh.mask import MASK, mask
from collector.ssh.platforms import PLATFORMS, clean
from inventory.model import Device
from lab.ssh import configs

DEVICE = Device(hostname="col-bobigny-pablo-neruda-acc1", address="127.1.2.3", site="col-bobigny-pablo-neruda",
                role="access_switch", tags=("ports:12",))
# shipped platform -> the lab's emulation of it
SHIPPED = {"cisco_ios": "ios", "cisco_xe": "ios", "aruba_aoscx": "aoscx", "fortinet": "fortios"}
CASES = [(p, kind) for p, lab in SHIPPED.items() for kind in configs.secrets_of(DEVICE, lab)]


def test_every_shipped_platform_has_a_lab_emulation():
    assert set(SHIPPED) == set(PLATFORMS)


def stored(platform: str, seed: int = 1) -> str:
    lab = SHIPPED[platform]
    shown = configs.render(configs.initial(DEVICE, lab), lab, 1_796_000_000 + seed, random.Random(seed))
    return mask(clean(shown, PLATFORMS[platform]), PLATFORMS[platform].family)


@pytest.mark.parametrize(("platform", "kind"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_secret_kind_is_masked(platform, kind):
    secret = configs.secrets_of(DEVICE, SHIPPED[platform])[kind]
    text = stored(platform)
    assert secret not in text
    for piece in secret.split("\n"):  # a PEM key, line by line
        if len(piece) > 12 and "-----" not in piece:
            assert piece not in text


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_what_is_not_secret_stays(platform):
    text = stored(platform)
    assert DEVICE.hostname in text and str(DEVICE.address) in text
    assert MASK in text
    if SHIPPED[platform] == "ios":
        assert " key 1\n" in text  # a key chain's key number is not its key
        assert "snmp-server host 10.93.0.10 version 2c <removed>" in text
        assert "radius server ISE1\n address ipv4 10.93.0.20 auth-port 1812 acct-port 1813\n key 7 <removed>" in text
    if SHIPPED[platform] == "fortios":
        assert 'set private-key "<removed>"' in text and "BEGIN CERTIFICATE" in text  # the public part stays
        assert 'set server "10.93.0.20"' in text


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_volatile_lines_removed(platform):
    # Two shows at other instants (clock, NTP drift, FortiOS save counter differ) store the same text.
    assert stored(platform, seed=1) == stored(platform, seed=2)
    text = stored(platform)
    for marker in ("Last configuration change", "NVRAM config", "ntp clock-period", "conf_file_ver",
                   "Current configuration", "Building configuration"):
        assert marker not in text


def test_ios_samples_from_vendor_documentation():
    # Lines as Cisco documents them, beyond the lab's own configuration.
    text = "\n".join([
        "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
        "enable password level 15 7 0822455D0A16",
        "username admin privilege 15 password 0 cleartextpw",
        "snmp-server host 192.0.2.1 informs version 3 priv monitoruser",
        "radius-server host 192.0.2.5 auth-port 1645 acct-port 1646 key 7 060506324F41",
        "tacacs-server host 192.0.2.6 key s3cr3t",
        "crypto isakmp key 6 _Uf]TCTXZOAKQZNFFa`WFXfhTcVhgaaTA address 0.0.0.0",
        " pre-shared-key local 0 localsecret",
        " ip ospf authentication-key 7 110A1016141D",
        " ppp chap password 7 03075218050061",
        "",
    ])
    out = mask(text, "ios")
    for secret in ("$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "0822455D0A16", "cleartextpw", "060506324F41", "s3cr3t",
                   "_Uf]TCTXZOAKQZNFFa`WFXfhTcVhgaaTA", "localsecret", "110A1016141D", "03075218050061"):
        assert secret not in out
    assert "auth-port 1645 acct-port 1646 key 7 <removed>" in out
