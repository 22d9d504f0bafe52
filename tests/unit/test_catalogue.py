import re

from metrics import catalogue

_UNIT_SUFFIX = {"bytes": "_bytes", "seconds": "_seconds", "dbm": "_dbm", "watts": "_watts",
                "celsius": "_celsius", "ratio": "_ratio"}


def test_names_follow_prometheus_conventions():
    seen = set()
    for m in catalogue.METRICS:
        assert m.name not in seen, f"{m.name} declared twice"
        seen.add(m.name)
        assert re.fullmatch(r"thdmon_[a-z0-9_]+", m.name), m.name
        if m.type == "counter":
            assert m.name.endswith("_total"), m.name
        else:
            assert not m.name.endswith("_total"), m.name
        if m.unit:
            suffix = _UNIT_SUFFIX[m.unit]
            assert suffix in m.name, f"{m.name} has unit {m.unit} but not {suffix}"
        if m.type == "info":
            assert m.name.endswith("_info"), m.name
        assert m.help and not m.help.endswith(".")
        assert len(set(m.all_labels)) == len(m.all_labels), f"{m.name}: a label twice (identity labels included)"
        for label in m.all_labels:
            assert re.fullmatch(r"[a-z_][a-z0-9_]*", label), (m.name, label)
            assert label not in {"mac", "client_mac", "ip", "client_ip", "user"}, (m.name, label)


def test_unknown_metric_is_a_clear_error():
    try:
        catalogue.get("thdmon_nope")
    except catalogue.UnknownMetric as exc:
        assert "not in the catalogue" in str(exc)
    else:
        raise AssertionError("expected UnknownMetric")
