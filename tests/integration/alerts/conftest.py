"""A real Alertmanager (Debian's prometheus-alertmanager) loaded with the generated configuration."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts import build
from alerts.policy import load_policy
from alerts.silences import AlertmanagerApi
from inventory import load_inventory
from lab.sample import generate
from tests.conftest import require
from tests.peers import start_alertmanager


@pytest.fixture
def am(tmp_path: Path) -> Iterator[AlertmanagerApi]:
    require(shutil.which("prometheus-alertmanager") is not None,
            "prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)")
    _, files = build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy())
    build.write(tmp_path, files)
    proc, port = start_alertmanager(tmp_path, tmp_path / build.ALERTMANAGER_FILE)
    try:
        yield AlertmanagerApi(f"http://127.0.0.1:{port}")
    finally:
        proc.kill()
        proc.wait()
