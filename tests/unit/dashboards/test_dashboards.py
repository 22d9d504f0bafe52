"""The generated dashboards: valid for Grafana 11.6, deterministic, committed, consistent, from the catalogue."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dashboards import build, promql
from dashboards.promql import UnknownName, check
from thdmon.cli import main


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return build.dashboards()


def panels_of(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_every_dashboard_validates_against_grafana_11_6_schema(built, shared_dir: Path):
    schema = json.loads((shared_dir / "grafana" / "dashboard-11.6.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    for uid, dashboard in built.items():
        errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(dashboard)]
        assert errors == [], f"{uid}: {errors[:5]}"


def test_the_committed_files_are_what_the_build_writes():
    fresh = build.files()
    committed = {p.relative_to(build.GENERATED).as_posix(): p.read_text(encoding="utf-8")
                 for p in build.GENERATED.rglob("*") if p.is_file()}
    stale = sorted(set(fresh) ^ set(committed)) + sorted(k for k in fresh if committed.get(k) != fresh[k])
    assert stale == [], "run `thdmon dashboards build --out dashboards/generated` and commit the result"


def test_builds_are_identical_and_uids_stable(built):
    assert build.files() == build.files()
    assert sorted(built) == sorted(m.UID for m in build.MODULES)
    for uid, dashboard in built.items():
        assert dashboard["uid"] == uid and 8 <= len(uid) <= 40 and re.fullmatch(r"[a-z0-9-]+", uid)
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), uid


def test_no_panels_overlap(built):
    for uid, dashboard in built.items():
        taken: dict[tuple[int, int], str] = {}
        for panel in dashboard["panels"]:
            pos = panel["gridPos"]
            assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, (uid, panel["title"])
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    assert (x, y) not in taken, f"{uid}: {panel['title']!r} overlaps {taken[(x, y)]!r}"
                    taken[(x, y)] = panel["title"]


def _links(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["url"]] if isinstance(node.get("url"), str) else []
        return found + [u for v in node.values() for u in _links(v)]
    if isinstance(node, list):
        return [u for v in node for u in _links(v)]
    return []


def test_links_resolve_to_dashboards_and_variables_that_exist(built):
    variables = {uid: {v["name"] for v in d["templating"]["list"]} for uid, d in built.items()}
    seen = set()
    for uid, dashboard in built.items():
        for url in _links(dashboard):
            m = re.fullmatch(r"/d/(?P<uid>[a-z0-9-]+)\?(?P<query>.*)", url)
            assert m, f"{uid}: link {url!r} is not a dashboard link"
            assert m["uid"] in built, f"{uid}: link to unknown dashboard {m['uid']}"
            for param in re.findall(r"var-(\w+)=", m["query"]):
                assert param in variables[m["uid"]], f"{uid}: {url} sets {param}, not a variable of {m['uid']}"
            seen.add((uid, m["uid"]))
    # the hierarchy the network team walks down
    assert {("thdmon-overview", "thdmon-site"), ("thdmon-site", "thdmon-device"),
            ("thdmon-device", "thdmon-interface")} <= seen
    for dashboard in built.values():  # and every dashboard lists the others
        assert any(link.get("type") == "dashboards" and "thdmon" in link["tags"] for link in dashboard["links"])


def test_every_query_names_only_exported_metrics_and_labels(built):
    queries = 0
    for uid, dashboard in built.items():
        for panel in panels_of(dashboard):
            assert panel["targets"], f"{uid}: {panel['title']} has no query"
            for target in panel["targets"]:
                check(target["expr"])
                queries += 1
        for variable in dashboard["templating"]["list"]:
            check(variable["query"])
    assert queries > 50


@pytest.mark.parametrize("expr, why", [
    ("thdmon_nope", "not exported"),
    ('thdmon_device_up{ifname="x"}', "ifname"),
    ('sum by (ssid) (thdmon_interface_oper_up)', "ssid"),
    ("label_values(thdmon_device_up, ap)", "ap"),
    ("rate(thdmon_collector_poll_duration_seconds_bucketx[5m])", "not exported"),
    ("frobnicate(thdmon_device_up)", "function"),
])
def test_an_unknown_metric_label_or_function_is_refused(expr, why):
    with pytest.raises(UnknownName, match=why):
        check(expr)


def test_known_forms_are_accepted():
    for expr in ['histogram_quantile(0.95, sum by (le, protocol) (rate(thdmon_collector_poll_duration_seconds_bucket'
                 '[$__rate_interval])))',
                 'thdmon_site_info * on (site) group_left (state) (thdmon_site_state{commune=~"$commune"} == 1)',
                 'sum(rate(thdmon_collector_misfires_total[5m])) or on () vector(0)',
                 'scrape_samples_scraped{job="thdmon"}']:
        assert check(expr) == expr


def test_the_builder_refuses_what_the_catalogue_does_not_have():
    with pytest.raises(UnknownName):
        promql.sel("thdmon_device_up", ifname="x")
    with pytest.raises(UnknownName):
        promql.rate("thdmon_device_up")  # a gauge


def test_the_command_writes_dashboards_and_provisioning(tmp_path: Path, capsys):
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "old.json").write_text("{}")
    assert main(["dashboards", "build", "--out", str(tmp_path), "--prometheus-url", "http://prom:9090"]) == 0
    names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert names == sorted(build.files()), "a dashboard of an earlier build is removed"
    assert "http://prom:9090" in (tmp_path / "provisioning/datasources/thdmon.yaml").read_text()
    assert "provisioning/dashboards/thdmon.yaml" in capsys.readouterr().out
