"""The no-op part of the scheduler's Poller protocol, for the in-process pollers of these tests: each
subclass says only how its devices answer (`poll`)."""

from __future__ import annotations

from inventory.model import Device, Inventory


class StubPoller:
    protocol = "snmp"
    classes: tuple[str, ...] = ("fast",)
    liveness = True
    inventory: Inventory | None = None

    def wants(self, dev: Device) -> bool:
        return True

    def set_inventory(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def forget(self, hostname: str) -> None:
        pass

    async def close(self) -> None:
        pass
