"""Each bad inventory must be reported at the exact file:line, with the field and a precise reason."""

import os

import pytest

from inventory import InventoryError, load_inventory

DEV = "devices:\n  - hostname: sw-x\n    address: 10.93.9.9\n    site: col-jean-moulin\n    role: access_switch\n"

CASES = {
    "unknown site": (
        {"extra_yaml": DEV.replace("site: col-jean-moulin", "site: col-jean-moulim")},
        "extra.yaml:4: device sw-x site: unknown site 'col-jean-moulim' (did you mean 'col-jean-moulin'?)"),
    "unknown profile": (
        {"extra_yaml": DEV + "    profile: cisco-iso\n"},
        "extra.yaml:6: device sw-x profile: unknown profile 'cisco-iso' (did you mean 'cisco-ios'?)"),
    "unknown credential": (
        {"extra_yaml": DEV + "    snmp: lab-v2\n"},
        "extra.yaml:6: device sw-x snmp: no credential of that name (did you mean 'lab-v2c'?)"),
    "credential of the wrong type": (
        {"extra_yaml": DEV + "    snmp: lab-ssh\n"},
        "extra.yaml:6: device sw-x snmp: credential 'lab-ssh' is of type ssh, but snmp: needs snmp_v2c or "
        "snmp_v3 (declared at {root}/credentials.yaml:13)"),
    "radius credential of the wrong type": (
        {"extra_yaml": DEV + "    radius: lab-v3\n"},
        "extra.yaml:6: device sw-x radius: credential 'lab-v3' is of type snmp_v3, but radius: needs radius "
        "(declared at {root}/credentials.yaml:5)"),
    "duplicate site id across files": (
        {"tail_yaml": "sites:\n  - id: parc-sausset\n    name: Autre\n    kind: park\n    commune: Bondy\n"},
        "tail.yaml:2: site parc-sausset id: duplicate site id 'parc-sausset': already declared at "
        "{root}/sites.yaml:12"),
    "duplicate hostname": (
        {"extra_yaml": DEV.replace("sw-x", "rt-pop-bobigny")},
        "extra.yaml:2: device rt-pop-bobigny hostname: duplicate device hostname 'rt-pop-bobigny': "
        "already declared at {root}/devices.yaml:2"),
    "duplicate address and port": (
        {"extra_yaml": DEV.replace("10.93.9.9", "10.93.1.1")},
        "extra.yaml:3: device sw-x address: address 10.93.1.1 port 161 is already used by device "
        "'sw-col-jean-moulin-1' at {root}/devices.yaml:8"),
    "invalid address": (
        {"extra_yaml": DEV.replace("10.93.9.9", "10.93.9.300")},
        "extra.yaml:3: device sw-x address: invalid address '10.93.9.300': not an IPv4 or IPv6 address"),
    "uplink cycle": (
        {"extra_yaml": "sites:\n  - {id: b-site, name: B, kind: park, commune: Bondy, uplink: c-site}\n"
                       "  - {id: c-site, name: C, kind: park, commune: Bondy, uplink: d-site}\n"
                       "  - {id: d-site, name: D, kind: park, commune: Bondy, uplink: b-site}\n"},
        "extra.yaml:2: site b-site uplink: uplink cycle: b-site -> c-site -> d-site -> b-site"),
    "uplink to itself": (
        {"extra_yaml": "sites:\n  - id: solo\n    name: Solo\n    kind: pop\n    commune: Bondy\n    uplink: solo\n"},
        "extra.yaml:6: site solo uplink: uplink cycle: solo -> solo"),
    "dangling uplink": (
        {"extra_yaml": "sites:\n  - id: lyc-x\n    name: X\n    kind: lycee\n    commune: Bondy\n"
                       "    uplink: pop-bobigni\n"},
        "extra.yaml:6: site lyc-x uplink: unknown uplink site 'pop-bobigni' (did you mean 'pop-bobigny'?)"),
    "bad enum value": (
        {"extra_yaml": DEV.replace("access_switch", "switch")},
        "extra.yaml:5: device sw-x role: 'switch' is not one of: core, distribution, access_switch, router, "
        "firewall, wifi_ap, wifi_controller (did you mean 'access_switch'?)"),
    "unknown key with suggestion": (
        {"extra_yaml": DEV + "    snmp_prot: 1161\n"},
        "extra.yaml:6: device sw-x snmp_prot: unknown key 'snmp_prot' (did you mean 'snmp_port'?)"),
    "unknown nested key": (
        {"extra_yaml": DEV + "    intervals:\n      fats: 30\n"},
        "extra.yaml:7: device sw-x intervals.fats: unknown key 'fats' (did you mean 'fast'?)"),
    "wrong type": (
        {"extra_yaml": DEV + "    snmp_port: high\n"},
        "extra.yaml:6: device sw-x snmp_port: should be a valid integer, unable to parse string as an integer "
        "(found 'high')"),
    "out of range": (
        {"extra_yaml": DEV + "    ssh_port: 70000\n"},
        "extra.yaml:6: device sw-x ssh_port: should be less than or equal to 65535 (found 70000)"),
    "unquoted insee": (
        {"extra_yaml": "sites:\n  - id: s\n    name: S\n    kind: pop\n    commune: Bondy\n    insee: 93010\n"},
        "extra.yaml:6: site s insee: expected a string, found int 93010: quote it"),
    "missing required key, no hostname": (
        {"extra_yaml": "devices:\n  - address: 10.93.9.9\n    site: pop-bobigny\n    role: core\n"},
        "extra.yaml:2: devices[0].hostname: missing required key 'hostname'"),
    "missing secret": (
        {"creds_yaml": "credentials:\n  ssh-2:\n    type: ssh\n    username: u\n"
                       "    password: env:THDMON_TEST_UNSET_X\n"},
        "creds.yaml:5: credential ssh-2 password: missing secret: env: the environment "
        "variable it names is not set"),
    "missing key in the secrets file": (
        {"creds_yaml": "credentials:\n  radius-2:\n    type: radius\n    secret: file:no_such_name\n"},
        "creds.yaml:4: credential radius-2 secret: missing secret: file: the key it names is not in the "
        "secrets file {secrets}"),
    "snmpv3 level without keys": (
        {"extra_yaml": "credentials:\n  v3-bad:\n    type: snmp_v3\n    user: u\n    security_level: authPriv\n"},
        "extra.yaml:5: credential v3-bad security_level: security_level authPriv requires auth_protocol, "
        "auth_key, priv_protocol, priv_key"),
    "unknown credential type": (
        {"extra_yaml": "credentials:\n  x:\n    type: snmp_v4\n"},
        "extra.yaml:2: credential x: unknown credential type (did you mean 'snmp_v3'?): expected one of "
        "snmp_v2c, snmp_v3, ssh, radius"),
    "yaml syntax error": (
        {"extra_yaml": "devices:\n  - hostname: sw-x\n    address: [10.93.9.9\n    site: x\n"},
        "extra.yaml:4: YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'"),
    "tab indentation": (
        {"extra_yaml": "sites:\n\t- id: x\n"},
        "extra.yaml:2: YAML syntax error: while scanning for the next token, found character that cannot start "
        "any token"),
    "unknown top-level key": (
        {"extra_yaml": "devices: []\ndevice:\n  - hostname: x\n"},
        "extra.yaml:2: unknown top-level key 'device' (did you mean 'devices'?): expected sites, devices, "
        "credentials, profiles"),
    "duplicate key in one mapping": (
        {"extra_yaml": DEV + "    role: core\n"},
        "extra.yaml:6: duplicate key 'role' (first at line 5): the later value would silently win"),
    "devices as a mapping": (
        {"extra_yaml": "devices:\n  sw-x: {address: 10.0.0.1}\n"},
        "extra.yaml:1: devices: devices must be a list of mappings (- hostname: ...)"),
    "device entry not a mapping": (
        {"extra_yaml": "devices:\n  - sw-x\n"},
        "extra.yaml:2: devices[0]: a device must be a mapping of keys, found a string"),
    "profile with a bad OID": (
        {"extra_yaml": "profiles:\n  p:\n    sys_object_ids: [1.3.6.1.4.1.9.x]\n"},
        "extra.yaml:3: profile p sys_object_ids: not a numeric OID: '1.3.6.1.4.1.9.x'"),
}


@pytest.mark.parametrize("files,expected", list(CASES.values()), ids=list(CASES))
def test_bad_inventory_is_reported_at_file_line(write_inventory, secrets_file, files, expected):
    root = write_inventory(**files)
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, secrets_file)
    message = str(exc.value)
    wanted = f"  {root}/" + expected.format(root=root, secrets=secrets_file)
    assert wanted in message.splitlines(), message
    assert len(exc.value.problems) == 1, message
    assert message.splitlines()[-1] == "1 error found"


def test_secrets_file_with_loose_permissions(write_inventory, secrets_file):
    os.chmod(secrets_file, 0o644)
    with pytest.raises(InventoryError) as exc:
        load_inventory(write_inventory(), secrets_file)
    lines = str(exc.value).splitlines()
    assert f"  {secrets_file}: secrets file mode is 0644, too open: it must be 0600 (chmod 600 {secrets_file})" in lines
    # The file is refused, so each file: reference says why it cannot be resolved.
    assert any("the secrets file" in line and "is not usable" in line for line in lines)


def test_secrets_file_inside_the_inventory_is_refused(write_inventory, secrets_file):
    root = write_inventory()
    inside = root / "secrets" / "s.yml"
    inside.parent.mkdir()
    inside.write_text(secrets_file.read_text())
    os.chmod(inside, 0o600)
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, inside)
    assert f"  {inside}: secrets file is inside the inventory tree {root}: move it out " \
           "(the inventory is shared, secrets are not)" in str(exc.value).splitlines()


def test_every_problem_is_reported_at_once(write_inventory, secrets_file):
    root = write_inventory(
        extra_yaml=DEV.replace("access_switch", "switch") + "    snmp: lab-ssh\n    snmp_prot: 1\n"
        "  - hostname: sw-y\n    address: 10.93.1.1\n    site: nowhere\n    role: core\n",
        broken_yaml="sites: [\n",
        tail_yaml="sites:\n  - {id: pop-bobigny, name: Dup, kind: pop, commune: Bobigny, uplink: parc-sausset}\n"
                  "  - {id: u1, name: U, kind: pop, commune: Bobigny, uplink: u2}\n"
                  "  - {id: u2, name: U, kind: pop, commune: Bobigny, uplink: u1}\n")
    os.environ.pop("THDMON_TEST_SSH_PASSWORD")
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, secrets_file)
    got = [(os.path.basename(p.file), p.line, p.field) for p in exc.value.problems]
    assert got == [
        ("broken.yaml", 2, ""),
        ("credentials.yaml", 16, "credential lab-ssh password"),
        ("extra.yaml", 5, "device sw-x role"),
        ("extra.yaml", 6, "device sw-x snmp"),
        ("extra.yaml", 7, "device sw-x snmp_prot"),
        ("extra.yaml", 9, "device sw-y address"),
        ("extra.yaml", 10, "device sw-y site"),
        ("tail.yaml", 2, "site pop-bobigny id"),
        ("tail.yaml", 3, "site u1 uplink"),
    ], str(exc.value)
    assert str(exc.value).splitlines()[-1] == "9 errors found"


def test_secrets_file_owned_by_someone_else(write_inventory, secrets_file):
    from tests.conftest import require
    require(os.getuid() == 0, "changing a file's owner needs root")
    os.chown(secrets_file, 4242, -1)
    with pytest.raises(InventoryError) as exc:
        load_inventory(write_inventory(), secrets_file)
    assert f"  {secrets_file}: secrets file is owned by uid 4242, not by you (uid 0)" in str(exc.value).splitlines()


def test_ipv6_duplicates_are_found_whatever_the_spelling(write_inventory, secrets_file):
    rest = "site: pop-bobigny, role: core}\n"
    root = write_inventory(extra_yaml=f'devices:\n  - {{hostname: a, address: "2001:db8::1", {rest}'
                                      f'  - {{hostname: b, address: "2001:0db8:0::0001", {rest}')
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, secrets_file)
    assert [str(p) for p in exc.value.problems] == [
        f"{root}/extra.yaml:3: device b address: address 2001:db8::1 port 161 is already used by device 'a' "
        f"at {root}/extra.yaml:2"]
