"""Rules as code: every name from the catalogue, every alert documented, the committed output current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alerts import build
from alerts.errors import AlertsError
from alerts.policy import DEFAULT_POLICY, load_policy
from alerts.promql import KNOWN_LABELS, UnknownName, labels, sel
from alerts.rules import RUNBOOKS
from inventory import load_inventory
from lab.sample import generate
from metrics import catalogue


@pytest.fixture(scope="module")
def rendered() -> tuple[list, dict[str, str]]:
    return build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy())


def _rule_entries(files: dict[str, str]) -> list[dict]:
    return [r for g in yaml.safe_load(files[build.RULES_FILE])["groups"] for r in g["rules"]]


def test_selectors_refuse_names_the_catalogue_does_not_have():
    assert sel("thdmon_device_up", site="x") == 'thdmon_device_up{site="x"}'
    assert sel("thdmon_site_state", state="~down|unreachable") == 'thdmon_site_state{state=~"down|unreachable"}'
    with pytest.raises(UnknownName, match="not in the catalogue"):
        sel("thdmon_device_upp")
    with pytest.raises(UnknownName, match="has no label 'ifname'"):
        sel("thdmon_device_up", ifname="x")
    with pytest.raises(UnknownName, match="carried by no metric"):
        labels("hostname")


# Independent of the builder: read the generated text back and check every name it uses.
_METRIC = re.compile(r"\bthdmon_[a-z0-9_]+")
_MATCHER = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)\s*\"")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_LABEL_LIST = re.compile(r"\b(?:by|on|ignoring|group_left|group_right|without)\s*\(([^)]*)\)")


def test_generated_rules_name_only_exported_metrics_and_labels(rendered):
    _, files = rendered
    for rule in _rule_entries(files):
        # the expression, and the queries the description's templates run (between backquotes)
        text = " ".join([rule["expr"], *re.findall(r"`([^`]*)`", rule["annotations"]["description"])])
        for name in _METRIC.findall(_STRING.sub('""', text)):  # a job named thdmon_... is a value, not a metric
            assert name in catalogue.BY_NAME, f"{rule['alert']}: {name} is not exported"
        expr_labels = _MATCHER.findall(text) + [
            n.strip() for group in _LABEL_LIST.findall(text) for n in group.split(",") if n.strip()]
        for label in expr_labels:
            assert label in KNOWN_LABELS, f"{rule['alert']}: label {label} is not exported"


def test_every_alert_has_severity_summaries_and_a_runbook(rendered):
    rules, files = rendered
    for entry in _rule_entries(files):
        assert entry["labels"]["severity"] in {"critical", "warning", "info"}
        notes = entry["annotations"]
        assert notes["summary"] and notes["summary_fr"] and notes["description"]
        assert notes["summary"] != notes["summary_fr"]
        assert notes["runbook_url"].endswith(f"/{entry['alert']}.md")
    for rule in rules:
        page = rule.runbook()
        assert page.is_file(), f"{rule.name}: no runbook {page}"
        assert page.read_text(encoding="utf-8").startswith(f"# {rule.name} "), page
    pages = {p.stem for p in RUNBOOKS.glob("*.md")} - {"README"}
    assert pages == {r.name for r in rules}, "runbooks for alerts that do not exist"


def test_committed_output_is_what_the_build_writes(rendered):
    # CI regenerates and diffs: change alerts/rules.py or policy.yaml, run
    # `thdmon --inventory lab/sample/data alerts build --out alerts/generated`, commit both.
    _, files = rendered
    assert build.differences(build.COMMITTED, files) == []


def test_a_policy_naming_an_unknown_receiver_is_refused(tmp_path: Path):
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["alertmanager"]["routes"][0]["receiver"] = "pager"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(AlertsError, match="unknown receivers \\['pager'\\]"):
        load_policy(path)


def test_a_monitoring_site_missing_from_the_inventory_is_refused(tmp_path: Path):
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["monitoring_site"] = "nowhere"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(AlertsError, match="monitoring_site 'nowhere'"):
        build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy(path))


def test_build_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from thdmon.cli import main

    args = ["--inventory", str(generate.DATA_DIR), "alerts", "build", "--out", str(tmp_path)]
    assert main([*args, "--check"]) == 1  # nothing there yet
    assert "differs from `thdmon alerts build`" in capsys.readouterr().err
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    assert (tmp_path / build.RULES_FILE).read_text(encoding="utf-8") == (build.COMMITTED / build.RULES_FILE).read_text(
        encoding="utf-8")
