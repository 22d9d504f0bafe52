"""Fixtures of the connlog ingest integration tests: the real service on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connlog.ingest.sources import Sources, from_mapping
from tests.conftest import require
from tests.integration.connlog_ingest.harness import MemorySink, RunningService, config

SECRET = "s3cret-parc"


@pytest.fixture
def sources() -> Sources:
    return from_mapping({"127.0.0.1": SECRET}, {"127.0.0.1": ("ctrl-parc-sausset", "parc-sausset")})


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def service(tmp_path: Path, sources: Sources, sink: MemorySink) -> Iterator[RunningService]:
    with RunningService(config(tmp_path, rfc3164_timezone="UTC"), sources, sink) as rs:
        yield rs


@pytest.fixture(scope="session")
def radclient() -> str:
    path = shutil.which("radclient")
    require(path is not None, "radclient (Debian freeradius-utils) is not installed")
    return str(path)


@pytest.fixture(scope="session")
def logger_bin() -> str:
    path = shutil.which("logger")
    require(path is not None, "logger (util-linux) is not installed")
    return str(path)
