"""The layers of ARCHITECTURE.md, enforced on the code's own imports (ast), with no exception list.

Floors, lowest first; a package may import its own floor's packages only where listed, and any lower one:
  0  metrics (the vocabulary), inventory          (they import nothing of the project but each other: no)
  1  collector
  2  exporters, connlog                            (connlog beside the exporters: it reads the vocabulary)
  3  alerts, dashboards, portal                    (read the vocabulary; never the collector's internals)
  4  thdmon                                        (the CLI wires everything)
lab, benchmarks and tests are outside production: nothing in production imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FLOORS: dict[str, int] = {"metrics": 0, "inventory": 0, "collector": 1, "exporters": 2, "connlog": 2,
                          "alerts": 3, "dashboards": 3, "portal": 3, "thdmon": 4}
OUTSIDE = {"lab", "benchmarks", "tests"}
# Same-floor imports that are part of the design.
SIDEWAYS: set[tuple[str, str]] = {("connlog", "exporters")}  # connlog serves its health with the exporter's HTTP


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_every_import_goes_down_or_sideways_as_designed():
    problems = []
    for package, floor in FLOORS.items():
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            for imported in _imports(path):
                where = path.relative_to(ROOT)
                if imported in OUTSIDE:
                    problems.append(f"{where} imports {imported} (outside production)")
                elif imported in FLOORS and imported != package:
                    target = FLOORS[imported]
                    if target > floor or (target == floor and (package, imported) not in SIDEWAYS):
                        problems.append(f"{where} (floor {floor}) imports {imported} (floor {target})")
    assert problems == []


def test_the_vocabulary_and_the_inventory_import_nothing_of_the_project_above_them():
    for package in ("metrics", "inventory"):
        for path in (ROOT / package).rglob("*.py"):
            assert _imports(path) & set(FLOORS) <= {package}, path
