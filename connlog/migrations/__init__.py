"""Alembic migrations of the connlog store: the only source of its schema (`Store.open` runs them)."""
