"""Targets built from the inventory, secrets kept out of every printable form, engine choice, tags."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import SecretStr

from collector.errors import CollectorError
from collector.model import DownReason
from collector.snmp.engine import SnmpError, choose_engine, family, normalise_oid
from collector.snmp.gufo_engine import gufo_tag
from collector.snmp.target import Target, V3Params
from inventory.model import Device, Role, SnmpV2cCredential, SnmpV3Credential

SECRETS = {"env:COMMUNITY": "s3cr3t-community", "env:AUTH": "auth-pass-123", "env:PRIV": "priv-pass-456"}


def resolve(ref: str) -> SecretStr:
    return SecretStr(SECRETS[ref])


DEVICE = Device(hostname="sw-col-001", address=ipaddress.ip_address("10.1.2.3"), snmp_port=1161,
                site="col-bondy", role=Role.access_switch)


def test_v2c_target_from_inventory_hides_the_community() -> None:
    target = Target.from_inventory(DEVICE, SnmpV2cCredential(type="snmp_v2c", community="env:COMMUNITY"),
                                   resolve, timeout=1.5, retries=2)
    assert (target.name, target.address, target.port, target.version) == ("sw-col-001", "10.1.2.3", 1161, "2c")
    assert (target.timeout, target.retries) == (1.5, 2)
    assert target.community is not None and target.community.get_secret_value() == "s3cr3t-community"
    assert "s3cr3t" not in repr(target) and "s3cr3t" not in str(target)
    assert target.endpoint == "10.1.2.3:1161"
    assert choose_engine(target) == "gufo"


def test_v3_target_from_inventory_maps_aes_and_hides_keys() -> None:
    cred = SnmpV3Credential(type="snmp_v3", user="thdmon", security_level="authPriv", auth_protocol="SHA256",
                            auth_key="env:AUTH", priv_protocol="AES", priv_key="env:PRIV")
    target = Target.from_inventory(DEVICE, cred, resolve)
    assert target.v3 is not None
    assert (target.v3.user, target.v3.auth_protocol, target.v3.priv_protocol) == ("thdmon", "SHA256", "AES128")
    shown = repr(target) + str(target) + repr(target.v3)
    assert "auth-pass" not in shown and "priv-pass" not in shown
    assert choose_engine(target) == "gufo"


def test_v3_context_goes_to_pysnmp() -> None:
    cred = SnmpV3Credential(type="snmp_v3", user="u", security_level="noAuthNoPriv", context="vlan-10")
    assert choose_engine(Target.from_inventory(DEVICE, cred, resolve)) == "pysnmp"


def test_targets_are_cache_keys_that_change_with_the_secret() -> None:
    a = Target("sw", "127.0.0.1", community=SecretStr("one-community"))
    assert a == Target("sw", "127.0.0.1", community=SecretStr("one-community"))
    assert a != Target("sw", "127.0.0.1", community=SecretStr("other-community"))
    assert len({a, Target("sw", "127.0.0.1", community=SecretStr("one-community"))}) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"level": "authPriv", "auth_protocol": "SHA", "auth_key": SecretStr("auth-pass-123")}, "priv"),
    ({"level": "authNoPriv"}, "auth"),
    ({"level": "authNoPriv", "auth_protocol": "SHA", "auth_key": SecretStr("short")}, "shorter than 8"),
])
def test_inconsistent_usm_parameters_are_refused_without_the_secret(kwargs: dict, message: str) -> None:
    with pytest.raises(CollectorError, match=message) as caught:
        V3Params(user="u", **kwargs)
    assert "auth-pass" not in str(caught.value) and "short'" not in str(caught.value)


def test_a_bad_inventory_credential_names_the_device() -> None:
    cred = SnmpV3Credential(type="snmp_v3", user="u", security_level="authPriv", auth_protocol="SHA",
                            auth_key="env:AUTH")
    with pytest.raises(CollectorError, match=r"^sw-col-001: SNMPv3 user 'u'"):
        Target.from_inventory(DEVICE, cred, resolve)


def test_target_needs_credentials_matching_its_version() -> None:
    with pytest.raises(CollectorError, match="without a community"):
        Target("sw", "127.0.0.1")
    with pytest.raises(CollectorError, match="USM"):
        Target("sw", "127.0.0.1", version="3")


def test_gufo_tags_and_families() -> None:
    assert [gufo_tag(v) for v in (7, b"\x00\xff", "10.0.0.1", "1.3.6.1.4.1.9.1.1", 1.5, None)] == \
        ["int", "octets", "ipaddress", "oid", "float", "null"]
    assert {family(t) for t in ("int", "counter32", "counter64", "gauge32", "timeticks")} == {"int"}
    assert family("nosuchinstance") == family("nosuchobject") == "absent"
    assert family("octets") == "octets"


def test_oids_are_normalised_or_refused() -> None:
    assert normalise_oid(".1.3.6.1.2.1.1.3.0") == "1.3.6.1.2.1.1.3.0"
    for bad in ("IF-MIB::ifDescr", "1", "1.3.x"):
        with pytest.raises(ValueError, match="numeric OID"):
            normalise_oid(bad)


def test_snmp_error_carries_its_reason() -> None:
    err = SnmpError(DownReason.timeout, "10.1.2.3:161: get: no answer")
    assert isinstance(err, CollectorError)
    assert err.reason is DownReason.timeout and str(err) == "timeout: 10.1.2.3:161: get: no answer"
