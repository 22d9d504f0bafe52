"""Every dashboard and the provisioning files, as the bytes `thdmon dashboards build` writes.

Deterministic: fixed uids, sorted keys, no timestamps, so the committed copy (`dashboards/generated/`)
can be regenerated and diffed in CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from dashboards import connlog, device, energy, interface, overview, site, thdmon, wifi
from dashboards.normalise import normalise
from dashboards.provisioning import DEFAULT_DASHBOARDS_PATH, DEFAULT_PROMETHEUS_URL, datasource, provider

# In link order: overview -> site -> device -> interface, then the thematic ones.
MODULES: tuple[ModuleType, ...] = (overview, site, device, interface, wifi, energy, connlog, thdmon)
GENERATED = Path(__file__).resolve().parent / "generated"


def dashboards() -> dict[str, dict[str, Any]]:
    """uid -> the dashboard as Grafana 11 stores it."""
    return {m.UID: normalise(m.build()) for m in MODULES}


def _json(tree: dict[str, Any]) -> str:
    return json.dumps(tree, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _yaml(tree: dict[str, Any]) -> str:
    return yaml.safe_dump(tree, sort_keys=True, allow_unicode=True)


def files(prometheus_url: str = DEFAULT_PROMETHEUS_URL,
          dashboards_path: str = DEFAULT_DASHBOARDS_PATH) -> dict[str, str]:
    """Relative path -> content of everything the build writes."""
    out = {f"dashboards/{uid}.json": _json(tree) for uid, tree in dashboards().items()}
    out["provisioning/datasources/thdmon.yaml"] = _yaml(datasource(prometheus_url))
    out["provisioning/dashboards/thdmon.yaml"] = _yaml(provider(dashboards_path))
    return out


def write(out_dir: Path, contents: dict[str, str]) -> list[Path]:
    """Write atomically, each file replaced whole; files of an earlier build that are gone are removed."""
    written = []
    for rel, text in sorted(contents.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    stale_dir = out_dir / "dashboards"
    for old in sorted(stale_dir.glob("*.json")) if stale_dir.is_dir() else []:
        if old not in written:
            old.unlink()
    return written
