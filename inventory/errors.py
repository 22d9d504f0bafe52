"""The inventory package's one exception type: its message is for people, the CLI prints it as is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the inventory, pointing at where to fix it.

    `line` is 1-based; None for a problem about a whole file (a secrets file's permissions, say).
    `field` names the offending entry and key (`device sw-col-001 role`, `devices[3].role`,
    `column 'IP' (address)`); empty when the problem is not about one field (a YAML syntax error).
    The reason never quotes a secret: callers must not put credential values in it.
    """

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _sort_key(p: Problem) -> tuple[str, int, str, str]:
    return (p.file, p.line or 0, p.field, p.reason)


class InventoryError(Exception):
    """An inventory that cannot be used; `problems` holds every problem found, not only the first."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=_sort_key))

    @classmethod
    def from_problems(cls, what: str, problems: Iterable[Problem]) -> InventoryError:
        ordered = sorted(set(problems), key=_sort_key)
        count = f"{len(ordered)} error" + ("" if len(ordered) == 1 else "s")
        lines = [f"{what}: {count}", *(f"  {p}" for p in ordered), f"{count} found"]
        return cls("\n".join(lines), ordered)
