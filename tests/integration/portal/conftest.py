"""One park day and one portal for the module's tests (starting them costs seconds, not each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.portal.harness import ParkDay, Portal, add_user, park_day


@pytest.fixture(scope="package")
def day(tmp_path_factory: pytest.TempPathFactory) -> ParkDay:
    d = park_day(tmp_path_factory.mktemp("portal-park"))
    add_user(d, "alice", "auditor")
    add_user(d, "root1", "admin")
    return d


@pytest.fixture(scope="package")
def portal(day: ParkDay) -> Iterator[Portal]:
    with Portal(day, settings={"login_failure_delay": "0.05"}) as p:
        yield p
