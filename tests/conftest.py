"""Fixtures shared by every suite. Area fixtures live in tests/<suite>/<area> conftest files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab import secrets as lab_secrets
from lab.sample import DATA as SAMPLE_INVENTORY

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip with a printed reason; in CI a missing prerequisite is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    require(SHARED.is_dir(), f"{SHARED} is absent (someone else's clone): recordings and schema unavailable")
    return SHARED


@pytest.fixture(scope="session", autouse=True)
def sample_departement(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands run by the tests see the sample département and the lab's secrets, as the demo does.

    Production has no default inventory of its own (`/etc/thdmon/inventory`) and never writes secrets:
    the lab provisions them, here once per session. A test that sets these variables itself wins.
    """
    state = tmp_path_factory.mktemp("lab-state")
    os.environ.setdefault("THDMON_INVENTORY", str(SAMPLE_INVENTORY))
    os.environ.setdefault("THDMON_SECRETS", str(lab_secrets.provision(state)))


def load_sample():  # -> inventory.Inventory
    """The sample département with the lab's secrets (provisioned by `sample_departement`)."""
    from inventory import load_inventory
    return load_inventory(SAMPLE_INVENTORY, os.environ["THDMON_SECRETS"])
