"""The ingest health metrics, scraped over HTTP as Prometheus would, against the catalogue."""

from __future__ import annotations

import socket
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from metrics import catalogue
from tests.integration.connlog_ingest.harness import MemorySink, RunningService, config, wait_until
from tests.integration.connlog_ingest.test_radius_radclient import BASE, radclient_send


def scrape(address: tuple[str, int]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_follow_the_catalogue_and_count_what_happened(tmp_path, sources, radclient):
    sink = MemorySink()
    cfg = config(tmp_path, metrics=("127.0.0.1", 0))
    with RunningService(cfg, sources, sink) as rs:
        svc = rs.service
        assert radclient_send(radclient, svc.radius_address, "s3cret-parc", BASE + "Acct-Status-Type = Start\n"
                              ).returncode == 0
        radclient_send(radclient, svc.radius_address, "wrong", BASE + "Acct-Status-Type = Start\n", timeout=1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"<38>Jun 14 14:03:27 fw sshd[9]: session opened", svc.syslog_address)
        assert wait_until(lambda: svc.quarantine.lines == 1 and len(sink.records) == 1)
        metrics = scrape(svc.metrics_address)
    for name, _ in metrics:
        base = name.removesuffix("_total") + ("_total" if name.endswith("_total") else "")
        assert base in catalogue.BY_NAME, name
    assert metrics[("thdmon_connlog_records_total", (("nas", "ctrl-parc-sausset"), ("source_kind", "radius")))] == 1
    last = metrics[("thdmon_connlog_last_record_timestamp_seconds",
                    (("nas", "ctrl-parc-sausset"), ("source_kind", "radius")))]
    assert last == sink.records[1].received_at
    assert metrics[("thdmon_connlog_dropped_total", (("reason", "bad_authenticator"), ("source_kind", "radius")))] == 1
    assert metrics[("thdmon_connlog_quarantine_lines", ())] == 1
    assert metrics[("thdmon_connlog_spool_depth_records", ())] == 0
    assert not any("aa:bb" in str(labels) for _, labels in metrics)  # no client MAC, ever
