"""Settings are validated once, at load: each bad value names its key and where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from thdmon import settings as S
from thdmon.cli import main


@pytest.mark.parametrize(("env", "expected"), [
    ({"THDMON_COLLECTOR__ENGINE": "gufoo"}, "collector.engine (from environment THDMON_COLLECTOR__ENGINE)"),
    ({"THDMON_COLLECTOR__SHARD": "3/2"}, "collector.shard (from environment THDMON_COLLECTOR__SHARD): shard '3/2'"),
    ({"THDMON_COLLECTOR__SHARD": "0/2"}, "K must be between 1 and N"),
    ({"THDMON_COLLECTOR__LISTEN": "nowhere"}, "collector.listen (from environment THDMON_COLLECTOR__LISTEN): "
                                              "'nowhere' is not HOST:PORT"),
    ({"THDMON_COLLECTOR__TRAP_LISTEN": "127.0.0.1:70000"}, "collector.trap_listen"),
    ({"THDMON_CONNLOG__SYSLOG_LISTEN": ":514"}, "connlog.syslog_listen"),
    ({"THDMON_COLLECTOR__PROTOCOLS": "snmp,telnet"}, "collector.protocols.1"),
    ({"THDMON_CONNLOG__IDENTITY_RETENTION_DAYS": "30"},
     "connlog (from environment THDMON_CONNLOG__IDENTITY_RETENTION_DAYS): identity_retention_days (30) must be "
     ">= technical_retention_days (365)"),
])
def test_a_bad_environment_value_fails_naming_key_and_variable(env, expected):
    with pytest.raises(S.SettingsError) as err:
        S.load(env=env)
    assert expected in str(err.value)


def test_a_bad_file_value_names_the_file_and_a_flag_wins_over_both(tmp_path: Path):
    config = tmp_path / "thdmon.toml"
    config.write_text('[collector]\nengine = "snmpwalk"\n', encoding="utf-8")
    with pytest.raises(S.SettingsError) as err:
        S.load(config, env={})
    assert f"collector.engine (from file {config})" in str(err.value)
    with pytest.raises(S.SettingsError) as err:
        S.load(None, env={}, overrides={("collector", "shard"): "9/3"})
    assert "collector.shard (from command line)" in str(err.value)


def test_defaults_are_valid_and_protocols_parse_from_a_comma_list():
    s = S.load(env={"THDMON_COLLECTOR__PROTOCOLS": "icmp"})
    assert s.collector.protocols == ("icmp",) and s.collector.shard == "1/1"
    assert S.load(env={}).collector.protocols == ("snmp", "icmp", "ssh")
    assert S.load(env={"THDMON_COLLECTOR__SHARD": " 2 / 4 "}).collector.shard == "2/4"


def test_a_binary_or_missing_file_is_a_clear_error_and_the_working_directory_is_never_read(tmp_path, monkeypatch,
                                                                                         capsys):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(S.SettingsError, match="not UTF-8 text"):
        S.load(binary, env={})
    with pytest.raises(S.SettingsError, match="No such file"):
        S.load(tmp_path / "absent.toml", env={})
    # A thdmon.toml planted in the working directory is not read (it would redirect the state directory).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "thdmon.toml").write_text('state_dir = "/tmp/planted"\n', encoding="utf-8")
    assert S.load(env={}).state_dir != Path("/tmp/planted")
    assert main(["--config", str(binary), "inventory", "check"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
