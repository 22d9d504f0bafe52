import ipaddress

import pytest

from inventory import InventoryError, load_inventory
from inventory.model import Role, SiteKind, SnmpV3Credential
from inventory.yamlsrc import parse

from .conftest import SECRET_VALUES, SSH_PASSWORD


def test_loads_and_merges_every_file(write_inventory, secrets_file):
    root = write_inventory(sub__more_yml="sites:\n  - {id: pop-pantin, name: PoP Pantin, kind: pop, commune: Pantin}\n")
    inv = load_inventory(root, secrets_file)
    assert list(inv.sites) == ["pop-bobigny", "col-jean-moulin", "parc-sausset", "pop-pantin"]
    assert inv.sites["col-jean-moulin"].kind is SiteKind.college
    assert inv.sites["col-jean-moulin"].insee == "93001"
    assert inv.sites["col-jean-moulin"].uplink == "pop-bobigny"
    dev = inv.devices["sw-col-jean-moulin-1"]
    assert dev.address == ipaddress.ip_address("10.93.1.1")
    assert (dev.snmp_port, dev.ssh_port, dev.role, dev.profile) == (161, 22, Role.access_switch, "cisco-ios")
    assert inv.site_of(dev).commune == "Aubervilliers"
    assert [d.hostname for d in inv.devices_of_site("parc-sausset")] == ["ap-parc-sausset-1"]
    assert isinstance(inv.credentials["lab-v3"], SnmpV3Credential)
    assert inv.profiles["cisco-ios"].snmp_modules == ("if_mib", "cisco_env")
    loc = inv.locations[("devices", "rt-pop-bobigny")]
    assert (loc.file, loc.line) == (str(root / "devices.yaml"), 2)
    assert str(inv.locations[("sites", "pop-pantin")]) == f"{root / 'sub' / 'more.yml'}:2"


def test_secrets_resolve_into_secretstr(write_inventory, secrets_file):
    inv = load_inventory(write_inventory(), secrets_file)
    assert inv.secret("file:lab_snmp_community").get_secret_value() == SECRET_VALUES["lab_snmp_community"]
    assert inv.secret(inv.credentials["lab-ssh"].password).get_secret_value() == SSH_PASSWORD
    assert "**" in repr(inv.secret("file:lab_radius_secret"))
    with pytest.raises(KeyError):
        inv.secret("env:NOT_REFERENCED")


def test_check_secrets_false_needs_no_secrets(write_inventory, monkeypatch):
    monkeypatch.delenv("THDMON_TEST_SSH_PASSWORD", raising=False)
    inv = load_inventory(write_inventory(), check_secrets=False)
    assert len(inv.devices) == 3
    with pytest.raises(KeyError):
        inv.secret("file:lab_snmp_community")


def test_hidden_and_non_yaml_files_are_ignored(write_inventory, secrets_file):
    root = write_inventory()
    (root / ".git").mkdir()
    (root / ".git" / "x.yaml").write_text("not: inventory\n")
    (root / "README.md").write_text("# notes\n")
    (root / "empty.yaml").write_text("# nothing yet\n")
    assert len(load_inventory(root, secrets_file).sites) == 3


def test_a_single_file_is_an_inventory(tmp_path):
    f = tmp_path / "one.yaml"
    f.write_text("sites:\n  - {id: s1, name: S1, kind: pop, commune: Bondy}\n"
                 "devices:\n  - {hostname: r1, address: 10.0.0.1, site: s1, role: router, enabled: false,"
                 " maintenance: 2026-12-31, intervals: {fast: 30}, tags: [lab, core]}\n")
    inv = load_inventory(f)
    d = inv.devices["r1"]
    assert (d.enabled, d.maintenance.isoformat(), d.intervals.fast, d.tags) == (
        False, "2026-12-31", 30, ("lab", "core"))


def test_missing_directory(tmp_path):
    with pytest.raises(InventoryError, match="no such file or directory"):
        load_inventory(tmp_path / "nope")


def test_empty_directory(tmp_path):
    with pytest.raises(InventoryError, match=r"no \*\.yaml or \*\.yml file found"):
        load_inventory(tmp_path)


def test_error_message_is_sorted_with_count(write_inventory, secrets_file):
    root = write_inventory(b_yaml="bogus: 1\n", a_yaml="sites: {}\n\nwrong: 2\n")
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, secrets_file)
    lines = str(exc.value).splitlines()
    assert lines[0] == f"invalid inventory {root}: 3 errors"
    assert lines[1].startswith(f"  {root}/a.yaml:1: sites: sites must be a list")
    expected = "expected sites, devices, credentials, profiles"
    assert lines[2] == f"  {root}/a.yaml:3: unknown top-level key 'wrong': {expected}"
    assert lines[3] == f"  {root}/b.yaml:1: unknown top-level key 'bogus': {expected}"
    assert lines[-1] == "3 errors found"
    assert [p.line for p in exc.value.problems] == [1, 3, 1]


def test_yaml_marks_survive_flow_style_and_merge_keys():
    text = "base: &b {role: core, snmp_port: 1161}\nd:\n  <<: *b\n  role: router\n  tags:\n    - a\n    - b\n"
    data, problems = parse(text, "f")
    assert problems == []
    assert data["d"] == {"role": "router", "snmp_port": 1161, "tags": ["a", "b"]}
    assert data["d"].key_lines["role"] == 4
    assert data["d"]["tags"].item_lines == [6, 7]


def test_loader_uses_libyaml():
    import yaml

    from inventory import yamlsrc
    from tests.conftest import require
    require(hasattr(yaml, "CSafeLoader"), "PyYAML built without libyaml")
    assert yamlsrc._BaseLoader is yaml.CSafeLoader


def test_cli_check_and_show(write_inventory, secrets_file, capsys):
    import json

    from thdmon.cli import main
    root = write_inventory()
    assert main(["--secrets", str(secrets_file), "inventory", "check", "--json", str(root)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["ok"], info["sites"]["by_kind"]["park"], info["devices"]["total"], info["credentials"]["total"],
            info["profiles"]["total"]) == (True, 1, 3, 4, 1)
    assert main(["--secrets", str(secrets_file), "inventory", "show", "--json", str(root)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["communes"]["Aubervilliers"] == {"sites": {"college": 1}, "devices": 1}
    assert main(["--secrets", str(secrets_file), "inventory", "show", str(root)]) == 0
    out = capsys.readouterr().out
    assert "Aulnay-sous-Bois" in out and "wifi_ap" in out
    # Settings' inventory is the default DIR.
    assert main(["--inventory", str(root), "--secrets", str(secrets_file), "inventory", "check"]) == 0
    assert "OK" in capsys.readouterr().out


def test_cli_check_reports_errors_with_exit_2(write_inventory, secrets_file, capsys):
    import json

    from thdmon.cli import main
    root = write_inventory(extra_yaml="devices:\n  - {hostname: x, address: 10.0.0.9, site: nope, role: core}\n")
    assert main(["--secrets", str(secrets_file), "inventory", "check", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"{root}/extra.yaml:2: device x site: unknown site 'nope'" in err
    assert "Traceback" not in err
    assert main(["--secrets", str(secrets_file), "inventory", "check", "--json", str(root)]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == [{"file": f"{root}/extra.yaml", "line": 2, "field": "device x site",
                               "reason": "unknown site 'nope'"}]


def test_cli_export_to_file(write_inventory, secrets_file, tmp_path, capsys):
    import json

    from thdmon.cli import main
    out = tmp_path / "targets.json"
    assert main(["--secrets", str(secrets_file), "inventory", "export", "--format", "file_sd", "-o", str(out),
                 str(write_inventory())]) == 0
    assert len(json.loads(out.read_text())) == 3
    assert main(["inventory", "export", "--no-secrets", "--format", "csv", str(write_inventory())]) == 0
    assert capsys.readouterr().out.count("\n") == 4


def test_two_loads_compare_equal_until_a_secret_changes(write_inventory, secrets_file, monkeypatch):
    root = write_inventory()
    first = load_inventory(root, secrets_file)
    assert load_inventory(root, secrets_file) == first
    monkeypatch.setenv("THDMON_TEST_SSH_PASSWORD", "rotated-value-1")
    assert load_inventory(root, secrets_file) != first
