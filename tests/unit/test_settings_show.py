"""Settings you can see: `settings show` (value and source of each, secrets masked), the example file,
--version, and "did you mean" for unknown keys and misspelt variables."""

from __future__ import annotations

import json
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from thdmon import settings as S
from thdmon.cli import main
from thdmon.commands.settings import example_text


def test_the_example_file_loads_equals_the_defaults_and_names_every_key(tmp_path: Path):
    example = tmp_path / "thdmon.toml"
    example.write_text(example_text(), encoding="utf-8")
    assert S.load(example, env={}) == S.Settings()
    text = example_text()
    data = tomllib.loads(text)
    for key_path in S.keys():
        section = data if len(key_path) == 1 else data[key_path[0]]
        # every key is set, or (paths that depend on the host) shown commented out
        assert key_path[-1] in section or f"# {key_path[-1]} = " in text, key_path


def test_show_prints_each_value_with_its_source_and_masks_secrets(tmp_path: Path, monkeypatch, capsys):
    config = tmp_path / "thdmon.toml"
    config.write_text('[collector]\nfast_interval = 30\nauth_user = "prometheus"\n'
                      'auth_password_hash = "sha256:' + "ab" * 32 + '"\n', encoding="utf-8")
    for name in list(__import__("os").environ):
        if name.startswith("THDMON_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("THDMON_COLLECTOR__SLOW_INTERVAL", "600")
    monkeypatch.setenv("THDMON_DB_URL", "postgresql+psycopg://thdmon:hunter2@db/connlog")
    assert main(["--config", str(config), "--inventory", str(tmp_path), "settings", "show", "--json"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "abab" not in out
    rows = {r["key"]: (r["value"], r["source"]) for r in json.loads(out)["settings"]}
    assert rows["collector.fast_interval"] == (30, f"file {config}")
    assert rows["collector.slow_interval"] == (600, "environment THDMON_COLLECTOR__SLOW_INTERVAL")
    assert rows["inventory"] == (str(tmp_path), "command line")
    assert rows["collector.concurrency"] == (64, "default")
    assert rows["collector.auth_password_hash"] == ("****", f"file {config}")
    assert rows["connlog.db_url"] == ("postgresql+psycopg://thdmon:****@db/connlog", "environment THDMON_DB_URL")
    assert main(["--config", str(config), "settings", "show"]) == 0
    table = capsys.readouterr().out
    assert "collector.slow_interval" in table and "hunter2" not in table
    # a reference is no secret: shown as written
    assert S.shown(("collector", "auth_password_hash"), "file:metrics_hash") == "file:metrics_hash"


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"thdmon {metadata.version('thdmon')}"


@pytest.mark.parametrize(("text", "expected"), [
    ("[collector]\nlisten_adress = '127.0.0.1:1'\n", "collector.listen_adress (from file {}): unknown key; "
                                                     "did you mean 'listen'?"),
    ("[colector]\nlisten = '127.0.0.1:1'\n", "colector (from file {}): unknown key; did you mean 'collector'?"),
    ("inventroy = '/x'\n", "inventroy (from file {}): unknown key; did you mean 'inventory'?"),
])
def test_an_unknown_key_in_the_file_gets_the_closest_known_one(tmp_path: Path, text: str, expected: str):
    config = tmp_path / "thdmon.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(S.SettingsError) as err:
        S.load(config, env={})
    assert expected.format(config) in str(err.value)


def test_a_misspelt_variable_is_blamed_on_itself_not_on_the_file(tmp_path: Path):
    config = tmp_path / "thdmon.toml"
    config.write_text("[collector]\nfast_interval = 30\n", encoding="utf-8")
    with pytest.raises(S.SettingsError) as err:
        S.load(config, env={"THDMON_COLLECTOR__FAST_INTERVALL": "10"})
    assert ("collector.fast_intervall (from environment THDMON_COLLECTOR__FAST_INTERVALL): not a setting; "
            "did you mean 'THDMON_COLLECTOR__FAST_INTERVAL'?") in str(err.value)
    assert "file" not in str(err.value)


def test_variables_that_set_nothing_are_warned_with_a_suggestion_others_left_alone(capsys):
    env = {"THDMON_COLLECTOR_LISTEN": "x", "THDMON_INVENTRY": "/x", "THDMON_PORTAL_LISTEN": "y",
           "THDMON_SNMP_COMMUNITY": "an env: secret reference", "THDMON_LAB_CONTROL": "/tmp/c",
           "THDMON_CONFIG": "/etc/thdmon/thdmon.toml", "THDMON_STATE_DIR": "/tmp"}
    warnings = S.env_warnings(env)
    assert warnings == [
        "environment variable THDMON_COLLECTOR_LISTEN sets no setting; did you mean THDMON_COLLECTOR__LISTEN? "
        "(nested keys take a double underscore)",
        "environment variable THDMON_INVENTRY sets no setting; did you mean THDMON_INVENTORY?",
        "environment variable THDMON_PORTAL_LISTEN sets no setting; did you mean THDMON_PORTAL__LISTEN? "
        "(nested keys take a double underscore)"]
