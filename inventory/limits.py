"""How much of the file system and of YAML the inventory loader accepts, and the safe way to read a file.

The inventory directory is shared and `thdmon serve` reloads it whenever it changes: a careless or
hostile file must end in a clear error, quickly and within little memory, never in a hang or an
exhausted machine. The numbers leave ample room: the sample département (1,517 devices) is 44 files
of at most 35 KB, 430 KiB in all, and nests 5 levels deep.
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from pathlib import Path

MAX_FILE_BYTES = 2 * 1024 * 1024  # one file: ~5x the whole sample département
MAX_TOTAL_BYTES = 8 * 1024 * 1024  # the whole inventory: ~30,000 devices written as the sample is
MAX_DEPTH = 32  # nesting of mappings and lists in one document
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add to one document once expanded
EXCERPT_CHARS = 60  # of a value quoted in an error


class FileRefused(Exception):
    """A file the loader will not read; the message says why, in words (never its content)."""


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path` if it is (or links to) a regular file of at most `limit` bytes.

    Opened non-blocking, so a FIFO cannot block the open itself, and checked with fstat on the open
    descriptor, so a file swapped for a FIFO or a device after a check cannot slip through; reading
    stops at `limit` + 1 bytes even if the file grows meanwhile.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{kind_of(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise FileRefused(f"{st.st_size:,} bytes, larger than the limit of {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(f"grew beyond the limit of {limit:,} bytes while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


class _Short(reprlib.Repr):
    """reprlib's bounded repr, also for the YAML loader's dict and list subclasses (which reprlib would
    otherwise render in full with the builtin repr before cutting)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxset = 2, 4, 4, 3, 4
        self.maxstring = self.maxother = EXCERPT_CHARS

    def repr_MarkedMap(self, x: dict[object, object], level: int) -> str:
        return self.repr_dict(x, level)

    def repr_MarkedSeq(self, x: list[object], level: int) -> str:
        return self.repr_list(x, level)


_SHORT = _Short()


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short repr of `value`: an error names a value, it never reproduces a big one.

    Strings are shown by `repr`, so control characters come out escaped (safe in a terminal); a big
    container is never rendered in full (an expanded alias could hold millions of items).
    """
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_PLAIN = re.compile(rf"[A-Za-z0-9_.:@/-]{{1,{EXCERPT_CHARS}}}")


def label(name: object) -> str:
    """A name as it appears in an error's field label: as is when it is short and plain, else excerpted."""
    return name if isinstance(name, str) and _PLAIN.fullmatch(name) else excerpt(name)


def shown_path(path: object) -> str:
    """A path as errors show it: as is, unless it holds characters a terminal would act on (a file named
    with `\\e[2J` clears the screen), then quoted with them escaped, as Python's repr does."""
    text = str(path)
    return text if text.isprintable() else repr(text)
