"""The lab provisions its own secrets: the sample département's references, written 0600 for the demo.

Production code never writes secrets: `inventory.load_inventory` only reads a secrets file it is given.
`thdmon lab start` and `thdmon lab secrets` (what the demo and the tests call) create
`<state_dir>/lab-secrets.yaml` with the lab-only values of `lab.sample.lab_secrets`.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from lab.errors import LabError
from lab.sample.lab_secrets import LAB_SECRETS

LAB_SECRETS_NAME = "lab-secrets.yaml"


def provision(state_dir: Path) -> Path:
    """`<state_dir>/lab-secrets.yaml` with the lab-only values of the sample inventory, created 0600.

    An existing file is kept as is, except that names it lacks are added (a newer sample may use
    more). Its permissions are left for the loader to judge.
    """
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = state_dir / LAB_SECRETS_NAME
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return path  # the loader reports what is wrong with it
        existing = loaded if isinstance(loaded, dict) else {}
        missing = {k: v for k, v in LAB_SECRETS.items() if k not in existing}
        if missing:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(yaml.safe_dump(missing, default_flow_style=False, sort_keys=True))
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Lab-only secrets of the sample inventory (created by thdmon lab). Not for production.\n")
        fh.write(yaml.safe_dump(dict(LAB_SECRETS), default_flow_style=False, sort_keys=True))
    os.replace(tmp, path)
    return path


def lab_value(ref: str) -> str:
    """The lab value of a secret reference of the sample inventory (lab-only, protects nothing)."""
    scheme, _, name = ref.partition(":")
    if scheme == "file" and name in LAB_SECRETS:
        return LAB_SECRETS[name]
    if scheme == "env" and name in os.environ:
        return os.environ[name]
    raise LabError(f"the lab cannot resolve secret reference {ref!r}: only the sample's lab secrets "
                   "(lab/sample/lab_secrets.py) and env: references are supported")
