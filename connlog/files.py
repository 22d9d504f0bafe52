"""Files holding personal data (database, WAL, spool, quarantine, exports): 0600 inside 0700 directories.

Modes are given to `os.open`/`mkdir` and set again with chmod, so neither the umask nor a file left
with a wider mode by an older version leaves connection logs readable by other local users.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` and its missing parents 0700; `tighten` also sets an existing `path` to 0700 (a
    directory that is connlog's own, such as the spool; not the directory a database path names)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for p in missing:  # mkdir gives parents the umask's mode: only those we created are ours to set
        os.chmod(p, DIR_MODE)
    if tighten:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if absent, 0600 either way; return it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def open_private(path: Path, mode: str, **kw: Any) -> IO[Any]:
    """`open(path, mode)` for a file that must be 0600 ("w", "a", "wb", "ab", "x"...)."""
    flags = os.O_WRONLY | os.O_CREAT
    if "a" in mode:
        flags |= os.O_APPEND
    elif "x" in mode:
        flags |= os.O_EXCL
    else:
        flags |= os.O_TRUNC
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode.replace("x", "w"), **kw)


def write_private(path: Path, data: bytes | str) -> None:
    with open_private(path, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
