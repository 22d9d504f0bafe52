"""The generated rules against Prometheus' own `promtool`: syntax (check rules) and behaviour (test rules,
every rule firing and not firing, labels and rendered annotations)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from alerts import build
from alerts.policy import load_policy
from alerts.rules import Rule
from inventory import load_inventory
from lab.sample import generate
from tests.conftest import require
from tests.integration.alerts.cases import CASES, Case

_RANGE = re.compile(r"\{\{ range .*?\{\{ end \}\}")
_LABEL = re.compile(r"\{\{ \$labels\.(\w+) \}\}")
_VALUE = re.compile(r"\{\{ \$value .*?\}\}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Rule], Path]:
    require(shutil.which("promtool") is not None, "promtool not installed (apt-get install prometheus)")
    out = tmp_path_factory.mktemp("alerts")
    rules, files = build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy())
    build.write(out, files)
    return {r.name: r for r in rules}, out / build.RULES_FILE


def _labels(case: Case, fired: dict[str, str], rule: Rule) -> dict[str, str]:
    return {**fired, "severity": rule.severity, **rule.static_labels}


def _annotations(case: Case, labels: dict[str, str], rule: Rule, runbook_base: str) -> dict[str, str]:
    def render(text: str) -> str:
        text = _VALUE.sub(case.value, _RANGE.sub(case.cause or "", text))
        return _LABEL.sub(lambda m: labels[m.group(1)], text)

    return {"summary": render(rule.summary_en), "summary_fr": render(rule.summary_fr),
            "description": render(rule.description), "runbook_url": f"{runbook_base}/{rule.name}.md"}


def _promtool_group(case: Case, rule: Rule, runbook_base: str) -> dict[str, object]:
    alerts = []
    for fired in case.fires:
        labels = _labels(case, fired, rule)
        alerts.append({"exp_labels": labels, "exp_annotations": _annotations(case, labels, rule, runbook_base)})
    return {"name": f"{case.rule}: {case.title}", "interval": case.interval,
            "input_series": [{"series": series, "values": values} for series, values in case.series],
            "alert_rule_test": [{"eval_time": case.at, "alertname": case.rule, "exp_alerts": alerts}]}


def test_generated_rules_pass_promtool_check(generated: tuple[dict[str, Rule], Path]):
    _, rules_file = generated
    done = subprocess.run(["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(generated[0])} rules found" in done.stdout


def test_every_rule_has_a_case_that_fires_and_one_that_does_not(generated: tuple[dict[str, Rule], Path]):
    rules, _ = generated
    firing = {c.rule for c in CASES if c.fires}
    quiet = {c.rule for c in CASES if not c.fires}
    assert set(rules) - firing == set(), "rules without a firing case"
    assert set(rules) - quiet == set(), "rules without a quiet case"
    assert {c.rule for c in CASES} <= set(rules), "cases for rules that do not exist"


def test_every_alert_carries_its_site_and_severity(generated: tuple[dict[str, Rule], Path]):
    rules, _ = generated
    for case in CASES:
        for fired in case.fires:
            labels = _labels(case, fired, rules[case.rule])
            assert {"site", "site_kind", "commune", "severity"} <= set(labels), (case.rule, case.title)


def test_every_case_passes_promtool_test_rules(generated: tuple[dict[str, Rule], Path], tmp_path: Path):
    rules, rules_file = generated
    base = load_policy().runbook_base_url.rstrip("/")
    files = []
    for every in sorted({c.every for c in CASES}):
        tests = {"rule_files": [str(rules_file)], "evaluation_interval": every,
                 "tests": [_promtool_group(c, rules[c.rule], base) for c in CASES if c.every == every]}
        files.append(tmp_path / f"thdmon-rules-{every}.test.yml")
        files[-1].write_text(yaml.safe_dump(tests, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(["promtool", "test", "rules", *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
