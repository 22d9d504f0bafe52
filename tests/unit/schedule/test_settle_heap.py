"""The garbage collector settings `thdmon serve` applies once started."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from collector import loop


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restore_gc")
def test_settle_heap_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    built_at_start = [{"device": n} for n in range(1000)]
    _, older, oldest = gc.get_threshold()
    loop.settle_heap(20_000)
    assert gc.get_threshold() == (20_000, older, oldest)
    assert gc.get_freeze_count() >= len(built_at_start)
    # Cycles made afterwards are still collected.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
