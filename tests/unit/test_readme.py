"""The README stays true: its two set-up commands exist and its configuration example validates."""

from __future__ import annotations

import re
from pathlib import Path

from thdmon import settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_two_setup_commands_lead_the_readme_and_ci_runs_the_test_one():
    first_block = re.search(r"```\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (ROOT / command.split()[1]).is_file()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_configuration_example_validates(tmp_path):
    example = re.search(r"```toml\n(.*?)```", README, re.S)
    assert example is not None
    config = tmp_path / "thdmon.toml"
    config.write_text(example.group(1))
    loaded = settings.load(config, env={})
    assert loaded.collector.fast_interval == 60
    assert loaded.connlog.technical_retention_days == 365
    assert loaded.connlog_db_url.startswith("postgresql+psycopg://")
