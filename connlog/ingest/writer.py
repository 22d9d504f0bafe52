"""The asyncio side of the spool: listeners await `append`, one thread writes batches under one fsync.

While one batch is being fsync'd, new records queue up and go in the next batch: a RADIUS burst costs a
few fsyncs, not one per packet. A record's future resolves only once it is durable, so a RADIUS
answer awaits it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from connlog.health import IngestMetrics
from connlog.record import Record
from connlog.spool import DiskSpool

log = logging.getLogger(__name__)


class SpoolWriter:
    def __init__(self, spool: DiskSpool, metrics: IngestMetrics, on_durable: Callable[[], None] | None = None,
                 max_batch: int = 5000) -> None:
        self.spool = spool
        self.metrics = metrics
        self._on_durable = on_durable
        self._max_batch = max_batch
        self._pending: list[tuple[Record, asyncio.Future[int]]] = []
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")

    async def append(self, record: Record) -> int:
        """Seq of the record once it is fsync'd; raises if the spool cannot write it."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((record, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
            records = [r for r, _ in batch]
            try:
                seqs = await loop.run_in_executor(self._executor, self.spool.append_many, records)
            except Exception as exc:  # disk full, I/O error: the sender must not get an answer
                log.error("event=spool_write_failed records=%d error=%s", len(batch), exc)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (record, fut), seq in zip(batch, seqs, strict=True):
                self.metrics.record(record)
                if not fut.done():
                    fut.set_result(seq)
            if self._on_durable is not None:
                self._on_durable()

    async def flush(self) -> None:
        """Wait until everything appended so far is durable."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
