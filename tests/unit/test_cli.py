import subprocess
import sys

from thdmon.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_every_command_has_help(capsys):
    for name in COMMANDS:
        assert main([name, "--help"]) == 0, name
        assert "Usage:" in capsys.readouterr().out


def test_bad_settings_are_reported_without_traceback(tmp_path):
    bad = tmp_path / "thdmon.toml"
    bad.write_text("[collector]\nlisten_typo = 1\n")
    proc = subprocess.run([sys.executable, "-m", "thdmon", "--config", str(bad), "inventory"],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "collector.listen_typo" in proc.stderr
    assert "Traceback" not in proc.stderr
