"""Test support lives in one place (issue 9, point 6), read from the source (ast) so duplication cannot
creep back: peers are started by lab/ (snmpd: lab/snmp/snmpd.py, PostgreSQL: lab/postgres.py,
inventories: lab/inventory_files.py), which benchmarks and tests both import; a benchmark never reaches
into a test suite's conftest, and the lab never imports the tests or the benchmarks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

SOURCE_DIRS = ("metrics", "inventory", "collector", "exporters", "connlog", "alerts", "dashboards", "portal",
               "thdmon", "lab", "benchmarks", "tests")


def _modules(*dirs: str) -> Iterator[tuple[Path, ast.Module]]:
    for name in dirs:
        for path in sorted((ROOT / name).rglob("*.py")):
            yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _starts_snmpd(tree: ast.Module) -> bool:
    """The module runs net-snmp's agent: an argv beginning with it, its path, or an agent-only flag."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text.endswith("/snmpd") or text.startswith("--persistentDir"):
                return True
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "snmpd":
                return True
    return False


def test_benchmarks_import_no_conftest():
    found = [f"{path} imports {module}" for path, tree in _modules("benchmarks") for module in _imported(tree)
             if "conftest" in module.split(".")]
    assert found == []


def test_the_lab_imports_neither_tests_nor_benchmarks():
    found = [f"{path} imports {module}" for path, tree in _modules("lab") for module in _imported(tree)
             if module.split(".")[0] in ("tests", "benchmarks")]
    assert found == []


def test_one_module_starts_snmpd():
    this = Path(__file__).resolve().relative_to(ROOT)  # it names what it looks for
    starters = [str(path) for path, tree in _modules(*SOURCE_DIRS) if path != this and _starts_snmpd(tree)]
    assert starters == ["lab/snmp/snmpd.py"]


def test_the_sample_subset_is_set_up_in_one_place():
    """Starting the lab for some devices and writing their inventory is `lab.subset.sample_subset`'s job:
    no test or benchmark does both itself (six end-to-end modules and two benchmarks once did)."""
    both = sorted(str(path) for path, tree in _modules("tests", "benchmarks", "lab")
                  if {"lab_running", "write_sample_subset"} <= {node.id for node in ast.walk(tree)
                                                                 if isinstance(node, ast.Name)})
    assert both == ["lab/subset.py"]
