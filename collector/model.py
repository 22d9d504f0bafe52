"""Plain data passed from the collectors to the store and on to the exporter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from metrics.sample import Labels, Sample

__all__ = ["DeviceState", "DownReason", "Labels", "PollResult", "Sample"]


class DownReason(enum.StrEnum):
    timeout = "timeout"
    auth_failure = "auth_failure"
    no_such_object = "no_such_object"
    malformed_response = "malformed_response"
    unreachable = "unreachable"
    refused = "refused"
    error = "error"


@dataclass(slots=True)
class DeviceState:
    """What the collector knows about a device's health, beside its samples."""

    device: str
    up: bool = False
    reason: DownReason | None = None
    detail: str = ""
    since: float = 0.0
    last_poll: float = 0.0
    poll_duration: float = 0.0
    varbinds: int = 0
    consecutive_failures: int = 0
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class PollResult:
    """What one poll of one device returns: its samples (empty when it did not answer) and its state."""

    samples: list[Sample]
    state: DeviceState
    # What the protocol's poller wants shown beside the samples, as plain JSON-able data (SNMP: the
    # profile and modules chosen and why under "selection", collector.snmp.poll); never exported as metrics.
    info: dict[str, Any] = field(default_factory=dict)
