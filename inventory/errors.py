"""The inventory package's one exception type: its message is for people, the CLI prints it as is."""


class InventoryError(Exception):
    pass
