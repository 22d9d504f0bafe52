"""Every query of every dashboard parses in Prometheus' own parser (promtool), variables interpolated.

The catalogue check (`dashboards.promql.check`) knows names, not PromQL's grammar: a misplaced
parenthesis after `group_left` or a comparison that binds looser than expected would only show in
Grafana. promtool reads each expression as the rule of a rules file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from dashboards import build
from tests.conftest import require

# What Grafana substitutes before the query reaches Prometheus.
VARIABLES = {"__rate_interval": "20s"}


def _interpolate(expr: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: VARIABLES.get(m.group(1), "x"), expr)


def test_every_query_parses_in_promtool(tmp_path: Path):
    require(shutil.which("promtool") is not None, "promtool not installed (Debian package prometheus)")
    rules = [{"record": f"dashboard:q{n}", "expr": _interpolate(target["expr"])}
             for n, target in enumerate(t for d in build.dashboards().values() for p in d["panels"]
                                        for t in p.get("targets", []))]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout + done.stderr
