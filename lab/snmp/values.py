"""snmpsim variation `labvalue`: counters, uptime and gauges that move, and reset when a device reboots.

Record values (the part after `TAG:labvalue|`):
- `c,rate=R,init=I`: a counter (Counter32/64, TimeTicks) worth I at lab start growing by R per second;
  after a simulated reboot at time B it is R x (now - B), i.e. it restarts from zero.
- `w,base=B,amp=A,period=P,phase=F`: a gauge oscillating around B (CPU, dBm x 10, clients).
- `k,value=V`: a constant V (a status the failures below change).
- any kind with `low=L`: reads L while the device's optical failure is on (`thdmon lab fail --mode
  optical-low`: the Rx power sensors fall under their low alarm and the thresholds' evaluations say so).
The device is known by its data file name (`1.3.6.1.6.1.1.<index>.snmprec`), whose boot time and
optical failure live in the control file named by $THDMON_LAB_CONTROL (see lab.snmp.control). Loaded
by the variation stub in lab/snmp/variation/, executed inside the snmpsim process.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from lab.snmp.control import ENV_VAR, ControlReader

STARTED = time.time()
_MAX = {"65": 2**32, "67": 2**32, "70": 2**64}
_control = ControlReader(os.environ.get(ENV_VAR))
_parsed: dict[str, tuple[str, dict[str, float]]] = {}


def parse(value: str) -> tuple[str, dict[str, float]]:
    cached = _parsed.get(value)
    if cached is None:
        kind, _, rest = value.partition(",")
        params = {k: float(v) for k, v in (item.split("=", 1) for item in rest.split(",") if item)}
        cached = _parsed[value] = (kind, params)
    return cached


def device_index(data_file: str) -> str:
    name = os.path.basename(data_file)
    return name[: -len(".snmprec")].rsplit(".", 1)[-1] if name.endswith(".snmprec") else ""


def compute(kind: str, params: dict[str, float], tag: str, now: float, boot: float | None,
            optical: str | None = None) -> int:
    if optical == "low" and "low" in params:
        return round(params["low"])
    if kind == "k":
        return round(params["value"])
    if kind == "c":
        if boot is not None and boot > STARTED:
            v = params["rate"] * (now - boot)
        else:
            v = params.get("init", 0.0) + params["rate"] * (now - STARTED)
        return int(v) % _MAX.get(tag, 2**32)
    if kind == "w":
        phase = params.get("phase", 0.0)
        v = params["base"] + params.get("amp", 0.0) * math.sin(2 * math.pi * now / params.get("period", 600) + phase)
        return round(v)
    raise ValueError(f"unknown labvalue kind {kind!r}")


def init(**context: Any) -> None:
    pass


def variate(oid: Any, tag: str, value: str, **context: Any) -> tuple[Any, str, Any]:
    if not context["nextFlag"] and not context["exactMatch"]:
        return context["origOid"], tag, context["errorStatus"]
    if context["setFlag"]:
        return context["origOid"], tag, context["errorStatus"]
    kind, params = parse(value)
    failure = _control.get(device_index(context.get("dataFile", "")))
    return oid, tag, compute(kind, params, tag, time.time(), failure.get("boot"), failure.get("optical"))


def record(oid: Any, tag: str, value: Any, **context: Any) -> tuple[Any, str, Any]:
    raise NotImplementedError("labvalue only variates")


def shutdown(**context: Any) -> None:
    pass
