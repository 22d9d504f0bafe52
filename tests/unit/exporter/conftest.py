"""Builders shared by the exporter tests: the same data as store entries and as a prometheus_client
custom collector, so the fast exposition can be compared with prometheus_client's own writers."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry

from collector.model import DeviceState, DownReason, Labels, PollResult, Sample
from collector.store import Store
from metrics import catalogue
from metrics.identity import identity_labels

from .reference import ReferenceCollector

TRICKY = (
    "Collège Jean-Jaurès",
    'say "hi"',
    "back\\slash",
    "two\nlines",
    "",
    "{a=b,c}",
    "tab\there",
    "Lycée Évariste-Galois ✓",
    "trailing\\",
    '\\"\n',
)


def reference_registry(store: Store, identities: dict[str, Labels]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReferenceCollector(store.snapshot(), identities))
    return registry


def up_state(device: str, now: float = 1_700_000_000.0, varbinds: int = 42) -> DeviceState:
    return DeviceState(device=device, up=True, last_poll=now, poll_duration=0.25, varbinds=varbinds)


def down_state(device: str, reason: DownReason = DownReason.timeout, now: float = 1_700_000_060.0) -> DeviceState:
    return DeviceState(device=device, up=False, reason=reason, detail="no answer", last_poll=now,
                       poll_duration=2.0)


def interface_samples(ifnames: list[str], octets: float, ts: float = 1_700_000_000.0) -> list[Sample]:
    out = []
    for i, name in enumerate(ifnames):
        labels = (("ifname", name),)
        out.append(Sample("thdmon_interface_receive_bytes_total", labels, octets + i, ts))
        out.append(Sample("thdmon_interface_oper_up", labels, float(i % 2), ts))
        out.append(Sample("thdmon_interface_info", labels + (("ifalias", f"alias {name}"), ("iftype", "6"),
                                                             ("ifindex", str(i + 1))), 1.0, ts))
    return out


def tricky_dataset(store: Store) -> dict[str, Labels]:
    """Hand-chosen label values and floats that trip naive writers."""
    values = [0.0, -0.0, 1.0, 2.5, 1e21, 123456789.0, 1234567.0, 1.5e-7, float("inf"), float("-inf"),
              float("nan"), 18446744073709551615.0, 7, -3.25e-300]
    identities: dict[str, Labels] = {}
    for d, site_name in enumerate(TRICKY):
        device = f"sw-{d:03d}"
        identities[device] = identity_labels(f"site-{d}", "college", site_name, device, "access_switch")
        samples = [Sample("thdmon_temperature_celsius", (("sensor", label),), values[i % len(values)], 0.0)
                   for i, label in enumerate(TRICKY)]
        samples += [Sample("thdmon_interface_transmit_bytes_total", (("ifname", label),),
                           values[(i + d) % len(values)], 0.0) for i, label in enumerate(TRICKY)]
        samples.append(Sample("thdmon_device_info", (("sys_name", site_name), ("sys_descr", 'Cisco "IOS"\n15.2'),
                                                     ("sys_object_id", "1.3.6.1.4.1.9.1.1"), ("vendor", "cisco")),
                              1.0, 0.0))
        samples.append(Sample("thdmon_device_uptime_seconds", (), 86400.5 * d, 0.0))
        store.update(device, PollResult(samples, up_state(device)))
    store.update("ap-down", PollResult([], down_state("ap-down", DownReason.auth_failure)), maintenance=True)
    identities["ap-down"] = identity_labels("parc-sausset", "park", "Villepinte", "ap-down", "wifi_ap")
    return identities


def random_dataset(store: Store, seed: int, devices: int = 40) -> dict[str, Labels]:
    """A random-ish set over every per-device catalogue metric, with random label text."""
    rng = random.Random(seed)
    alphabet = 'abcXYZ019 -_/.:éèçàÉ"\\\n{}=,✓'
    metrics = [m for m in catalogue.METRICS if m.per_device and m.type in ("counter", "gauge", "info")]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))

    def value() -> float:
        return rng.choice([rng.uniform(-1e3, 1e3), float(rng.randint(0, 2**63)),
                           rng.random() * 10 ** rng.randint(-9, 22), float(rng.randint(0, 100))])

    identities: dict[str, Labels] = {}
    for d in range(devices):
        device = f"dev-{d}-{text()}".replace("\n", "")
        identities[device] = identity_labels(text(), rng.choice(["college", "lycee", "park"]), text(), device,
                                             rng.choice(["access_switch", "wifi_ap", "router"]))
        samples: list[Sample] = []
        seen: set[tuple[str, Labels]] = set()
        for _ in range(rng.randint(1, 60)):
            m = rng.choice(metrics)
            if m.name in {"thdmon_device_up", "thdmon_device_maintenance", "thdmon_device_down_reason",
                          "thdmon_device_last_poll_timestamp_seconds", "thdmon_device_poll_duration_seconds",
                          "thdmon_device_poll_varbinds"}:
                continue  # set by the store from the device state
            labels = tuple((name, text()) for name in m.labels)
            if (m.name, labels) not in seen:
                seen.add((m.name, labels))
                samples.append(Sample(m.name, labels, value(), 0.0))
        up = rng.random() > 0.2
        state = up_state(device, varbinds=rng.randint(0, 5000)) if up else down_state(device)
        store.update(device, PollResult(samples, state), maintenance=rng.random() < 0.1)
    return identities
