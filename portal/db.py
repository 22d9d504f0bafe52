"""The portal's own database: accounts and sessions, nothing of connlog's.

Kept apart from the connection logs (their schema is connlog's Alembic history alone). Two small
tables created on open; the SQLite file holds password hashes, so it is created 0600 in a 0700
directory whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Boolean, Column, Engine, Float, MetaData, String, Table, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from portal.errors import PortalError

metadata = MetaData()

accounts = Table(
    "portal_account", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=True),  # NULL: a directory (LDAP) account
    Column("source", String(8), nullable=False, default="local"),  # local | ldap
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("password_changed_at", Float, nullable=True),
)

sessions = Table(
    "portal_session", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie: a copied table opens nothing
    Column("account", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)


def _private_sqlite_file(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:":
        return
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(file, 0o600)  # an older file created under a lax umask


def open_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
    try:
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection: object, _record: object) -> None:
                cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=10000")
                cursor.close()
        metadata.create_all(engine)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise PortalError(f"cannot open the portal database: {exc.__class__.__name__}: {exc}") from None
    return engine
