"""The inventory of THD-SSD: sites, devices, credentials (references), profiles.

Public API: `load_inventory(path, secrets_file=None) -> Inventory`, raising `InventoryError` that
lists every problem found (file:line: field: reason). See docs/inventory.md.
"""

from inventory.errors import InventoryError, Problem
from inventory.loader import load_inventory
from inventory.model import Device, Inventory, Profile, Site

__all__ = ["Device", "Inventory", "InventoryError", "Problem", "Profile", "Site", "load_inventory"]
