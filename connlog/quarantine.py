"""Syslog lines no pattern understood, kept (bounded, rotating) so an operator can write the pattern.

One line per entry: `<received UTC ISO>\t<sender>\t<app>\t<message>` (control characters escaped).
The current file rotates to `.1`, `.2`... at `max_bytes`; the oldest is deleted and its lines counted
as dropped. Unparsed lines may contain data connlog must not keep (destinations): the bound keeps the
exposure small, and they never reach the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from connlog import files
from connlog.errors import ConnlogError

log = logging.getLogger(__name__)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Quarantine:
    def __init__(self, path: Path | str, max_bytes: int = 8 * 1024 * 1024, backups: int = 3,
                 on_dropped: Callable[[int], None] | None = None) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._on_dropped = on_dropped
        try:
            files.private_dir(self.path.parent, tighten=False)
        except OSError as exc:
            raise ConnlogError(f"quarantine {self.path}: {exc.strerror}") from None
        self._counts = [self._count(self._name(i)) for i in range(backups + 1)]
        self._file = files.open_private(self.path, "a", encoding="utf-8")
        self._size = self._file.tell()

    def _name(self, i: int) -> Path:
        return self.path if i == 0 else self.path.with_name(f"{self.path.name}.{i}")

    @staticmethod
    def _count(path: Path) -> int:
        try:
            with open(path, "rb") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    @property
    def lines(self) -> int:
        """Lines currently kept, across the current file and its backups."""
        return sum(self._counts)

    def add(self, received_at: float, sender: str, app: str | None, message: str) -> None:
        stamp = dt.datetime.fromtimestamp(received_at, dt.UTC).isoformat(timespec="milliseconds")
        line = f"{stamp}\t{_escape(sender)}\t{_escape(app or '-')}\t{_escape(message)}\n"
        if self._size + len(line) > self.max_bytes and self._size > 0:
            self._rotate()
        self._file.write(line)
        self._file.flush()
        self._size += len(line.encode())
        self._counts[0] += 1

    def _rotate(self) -> None:
        self._file.close()
        dropped = self._counts[-1]
        self._name(self.backups).unlink(missing_ok=True)
        for i in range(self.backups, 0, -1):
            if self._name(i - 1).exists():
                self._name(i - 1).rename(self._name(i))
        self._counts = [0] + self._counts[:-1]
        self._file = files.open_private(self.path, "a", encoding="utf-8")
        self._size = 0
        if dropped:
            log.warning("event=quarantine_rotated dropped_lines=%d file=%s", dropped, self.path)
            if self._on_dropped is not None:
                self._on_dropped(dropped)

    def close(self) -> None:
        self._file.close()
