"""A secret pasted where a reference or a credential's name is expected (issue 11, defect 5): every such
input is reported at its file:line and field, and the value appears in no output: CLI text, --json,
--debug (traceback included), other commands, nor serve's reload-failure log."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bounded import Outcome, thdmon
from tests.unit.inventory.conftest import CREDENTIALS, DEVICES, SECRET_VALUES, SITES, SSH_PASSWORD

PASTED = "Pasted-S3cret-4711"  # also a valid NAME, so that `file:` and `env:` references are well formed

DEV = "  - hostname: {name}\n    address: {address}\n    site: col-jean-moulin\n    role: access_switch\n"

# (field label, words of the reason) for each misplaced secret of MISPLACED below, in file order.
EXPECTED = [
    ("device sw-a snmp", "no credential of that name"),
    ("device sw-b ssh", "no credential of that name"),
    ("device sw-c radius", "no credential of that name"),
    ("device sw-d snmp", "should be a valid string"),
    ("credential c-file community", "missing secret: file: the key it names is not in the secrets file"),
    ("credential c-env community", "missing secret: env: the environment variable it names is not set"),
    ("credential c-type", "unknown credential type: expected one of snmp_v2c, snmp_v3, ssh, radius"),
    ("credential c-literal community", "must be a secret reference env:NAME or file:NAME, never the secret"),
    ("credential c-level security_level", "value is not one of: noAuthNoPriv, authNoPriv, authPriv"),
    ("credential c-proto auth_protocol", "value is not one of: MD5, SHA, SHA224, SHA256, SHA384, SHA512"),
    ("credential c-list password", "should be a valid string"),
    ("credential c-radius secret", "must be a secret reference env:NAME or file:NAME, never the secret"),
]

MISPLACED = (
    "devices:\n"
    + DEV.format(name="sw-a", address="10.93.9.1") + f"    snmp: {PASTED}\n"
    + DEV.format(name="sw-b", address="10.93.9.2") + f"    ssh: {PASTED}\n"
    + DEV.format(name="sw-c", address="10.93.9.3") + f"    radius: {PASTED}\n"
    + DEV.format(name="sw-d", address="10.93.9.4") + f"    snmp: {{community: {PASTED}}}\n"
    + "credentials:\n"
    f"  c-file: {{type: snmp_v2c, community: 'file:{PASTED}'}}\n"
    f"  c-env: {{type: snmp_v2c, community: 'env:{PASTED}'}}\n"
    f"  c-type: {{type: {PASTED}, community: file:lab_snmp_community}}\n"
    f"  c-literal: {{type: snmp_v2c, community: {PASTED}}}\n"
    f"  c-level: {{type: snmp_v3, user: u, security_level: {PASTED}}}\n"
    f"  c-proto: {{type: snmp_v3, user: u, security_level: authNoPriv, auth_protocol: {PASTED}, "
    "auth_key: file:lab_snmp_v3_auth}\n"
    f"  c-list: {{type: ssh, username: u, password: [{PASTED}]}}\n"
    f"  c-radius: {{type: radius, secret: {PASTED}}}\n"
)


def write_inventory(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "inv"
    root.mkdir()
    for name, text in (("sites.yaml", SITES), ("credentials.yaml", CREDENTIALS), ("devices.yaml", DEVICES),
                       ("misplaced.yaml", MISPLACED)):
        (root / name).write_text(text)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("".join(f'{k}: "{v}"\n' for k, v in SECRET_VALUES.items()))
    secrets.chmod(0o600)
    return root, secrets


def _run(root: Path, secrets: Path, *args: str) -> Outcome:
    head = [a for a in args if a == "--debug"]
    rest = [a for a in args if a != "--debug"]
    outcome = thdmon(*head, "--secrets", str(secrets), *rest, str(root),
                     env={"THDMON_TEST_SSH_PASSWORD": SSH_PASSWORD}, timeout=30)
    assert not outcome.hung and outcome.returncode != 0
    assert PASTED not in outcome.stdout + outcome.stderr, f"secret echoed by thdmon {' '.join(args)}"
    return outcome


def test_every_misplaced_secret_is_reported_and_never_echoed(tmp_path: Path) -> None:
    root, secrets = write_inventory(tmp_path)
    report = json.loads(_run(root, secrets, "inventory", "check", "--json").stdout)
    mine = [e for e in report["errors"] if e["file"].endswith("misplaced.yaml")]
    got = [(e["field"], e["reason"]) for e in mine]
    for field, words in EXPECTED:
        assert any(f == field and words in r for f, r in got), (field, words, got)
    assert all(isinstance(e["line"], int) for e in mine)
    assert len(mine) == len(EXPECTED), got  # one problem per misplaced secret, no duplicates

    text = _run(root, secrets, "inventory", "check")
    assert not text.traceback and text.returncode == 2
    assert "device sw-a snmp: no credential of that name" in text.stderr

    debug = _run(root, secrets, "--debug", "inventory", "check")
    assert debug.traceback  # --debug shows the traceback, and still not the value
    for command in (("inventory", "show"), ("inventory", "export", "--format", "csv"),
                    ("inventory", "export", "--format", "ansible")):
        _run(root, secrets, *command)
