"""Opening a database that cannot be opened: a clear ConnlogError, never the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from connlog.errors import ConnlogError
from connlog.store import Store


def test_unreachable_postgresql_hides_the_password() -> None:
    # Nothing listens on port 1 of the loopback: refused at once.
    with pytest.raises(ConnlogError, match="cannot open the connlog database") as err:
        Store.open("postgresql+psycopg://thdmon:s3cret-pw@127.0.0.1:1/connlog")
    assert "s3cret-pw" not in str(err.value) and "***" in str(err.value)


def test_unknown_driver_is_named() -> None:
    with pytest.raises(ConnlogError, match="URL is not usable"):
        Store.open("nosuchdb://x/y")


def test_sqlite_file_in_a_fresh_state_dir(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'a' / 'b' / 'c.sqlite'}") as store:
        assert store.last_seq() == 0
    assert (tmp_path / "a" / "b" / "c.sqlite").is_file()
