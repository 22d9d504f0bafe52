"""The Alertmanager configuration, generated from the policy, the rules and the inventory's topology.

- Grouping by site (policy `group_by`): one notification per site, whatever fires there.
- Routing by severity and site kind, each route optionally limited to named time windows
  (`active_time_intervals`, Europe/Paris); a page also goes on to the catch-all e-mail route.
- Inhibitions: a site down (or unreachable) silences its own device, port and AP alerts; and, from the
  inventory's uplinks, a site's SiteDown silences the SiteDown of every site behind it — the roll-up
  already says `unreachable` for them within one collector, the inhibition covers sites another shard
  rolls up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from alerts.policy import Policy, Route
from alerts.rules import Rule
from collector.sites import downstream
from inventory.model import Inventory

SITE_ALERTS = ("SiteDown", "SiteUnreachable")
# What a site down makes redundant: everything about the devices behind it, not the site's own state.
BEHIND_A_SITE_DOWN = ("DeviceDown", "DeviceSnmpDown", "UplinkDown", "WifiApDown",
                      "InterfaceErrorsHigh", "UplinkSaturated")


_META = re.compile(r"([.\\+*?()|\[\]{}^$])")


def _alternatives(values: Iterable[str]) -> str:
    r"""`a|b|c` for a matcher regex; only regex metacharacters escaped (RE2 takes `\-` but it is noise)."""
    return "|".join(_META.sub(r"\\\1", v) for v in values)


def _route(route: Route) -> dict[str, object]:
    matchers = [f'severity=~"{_alternatives(route.severities)}"']
    if route.site_kinds:
        matchers.append(f'site_kind=~"{_alternatives(k.value for k in route.site_kinds)}"')
    body: dict[str, object] = {"receiver": route.receiver, "matchers": matchers, "continue": True}
    if route.windows:
        body["active_time_intervals"] = list(route.windows)
    return body


def _receivers(policy: Policy) -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    for name, r in sorted(policy.alertmanager.receivers.items()):
        body: dict[str, object] = {"name": name}
        if r.email_to:
            body["email_configs"] = [{"to": r.email_to, "send_resolved": True}]
        if r.webhook_url:
            body["webhook_configs"] = [{"url": r.webhook_url, "send_resolved": True}]
        result.append(body)
    return result


def _time_intervals(policy: Policy) -> list[dict[str, object]]:
    return [{"name": name, "time_intervals": [{
        "weekdays": list(w.weekdays),
        "times": [{"start_time": t.start, "end_time": t.end} for t in w.times],
        "location": w.location,
    }]} for name, w in sorted(policy.alertmanager.windows.items())]


def inhibit_rules(rules: Iterable[Rule], inventory: Inventory) -> list[dict[str, object]]:
    names = {r.name for r in rules}
    targets = [n for n in BEHIND_A_SITE_DOWN if n in names]
    result: list[dict[str, object]] = [{
        "source_matchers": [f'alertname=~"{_alternatives(SITE_ALERTS)}"'],
        "target_matchers": [f'alertname=~"{_alternatives(targets)}"'],
        "equal": ["site"],
    }]
    for site_id, behind in downstream(inventory.sites).items():
        result.append({
            "source_matchers": ['alertname="SiteDown"', f'site="{site_id}"'],
            "target_matchers": ['alertname="SiteDown"', f'site=~"{_alternatives(behind)}"'],
        })
    return result


def alertmanager_config(policy: Policy, rules: Iterable[Rule], inventory: Inventory) -> dict[str, object]:
    am = policy.alertmanager
    config: dict[str, object] = {
        "global": {"smtp_smarthost": am.smtp_smarthost, "smtp_from": am.smtp_from},
        "route": {
            "receiver": am.default_receiver,
            "group_by": list(am.group_by),
            "group_wait": am.group_wait,
            "group_interval": am.group_interval,
            "repeat_interval": am.repeat_interval,
            # the pages first (each continues), then everything to the default receiver
            "routes": [_route(r) for r in am.routes] + [{"receiver": am.default_receiver}],
        },
        "receivers": _receivers(policy),
        "inhibit_rules": inhibit_rules(rules, inventory),
    }
    if am.windows:
        config["time_intervals"] = _time_intervals(policy)
    return config
