import time
from collections.abc import Sequence

from connlog.feeder import Backoff, Feeder
from connlog.interfaces import SpooledRecord
from connlog.record import Kind, Record
from connlog.spool import DiskSpool


class Sink:
    """In-memory RecordSink with the exactly-once contract; the real store is tested in integration."""

    def __init__(self) -> None:
        self.rows: dict[int, Record] = {}
        self.down = False
        self.appends = 0

    def last_seq(self) -> int:
        if self.down:
            raise ConnectionRefusedError("db down")
        return max(self.rows, default=0)

    def append(self, batch: Sequence[SpooledRecord]) -> int:
        if self.down:
            raise ConnectionRefusedError("db down")
        self.appends += 1
        last = self.last_seq()
        new = {s: r for s, r in batch if s > last}
        self.rows.update(new)
        return len(new)


def rec(i: int) -> Record:
    return Record(kind=Kind.nat, source="fw", received_at=float(i), event_time=float(i), public_ip="203.0.113.10",
                  public_port_start=1024 + i, public_port_end=1024 + i, private_ip="10.20.0.1")


def test_feeds_in_batches_and_acknowledges(tmp_path):
    with DiskSpool(tmp_path, segment_bytes=2000) as spool:
        for i in range(1, 101):
            spool.append(rec(i))
        sink = Sink()
        feeder = Feeder(spool, sink, batch_size=30)
        feeder.drain()
        assert sorted(sink.rows) == list(range(1, 101))
        assert sink.rows[57] == rec(57)
        assert sink.appends == 4
        assert spool.segment_count() == 1  # fully acknowledged segments deleted


def test_replay_after_crash_between_commit_and_acknowledge_stores_nothing_twice(tmp_path):
    with DiskSpool(tmp_path) as spool:
        for i in range(1, 11):
            spool.append(rec(i))
        sink = Sink()
        sink.append(spool.read(0, 6))  # committed, then the process died before acknowledging
        Feeder(spool, sink).drain()
        assert sorted(sink.rows) == list(range(1, 11))


def test_database_down_then_back_drains_everything(tmp_path):
    with DiskSpool(tmp_path) as spool:
        sink = Sink()
        sink.down = True
        feeder = Feeder(spool, sink, idle_wait=0.01, backoff=Backoff(initial=0.01, cap=0.05))
        feeder.start()
        for i in range(1, 51):
            spool.append(rec(i))
            feeder.notify()
        deadline = 200
        while feeder.failures < 3 and deadline:
            deadline -= 1
            time.sleep(0.01)
        assert feeder.failures >= 3 and "ConnectionRefusedError" in (feeder.last_error or "")
        assert sink.rows == {}
        sink.down = False
        for _ in range(500):
            if len(sink.rows) == 50:
                break
            time.sleep(0.01)
        feeder.stop()
        assert sorted(sink.rows) == list(range(1, 51))
        assert feeder.failures == 0


def test_backoff_is_capped():
    b = Backoff(initial=0.5, factor=2, cap=30)
    assert [b.delay(n) for n in (1, 2, 3, 7, 20)] == [0.5, 1.0, 2.0, 30, 30]
