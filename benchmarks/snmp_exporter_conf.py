"""snmp.yml (snmp_exporter 0.21 format) for the IF-MIB columns thdmon's if_mib profile walks.

Written by hand rather than by snmp_exporter's generator (no MIB files here); it mirrors the generator's
default `if_mib` module: every ifTable/ifXTable column as a metric indexed by ifIndex, with ifAlias,
ifDescr and ifName looked up as labels.
"""

from __future__ import annotations

from pathlib import Path

import yaml

IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"

# (name, column, type) - snmp_exporter types: counter, gauge, DisplayString, PhysAddress48.
COLUMNS = [
    ("ifIndex", f"{IF_TABLE}.1", "gauge"), ("ifDescr", f"{IF_TABLE}.2", "DisplayString"),
    ("ifType", f"{IF_TABLE}.3", "gauge"), ("ifMtu", f"{IF_TABLE}.4", "gauge"), ("ifSpeed", f"{IF_TABLE}.5", "gauge"),
    ("ifPhysAddress", f"{IF_TABLE}.6", "PhysAddress48"), ("ifAdminStatus", f"{IF_TABLE}.7", "gauge"),
    ("ifOperStatus", f"{IF_TABLE}.8", "gauge"), ("ifLastChange", f"{IF_TABLE}.9", "gauge"),
    *[(name, f"{IF_TABLE}.{col}", "counter") for name, col in [
        ("ifInOctets", 10), ("ifInUcastPkts", 11), ("ifInNUcastPkts", 12), ("ifInDiscards", 13),
        ("ifInErrors", 14), ("ifInUnknownProtos", 15), ("ifOutOctets", 16), ("ifOutUcastPkts", 17),
        ("ifOutNUcastPkts", 18), ("ifOutDiscards", 19), ("ifOutErrors", 20)]],
    ("ifOutQLen", f"{IF_TABLE}.21", "gauge"),
    ("ifName", f"{IF_X_TABLE}.1", "DisplayString"),
    *[(name, f"{IF_X_TABLE}.{col}", "counter") for name, col in [
        ("ifInMulticastPkts", 2), ("ifInBroadcastPkts", 3), ("ifOutMulticastPkts", 4), ("ifOutBroadcastPkts", 5),
        ("ifHCInOctets", 6), ("ifHCInUcastPkts", 7), ("ifHCInMulticastPkts", 8), ("ifHCInBroadcastPkts", 9),
        ("ifHCOutOctets", 10), ("ifHCOutUcastPkts", 11), ("ifHCOutMulticastPkts", 12),
        ("ifHCOutBroadcastPkts", 13)]],
    ("ifLinkUpDownTrapEnable", f"{IF_X_TABLE}.14", "gauge"), ("ifHighSpeed", f"{IF_X_TABLE}.15", "gauge"),
    ("ifPromiscuousMode", f"{IF_X_TABLE}.16", "gauge"), ("ifConnectorPresent", f"{IF_X_TABLE}.17", "gauge"),
    ("ifAlias", f"{IF_X_TABLE}.18", "DisplayString"), ("ifCounterDiscontinuityTime", f"{IF_X_TABLE}.19", "gauge"),
]
LOOKUPS = [("ifAlias", f"{IF_X_TABLE}.18"), ("ifDescr", f"{IF_TABLE}.2"), ("ifName", f"{IF_X_TABLE}.1")]


def module(community: str = "public") -> dict:
    metrics = []
    for name, oid, kind in COLUMNS:
        metric = {"name": name, "oid": oid, "type": kind, "help": name,
                  "indexes": [{"labelname": "ifIndex", "type": "gauge"}]}
        if name != "ifIndex":
            metric["lookups"] = [{"labels": ["ifIndex"], "labelname": label, "oid": lookup_oid,
                                  "type": "DisplayString"} for label, lookup_oid in LOOKUPS if label != name]
        metrics.append(metric)
    return {"walk": [IF_TABLE, IF_X_TABLE], "metrics": metrics, "version": 2, "max_repetitions": 25,
            "retries": 1, "timeout": "5s", "auth": {"community": community}}


def write_exporter_config(path: Path) -> None:
    path.write_text(yaml.safe_dump({"if_mib": module()}, sort_keys=False))
