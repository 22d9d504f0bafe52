"""Alembic environment: run by `connlog.store.upgrade` with an open connection in `config.attributes`."""

from __future__ import annotations

from alembic import context

from connlog.models import Base, include_name

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through connlog.store.upgrade
    raise RuntimeError("connlog migrations run through connlog.store.upgrade(), with a connection")
context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
