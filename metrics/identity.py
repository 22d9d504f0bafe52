"""The identity labels every per-device series carries, in catalogue order."""

from __future__ import annotations

from metrics.catalogue import DEVICE_LABELS
from metrics.sample import Labels


def identity_labels(site: str, site_kind: str, commune: str, device: str, role: str) -> Labels:
    values = {"site": site, "site_kind": site_kind, "commune": commune, "device": device, "role": role}
    return tuple((name, values[name]) for name in DEVICE_LABELS)
