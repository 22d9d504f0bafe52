"""The alerting policy's schema: `alerts/policy.yaml` (or a site's own file) validated once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.errors import AlertsError
from inventory.model import SiteKind

DEFAULT_POLICY = Path(__file__).with_name("policy.yaml")
Duration = Annotated[str, Field(pattern=r"^\d+[smhd]$")]
Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    site_down_for: Duration = "15s"
    site_degraded_for: Duration = "10m"
    device_down_for: Duration = "2m"
    collector_stale_seconds: int = Field(300, gt=0)
    uplink_saturation_ratio: float = Field(0.8, gt=0, le=1)
    uplink_saturation_for: Duration = "15m"
    interface_error_ratio: float = Field(0.01, gt=0)
    interface_error_min_pps: float = Field(1.0, ge=0)
    optical_rx_low_dbm: float = -24.0
    optical_rx_high_dbm: float = 0.0
    optical_for: Duration = "5m"
    poe_budget_ratio: float = Field(0.9, gt=0, le=1)
    wifi_clients_per_radio: int = Field(60, gt=0)
    connlog_stall_seconds: int = Field(14400, gt=0)
    seal_max_age_seconds: int = Field(93600, gt=0)
    purge_max_age_seconds: int = Field(93600, gt=0)


class TimeRange(_Strict):
    start: Annotated[str, Field(pattern=r"^\d\d:\d\d$")]
    end: Annotated[str, Field(pattern=r"^\d\d:\d\d$")]


class Window(_Strict):
    weekdays: tuple[str, ...] = ()
    times: tuple[TimeRange, ...] = ()
    location: str = "Europe/Paris"


class Receiver(_Strict):
    email_to: str | None = None
    webhook_url: str | None = None


class Route(_Strict):
    severities: tuple[Severity, ...]
    site_kinds: tuple[SiteKind, ...] = ()
    receiver: str
    windows: tuple[str, ...] = ()


class AlertmanagerPolicy(_Strict):
    group_by: tuple[str, ...] = ("site",)
    group_wait: Duration = "10s"
    group_interval: Duration = "1m"
    repeat_interval: Duration = "4h"
    smtp_smarthost: str = "localhost:25"
    smtp_from: str
    receivers: dict[str, Receiver]
    default_receiver: str
    windows: dict[str, Window] = {}
    routes: tuple[Route, ...] = ()


class Policy(_Strict):
    runbook_base_url: str
    monitoring_site: str
    uplink_alias_regex: str = "uplink.*"
    collector_job_regex: str = "thdmon.*"
    # the jobs of the scrape contract (exporters/prometheus.yml), each of which must exist
    collector_jobs: tuple[str, ...] = ("thdmon", "thdmon_liveness")
    thresholds: Thresholds = Thresholds()
    alertmanager: AlertmanagerPolicy

    def check(self) -> None:
        """References inside the policy: receivers and windows named by routes exist."""
        am = self.alertmanager
        names = {am.default_receiver, *(r.receiver for r in am.routes)}
        missing = sorted(n for n in names if n not in am.receivers)
        windows = sorted({w for r in am.routes for w in r.windows if w not in am.windows})
        if missing or windows:
            raise AlertsError(f"policy: unknown receivers {missing} or windows {windows}")


def load_policy(path: Path | None = None) -> Policy:
    path = path or DEFAULT_POLICY
    try:
        policy = Policy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise AlertsError(f"{path}: {exc}") from None
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise AlertsError("invalid alerting policy:\n  " + "\n  ".join(lines)) from None
    policy.check()
    return policy
