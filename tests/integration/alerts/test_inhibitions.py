"""The generated inhibitions in a real Alertmanager: a site down silences its devices, a PoP down silences
the SiteDown of every site behind it (another collector may have rolled those up), nothing else."""

from __future__ import annotations

from alerts.silences import AlertmanagerApi
from tests.integration.alerts.conftest import am  # noqa: F401
from tests.peers import until


def _alert(name: str, site: str, kind: str, **extra: str) -> dict[str, object]:
    return {"labels": {"alertname": name, "site": site, "site_kind": kind, "commune": "x", "severity": "critical",
                       **extra}, "annotations": {"summary": name}}


def test_site_and_topology_inhibitions(am: AlertmanagerApi):  # noqa: F811
    am._call("POST", "/alerts", [
        _alert("SiteDown", "pop-clichy-montfermeil", "pop"),
        _alert("SiteDown", "col-vaujours-jules-ferry", "college"),  # behind that PoP
        _alert("DeviceDown", "pop-clichy-montfermeil", "pop", device="pop-clichy-montfermeil-core1"),
        _alert("SiteDown", "col-bobigny-jacques-prevert", "college"),  # behind another PoP
        _alert("SiteDegraded", "pop-clichy-montfermeil", "pop"),  # the site's own state: not inhibited
    ])

    def status() -> dict[tuple[str, str], list[str]]:
        alerts = am._call("GET", "/alerts") or []
        return {(a["labels"]["alertname"], a["labels"]["site"]): a["status"]["inhibitedBy"] for a in alerts}

    seen = until("the five alerts in Alertmanager", lambda: (lambda s: s if len(s) == 5 else None)(status()))
    inhibited = {key for key, by in seen.items() if by}
    assert inhibited == {("SiteDown", "col-vaujours-jules-ferry"), ("DeviceDown", "pop-clichy-montfermeil")}
