"""The event loop the collector runs on, and the garbage collector settings of a long-running poller.

uvloop: its wake-ups are cheaper than asyncio's own loop (a poll is a chain of ~85 SNMP requests).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")

# Allocations between two young-generation collections (CPython's default: 700).
YOUNG_GC_THRESHOLD = 50_000


def run(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def settle_heap(young_threshold: int = YOUNG_GC_THRESHOLD) -> None:
    """Call once start-up is done (inventory loaded, profiles compiled, scheduler built).

    A poll allocates thousands of short-lived objects (varbinds, samples) that reference counting frees
    at its end. With CPython's default threshold, collections run in the middle of every poll, promote
    its in-flight objects to the old generations and so make full collections, which walk the whole
    heap, frequent. Freezing the start-up heap takes it out of every later collection; a higher young
    threshold lets a poll's objects die before any collection sees them. The garbage that only the
    collector can free (reference cycles) still is, after at most `young_threshold` allocations.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)


def resettle_heap() -> None:
    """After an inventory reload, in a process whose heap was settled: the frozen start-up objects the
    reload replaced are unfrozen so the collector can free those held in reference cycles (frozen, they
    never would be), then the new state is frozen. One full collection per reload."""
    if gc.get_freeze_count():
        gc.unfreeze()
        settle_heap(gc.get_threshold()[0])
