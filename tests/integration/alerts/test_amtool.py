"""The generated Alertmanager configuration against Alertmanager's own `amtool`: it loads, and the
routing table sends each kind of alert where the policy says (time windows are checked end to end
against a running Alertmanager, amtool ignores them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from alerts import build
from alerts.policy import load_policy
from inventory import load_inventory
from lab.sample import generate
from tests.conftest import require


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("amtool") is not None, "amtool not installed (apt-get install prometheus-alertmanager)")
    out = tmp_path_factory.mktemp("am")
    _, files = build.render(load_inventory(generate.DATA_DIR, check_secrets=False), load_policy())
    build.write(out, files)
    return out / build.ALERTMANAGER_FILE


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["amtool", *args], capture_output=True, text=True)


def test_config_passes_amtool_check(config: Path):
    done = _amtool("check-config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


ROUTES = [
    # (labels of the alert, receivers it must reach)
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "pop"}, "page,email"),
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "datacenter"}, "page,email"),
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "college"}, "page,email"),
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "lycee"}, "page,email"),
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "park"}, "page,email"),
    ({"alertname": "SiteDown", "severity": "critical", "site_kind": "departmental_site"}, "page,email"),
    ({"alertname": "CollectorStale", "severity": "critical", "site_kind": "datacenter"}, "page,email"),
    ({"alertname": "SiteDegraded", "severity": "warning", "site_kind": "college"}, "email"),
    ({"alertname": "DeviceDown", "severity": "warning", "site_kind": "pop"}, "email"),
    ({"alertname": "SiteUnreachable", "severity": "info", "site_kind": "college"}, "email"),
]


@pytest.mark.parametrize(("labels", "receivers"), ROUTES, ids=[f"{lb['alertname']}-{lb['site_kind']}"
                                                                for lb, _ in ROUTES])
def test_routes(config: Path, labels: dict[str, str], receivers: str):
    done = _amtool("config", "routes", "test", f"--config.file={config}", f"--verify.receivers={receivers}",
                   *(f"{k}={v}" for k, v in labels.items()))
    assert done.returncode == 0, f"{labels} -> {done.stdout.strip()}, expected {receivers}"


def test_topology_inhibitions_cover_every_site_behind_a_pop(config: Path):
    import yaml

    rules = yaml.safe_load(config.read_text(encoding="utf-8"))["inhibit_rules"]
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)
    behind = {site.id for site in inv.sites.values() if site.uplink == "pop-clichy-montfermeil"}
    pop_rule = next(r for r in rules if 'site="pop-clichy-montfermeil"' in r["source_matchers"])
    target = pop_rule["target_matchers"][1]
    assert behind and all(site in target for site in behind)
    assert rules[0]["equal"] == ["site"] and "DeviceDown" in rules[0]["target_matchers"][0]
