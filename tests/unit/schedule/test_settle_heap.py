"""The garbage collector settings `thdmon serve` applies once started."""

from __future__ import annotations

import gc
import weakref
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


@pytest.mark.usefixtures("restore_gc")
def test_resettle_heap_frees_cycles_frozen_at_start_up_and_keeps_the_threshold() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    alive = weakref.WeakSet()
    node = Node()
    alive.add(node)
    loop.settle_heap(30_000)
    del node  # what the reload replaced, in a cycle: frozen, the collector would never look at it
    gc.collect()
    assert len(alive) == 1
    loop.resettle_heap()
    assert len(alive) == 0
    assert gc.get_threshold()[0] == 30_000 and gc.get_freeze_count() > 0


def test_resettle_heap_does_nothing_where_the_heap_was_never_settled() -> None:
    assert gc.get_freeze_count() == 0
    threshold = gc.get_threshold()
    loop.resettle_heap()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold
