"""The durable spool between ingest and the database (implements `connlog.interfaces.Spool`).

Append-only segment files named after the first sequence number they hold (`00000000000000000001.seg`).
Each line is `seq<TAB>canonical-json<TAB>crc32-hex<LF>`; the CRC covers `seq<TAB>json`. A record is
durable once `append` returns: the line is written and the file fsync'd. Concurrent appends (threads)
share fsyncs (group commit): whoever finds no fsync in progress flushes everything written so far, the
others wait for a flush that covers their line. `append_many` writes a batch under one fsync.

After a crash the last segment may end with a torn line (no newline, bad CRC): it was never
acknowledged as durable, so it is cut off and counted (`torn_lines`). A bad line followed by good ones
cannot be a torn write: it is kept on disk, skipped on read and counted (`corrupt_lines`).
The last segment is never deleted, so the sequence continues across restarts even when everything has
been acknowledged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from connlog import files
from connlog.errors import ConnlogError
from connlog.interfaces import SpooledRecord
from connlog.record import Record

log = logging.getLogger(__name__)

SUFFIX = ".seg"
DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024


def encode_line(seq: int, record: Record) -> bytes:
    body = f"{seq}\t{record.to_json()}".encode()
    return body + b"\t" + f"{zlib.crc32(body):08x}".encode() + b"\n"


def decode_line(line: bytes) -> SpooledRecord | None:
    """(seq, record) of a complete, intact line (with its LF), or None if torn or corrupted."""
    if not line.endswith(b"\n"):
        return None
    body, sep, crc = line[:-1].rpartition(b"\t")
    if not sep or len(crc) != 8:
        return None
    try:
        if int(crc, 16) != zlib.crc32(body):
            return None
        seq_text, _, json_text = body.partition(b"\t")
        return int(seq_text), Record.from_json(json_text.decode())
    except (ValueError, UnicodeDecodeError, TypeError):
        return None


@dataclass(slots=True)
class _Segment:
    first_seq: int
    path: Path
    last_seq: int  # first_seq - 1 while empty


class DiskSpool:
    """Thread-safe; one process owns a spool directory (an exclusive lock file enforces it)."""

    def __init__(self, directory: Path | str, segment_bytes: int = DEFAULT_SEGMENT_BYTES,
                 fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self._fsync = fsync
        self.torn_lines = 0
        self.corrupt_lines = 0
        self.fsyncs = 0
        try:
            files.private_dir(self.directory)
        except OSError as exc:
            raise ConnlogError(f"spool directory {self.directory}: {exc.strerror}") from None
        self._lock_file = self._take_lock()
        self._lock = threading.Lock()  # guards writes, segment list and _written
        self._flush = threading.Condition(threading.Lock())  # guards _durable, _flushing
        self._segments: list[_Segment] = []
        self._recover()
        last = self._segments[-1]
        self._fd = self._open_segment(last.path)
        self._size = os.fstat(self._fd).st_size
        self._written = last.last_seq
        self._durable = last.last_seq
        self._flushing = False
        self._broken: str | None = None  # set when an fsync failed: nothing written since can be trusted
        self._read_cursor: tuple[int, Path, int] | None = None  # (after, path, offset)

    # -- opening ---------------------------------------------------------------------------------
    def _take_lock(self) -> int:
        import fcntl

        fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, files.FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ConnlogError(f"spool {self.directory} is in use by another process") from None
        return fd

    def _recover(self) -> None:
        paths = sorted(p for p in self.directory.iterdir() if p.suffix == SUFFIX)
        for p in paths:
            try:
                first = int(p.stem)
            except ValueError:
                raise ConnlogError(f"spool {self.directory}: unexpected file {p.name}") from None
            self._segments.append(_Segment(first, p, first - 1))
        if not self._segments:
            path = self.directory / f"{1:020d}{SUFFIX}"
            path.touch()
            self._fsync_dir()
            self._segments.append(_Segment(1, path, 0))
            return
        for seg in self._segments[:-1]:
            seg.last_seq = self._scan(seg, repair=False)
        self._segments[-1].last_seq = self._scan(self._segments[-1], repair=True)

    def _scan(self, seg: _Segment, repair: bool) -> int:
        """Last good seq of a segment; in the last segment, cut a torn tail off."""
        last = seg.first_seq - 1
        good_end = 0
        bad_after_good: list[int] = []
        with open(seg.path, "rb") as f:
            offset = 0
            for line in f:
                decoded = decode_line(line)
                if decoded is None:
                    bad_after_good.append(offset)
                else:
                    if bad_after_good:
                        self.corrupt_lines += len(bad_after_good)
                        log.error("event=spool_corrupt_lines file=%s count=%d", seg.path, len(bad_after_good))
                        bad_after_good = []
                    last = decoded[0]
                    good_end = offset + len(line)
                offset += len(line)
        if bad_after_good:
            if repair:
                self.torn_lines += len(bad_after_good)
                log.warning("event=spool_torn_tail file=%s lines=%d bytes=%d", seg.path, len(bad_after_good),
                            offset - good_end)
                with open(seg.path, "r+b") as f:
                    f.truncate(good_end)
                    os.fsync(f.fileno())
            else:
                self.corrupt_lines += len(bad_after_good)
                log.error("event=spool_corrupt_lines file=%s count=%d", seg.path, len(bad_after_good))
        return last

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- writing ---------------------------------------------------------------------------------
    def append(self, record: Record) -> int:
        return self.append_many((record,))[-1]

    def append_many(self, records: Iterable[Record]) -> list[int]:
        """Write records, return their seqs once they are all fsync'd.

        All or nothing: if the write fails (disk full...), the segment is cut back to where the batch
        began and ConnlogError is raised; the seqs are reused by the next append.
        """
        with self._lock:
            self._check()
            if self._size >= self.segment_bytes:
                self._rotate()  # before the batch, so one batch lives in one segment
            first = self._written + 1
            data = b"".join(encode_line(first + i, r) for i, r in enumerate(records))
            if not data:
                return []
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)
                raise ConnlogError(f"spool {self.directory}: cannot write: {exc.strerror}") from None
            self._size += len(data)
            last = first + data.count(b"\n") - 1
            self._written = last
            self._segments[-1].last_seq = last
        self._wait_durable(last)
        return list(range(first, last + 1))

    def _check(self) -> None:
        if self._broken is not None:
            raise ConnlogError(f"spool {self.directory}: {self._broken}; restart the service (it recovers "
                               "the spool from disk)")

    @staticmethod
    def _open_segment(path: Path) -> int:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, files.FILE_MODE)
        os.fchmod(fd, files.FILE_MODE)  # a segment left 0644 by an older version
        return fd

    def _rotate(self) -> None:
        self._sync_file()  # the old segment is complete and durable before the new one exists
        os.close(self._fd)
        first = self._written + 1
        path = self.directory / f"{first:020d}{SUFFIX}"
        self._fd = self._open_segment(path)
        self._size = 0
        self._segments.append(_Segment(first, path, first - 1))
        self._fsync_dir()

    def _sync_file(self) -> None:
        if self._fsync:
            os.fsync(self._fd)
        self.fsyncs += 1

    def _wait_durable(self, seq: int) -> None:
        with self._flush:
            while self._durable < seq:
                if self._broken is not None:
                    self._check()
                if self._flushing:
                    self._flush.wait()
                    continue
                self._flushing = True
                self._flush.release()
                error: OSError | None = None
                try:
                    with self._lock:
                        target = self._written
                        # A rotation fsyncs the old segment: only the current one needs it here.
                        fd = os.dup(self._fd)
                    try:
                        if self._fsync:
                            os.fsync(fd)  # outside the write lock: appenders keep writing meanwhile
                        self.fsyncs += 1
                    except OSError as exc:
                        error = exc
                    finally:
                        os.close(fd)
                finally:
                    self._flush.acquire()
                    self._flushing = False
                if error is not None:
                    # After a failed fsync the page cache may have dropped the data: never claim it durable.
                    self._broken = f"fsync failed ({error.strerror})"
                    log.error("event=spool_fsync_failed dir=%s error=%s", self.directory, error.strerror)
                else:
                    self._durable = max(self._durable, target)
                self._flush.notify_all()

    # -- reading ---------------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        with self._flush:
            return self._durable

    def read(self, after: int, limit: int) -> list[SpooledRecord]:
        """Up to `limit` durable records with seq > after, in seq order."""
        durable = self.last_seq
        with self._lock:
            segments = [s for s in self._segments if s.last_seq > after]
        out: list[SpooledRecord] = []
        for seg in segments:
            offset = 0
            cursor = self._read_cursor
            if cursor and cursor[0] == after and cursor[1] == seg.path:
                offset = cursor[2]
            try:
                f = open(seg.path, "rb")
            except FileNotFoundError:  # acknowledged and deleted meanwhile
                continue
            with f:
                f.seek(offset)
                for line in f:
                    decoded = decode_line(line)
                    if decoded is None:
                        if not line.endswith(b"\n"):
                            break  # a line still being written: read it next time
                        offset += len(line)
                        continue
                    seq, _ = decoded
                    if seq > durable:
                        break
                    offset += len(line)
                    if seq <= after:
                        continue
                    out.append(decoded)
                    if len(out) >= limit:
                        break
            if out:
                self._read_cursor = (out[-1][0], seg.path, offset)
            if len(out) >= limit or (out and out[-1][0] >= durable):
                break
        return out

    def tail(self, segments: int = 2) -> list[SpooledRecord]:
        """Every durable record of the last `segments` segments (to warm duplicate detection on start-up)."""
        with self._lock:
            last = self._segments[-segments:]
        if not last:
            return []
        after = last[0].first_seq - 1
        return self.read(after, max(1, self.last_seq - after))

    def acknowledge(self, upto: int) -> None:
        """Delete segments whose records are all <= upto (never the last one)."""
        with self._lock:
            doomed = [s for s in self._segments[:-1] if s.last_seq <= upto]
            self._segments = [s for s in self._segments if s not in doomed]
        for seg in doomed:
            seg.path.unlink(missing_ok=True)
        if doomed:
            self._fsync_dir()

    def depth(self, committed: int) -> int:
        return max(0, self.last_seq - committed)

    def segment_count(self) -> int:
        with self._lock:
            return len(self._segments)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    self._sync_file()
                os.close(self._fd)
                self._fd = -1
        if self._lock_file >= 0:
            os.close(self._lock_file)
            self._lock_file = -1

    def __enter__(self) -> DiskSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

