"""Secrets: resolution, the lab secrets of the sample, and never a value in any output."""

import json
import os
import stat
import subprocess
import sys

import pytest

from inventory import InventoryError, load_inventory
from inventory.exports import FORMATS, render
from inventory.secrets import Secrets, load_secrets_file
from lab.sample import DATA as SAMPLE_DATA
from lab.sample.lab_secrets import LAB_SECRETS
from lab.secrets import provision
from thdmon.cli import main

from .conftest import ALL_SECRETS, SSH_PASSWORD


def _assert_clean(text: str, where: str) -> None:
    for value in ALL_SECRETS:
        assert value not in text, f"secret value leaked in {where}"


def test_no_secret_in_any_repr_dump_or_export(write_inventory, secrets_file):
    inv = load_inventory(write_inventory(), secrets_file)
    assert inv.secret("env:THDMON_TEST_SSH_PASSWORD").get_secret_value() == SSH_PASSWORD  # really resolved
    texts = {
        "repr(inventory)": repr(inv), "str(inventory)": str(inv), "repr(secrets)": repr(inv.secrets),
        "model_dump_json": inv.model_dump_json(), "model_dump": repr(inv.model_dump()),
        "credentials": repr(inv.credentials), "resolved": repr([inv.secret(r) for r in
                                                                ("file:lab_snmp_community", "file:lab_radius_secret")]),
    }
    for fmt in FORMATS:
        texts[f"export {fmt}"] = render(inv, fmt)
    texts["file_sd per site"] = render(inv, "file_sd", "site")
    for where, text in texts.items():
        _assert_clean(text, where)
    assert repr(inv.secrets) == "Secrets(5 resolved)"
    assert "secrets" not in inv.model_dump()


def test_no_secret_in_error_messages(write_inventory, secrets_file):
    # A value pasted where a reference belongs, and typos around real references.
    root = write_inventory(extra_yaml=(
        "credentials:\n"
        f"  pasted:\n    type: snmp_v2c\n    community: {ALL_SECRETS[0]}\n"
        f"  typo:\n    type: radius\n    secret: file:lab_radius_secret\n    secert: {ALL_SECRETS[3]}\n"
        f"  bad-level:\n    type: snmp_v3\n    user: u\n    security_level: {ALL_SECRETS[1]}\n"
        f"  wrong:\n    type: ssh\n    username: u\n    password: [{SSH_PASSWORD}]\n"
        f"  notype:\n    community: {ALL_SECRETS[2]}\n"))
    with pytest.raises(InventoryError) as exc:
        load_inventory(root, secrets_file)
    message = str(exc.value)
    _assert_clean(message, "error message")
    _assert_clean(repr(exc.value.problems), "problems")
    assert f"{root}/extra.yaml:4: credential pasted community: must be a secret reference env:NAME or " \
           "file:NAME, never the secret itself" in message
    assert f"{root}/extra.yaml:8: credential typo secert: unknown key 'secert' (did you mean 'secret'?)" in message
    assert f"{root}/extra.yaml:12: credential bad-level security_level: value is not one of: noAuthNoPriv, " \
           "authNoPriv, authPriv" in message
    assert f"{root}/extra.yaml:16: credential wrong password: should be a valid string" in message
    assert f"{root}/extra.yaml:17: credential notype: missing required key 'type'" in message


def test_secret_file_values_with_bad_types_are_not_echoed(tmp_path, write_inventory):
    path = tmp_path / "s.yaml"
    path.write_text("lab_snmp_community: 12345678\nlab_radius_secret: yes\n")
    os.chmod(path, 0o600)
    _, problems = load_secrets_file(path, None)
    assert [str(p) for p in problems] == [
        f"{path}: lab_snmp_community: value must be a string (quote it), found int",
        f"{path}: lab_radius_secret: value must be a string (quote it), found bool"]
    assert "12345678" not in repr(problems)


def test_cli_output_never_shows_a_secret(write_inventory, secrets_file, capsys):
    root = write_inventory()
    for args in (["check"], ["check", "--json"], ["show"], ["show", "--json"],
                 *(["export", "--format", f] for f in FORMATS)):
        assert main(["--secrets", str(secrets_file), "inventory", *args, str(root)]) == 0, args
        out, err = capsys.readouterr()
        _assert_clean(out + err, f"thdmon inventory {' '.join(args)}")
    bad = write_inventory(extra_yaml=f"credentials:\n  x:\n    type: radius\n    secret: {ALL_SECRETS[3]}\n")
    assert main(["--secrets", str(secrets_file), "inventory", "check", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "credential x secret: must be a secret reference" in err
    _assert_clean(out + err, "thdmon inventory check (error)")


def test_lab_secrets_are_created_0600_and_completed(tmp_path):
    state = tmp_path / "state"
    path = provision(state)
    assert path == state / "lab-secrets.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sf, problems = load_secrets_file(path, None)
    assert problems == []
    assert {k: v.get_secret_value() for k, v in sf.values.items()} == dict(LAB_SECRETS)
    # A file missing a name (an older sample) gets it appended; existing values are kept.
    path.write_text('lab_snmp_community: "changed-here"\n')
    provision(state)
    sf, _ = load_secrets_file(path, None)
    assert sf.values["lab_snmp_community"].get_secret_value() == "changed-here"
    assert set(sf.values) == set(LAB_SECRETS)


def test_loading_the_sample_writes_nothing_and_names_the_missing_secrets_file(tmp_path, monkeypatch):
    """Production code provisions nothing: without a secrets file the sample's file: references fail."""
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InventoryError) as err:
        load_inventory(SAMPLE_DATA)
    assert "file:lab_snmp_community" in str(err.value) or "secrets file" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_secrets_repr_counts_only():
    from pydantic import SecretStr
    s = Secrets({"env:A": SecretStr("v4lue-A")})
    assert repr(s) == str(s) == "Secrets(1 resolved)"
    assert s["env:A"].get_secret_value() == "v4lue-A"


def test_sample_check_exits_0_on_a_fresh_state_dir_with_the_lab_env(tmp_path):
    """What the demo does: `eval "$(thdmon lab env)"`, then `thdmon inventory check`."""
    from tests.conftest import require
    require(SAMPLE_DATA.is_dir() and any(SAMPLE_DATA.rglob("*.yaml")),
            "the sample inventory (lab/sample/data) is not generated yet")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THDMON_")}
    env["THDMON_STATE_DIR"] = str(tmp_path / "state")
    lines = subprocess.run([sys.executable, "-m", "thdmon", "lab", "env"], capture_output=True, text=True,
                           env=env, cwd=tmp_path, check=True).stdout.splitlines()
    for line in lines:
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    assert env["THDMON_INVENTORY"] == str(SAMPLE_DATA)
    proc = subprocess.run([sys.executable, "-m", "thdmon", "inventory", "check", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads(proc.stdout)
    assert info["ok"] is True and info["devices"]["total"] > 1000
    assert stat.S_IMODE((tmp_path / "state" / "lab-secrets.yaml").stat().st_mode) == 0o600
    for value in LAB_SECRETS.values():
        assert value not in proc.stdout + proc.stderr
