"""thdmon itself: is the collector keeping up (poll durations, errors, backoff, misfires, scrapes)?"""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import dashboard
from dashboards.promql import by, rate, sel

UID = "thdmon-self"
TITLE = "thdmon itself"

# A labelled counter appears at its first increment: "none yet" reads as 0, not as no data.
NONE_YET = " or on () vector(0)"


def _devices() -> g.Stat:
    return p.stat("Devices by state", [p.target(sel("thdmon_collector_devices"), "{{state}}", instant=True)], w=8,
                  h=5)


def _durations() -> g.TimeSeries:
    buckets = by("sum", ["le", "protocol"], rate("thdmon_collector_poll_duration_seconds_bucket"))
    return p.timeseries("Poll duration (p50, p95)", [
        p.target(f"histogram_quantile(0.5, {buckets})", "{{protocol}} p50"),
        p.target(f"histogram_quantile(0.95, {buckets})", "{{protocol}} p95"),
    ], p.SECONDS, w=16, h=5)


def _slowest() -> g.Table:
    return p.table("Slowest devices (last poll)", [
        p.target(f"topk(10, {sel('thdmon_device_poll_duration_seconds')})", table=True)], p.SECONDS,
        hide=("site_kind", "commune", "role"), rename={"Value": "duration"}, sort_by="duration")


def _polls() -> g.TimeSeries:
    return p.timeseries("Polls by result (backoff: skipped, device in backoff)", [
        p.target(by("sum", ["protocol", "result"], rate("thdmon_collector_polls_total")), "{{protocol}} {{result}}")],
        p.PER_SECOND)


def _errors() -> g.TimeSeries:
    return p.timeseries("Poll errors by protocol and reason", [
        p.target(by("sum", ["protocol", "reason"], rate("thdmon_collector_poll_errors_total")),
                 "{{protocol}} {{reason}}")], p.PER_SECOND, bars=True)


def _misfires() -> g.TimeSeries:
    return p.timeseries("Misfires (late or skipped polls)", [
        p.target(by("sum", ["protocol"], rate("thdmon_collector_misfires_total")) + NONE_YET, "{{protocol}}")],
        p.PER_SECOND, w=8)


def _reloads() -> g.TimeSeries:
    return p.timeseries("Inventory reloads", [
        p.target(by("sum", ["result"], f"increase({sel('thdmon_collector_inventory_reloads_total')}[1h])")
                 + NONE_YET, "{{result}}")], p.COUNT, w=8, bars=True)


def _concurrency() -> g.TimeSeries:
    return p.timeseries("Polls at once: AIMD limit and in flight", [
        p.target(sel("thdmon_collector_concurrency_limit"), "limit"),
        p.target(sel("thdmon_collector_polls_in_flight"), "in flight"),
    ], p.COUNT, w=8, min_=0)


def _refused() -> g.TimeSeries:
    return p.timeseries("Refused: samples (vocabulary) and /metrics requests", [
        p.target(f"sum({rate('thdmon_collector_samples_rejected_total')})", "samples"),
        p.target(by("sum", ["reason"], rate("thdmon_exporter_http_rejections_total")) + NONE_YET, "http {{reason}}"),
    ], p.PER_SECOND, w=8)


def _scrapes() -> list[g.TimeSeries]:
    return [
        p.timeseries("Scrape time", [p.target(sel("scrape_duration_seconds"), "{{job}} {{instance}}")], p.SECONDS,
                     w=8),
        p.timeseries("Scrape size (samples)", [p.target(sel("scrape_samples_scraped"), "{{job}} {{instance}}")],
                     p.COUNT),
        p.timeseries("Targets up", [p.target(sel("up"), "{{job}} {{instance}}")], p.COUNT, min_=0),
    ]


def build() -> g.Dashboard:
    panels = [_devices(), _durations(), _polls(), _errors(), _slowest(), _misfires(), _reloads(), _concurrency(),
              _refused(), *_scrapes()]
    return dashboard(UID, TITLE, "The collector: poll durations, errors by reason and protocol, backoff, misfires, "
                     "concurrency, refusals, scrape size and time, inventory reloads.", panels)
