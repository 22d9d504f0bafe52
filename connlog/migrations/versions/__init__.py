"""Alembic revisions of the connlog store (a package so that installs ship them)."""
