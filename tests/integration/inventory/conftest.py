"""The unit suite's small inventory fixtures, shared with the integration tests."""

from tests.unit.inventory.conftest import secrets_file, write_inventory

__all__ = ["secrets_file", "write_inventory"]
