"""Two scrape jobs read each collector (exporters/prometheus.yml): the liveness families come with
`job="thdmon_liveness"`, the rest with `job="thdmon"`. A rule or dashboard query that joins the two with
plain vector matching (`a and b`, `a * b`) would silently match nothing: every such expression must say
which labels it matches on (`on(...)`, or `ignoring(job, ...)`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from alerts import build as alerts_build
from alerts.policy import load_policy
from dashboards import build as dashboards_build
from exporters.exposition import PARTS
from inventory import load_inventory
from lab.sample import generate
from metrics import catalogue
from tests.conftest import ROOT

_NAME = re.compile(r"\bthdmon_[a-z0-9_]+")
_MATCHING = re.compile(r"\b(on|ignoring)\s*\(")
SHIPPED = yaml.safe_load((ROOT / "exporters" / "prometheus.yml").read_text(encoding="utf-8"))


def _parts(expr: str) -> set[bool]:
    """Which parts (liveness or not) the catalogue metrics an expression names are on."""
    return {catalogue.BY_NAME[n].liveness for n in _NAME.findall(expr) if n in catalogue.BY_NAME}


def _rule_exprs() -> list[tuple[str, str]]:
    _, files = alerts_build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy())
    return [(r["alert"], r["expr"]) for g in yaml.safe_load(files[alerts_build.RULES_FILE])["groups"]
            for r in g["rules"]]


def _dashboard_exprs() -> list[tuple[str, str]]:
    def walk(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "expr" and isinstance(v, str)] + [
                e for k, v in node.items() if k != "expr" for e in walk(v)]
        return [e for v in node for e in walk(v)] if isinstance(node, list) else []

    return [(uid, expr) for uid, dashboard in dashboards_build.dashboards().items() for expr in walk(dashboard)]


@pytest.mark.parametrize("source", [_rule_exprs, _dashboard_exprs], ids=["rules", "dashboards"])
def test_an_expression_reading_both_parts_matches_on_named_labels(source):
    mixed = [(name, expr) for name, expr in source() if _parts(expr) == {True, False}]
    assert all(_MATCHING.search(expr) for _, expr in mixed), [n for n, e in mixed if not _MATCHING.search(e)]


def test_the_check_sees_a_bare_join_of_the_two_parts():
    bare = "thdmon_device_uptime_seconds and thdmon_device_up == 1"
    assert _parts(bare) == {True, False} and not _MATCHING.search(bare)
    assert _MATCHING.search("thdmon_device_uptime_seconds and on (device) (thdmon_device_up == 1)")


def test_the_shipped_jobs_are_the_parts_the_exporter_serves():
    parts = {job["job_name"]: job["params"]["part"] for job in SHIPPED["scrape_configs"]}
    assert parts == {"thdmon": ["bulk"], "thdmon_liveness": ["liveness"]}
    assert {p for [p] in parts.values()} == set(PARTS)
    policy = load_policy()  # CollectorStale and ScrapeTargetsMissing read `up` of every collector job
    assert all(re.fullmatch(policy.collector_job_regex, job) for job in parts)
    assert set(policy.collector_jobs) == set(parts)  # ScrapeTargetsMissing: each must exist
