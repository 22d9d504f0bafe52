from __future__ import annotations

from pyasn1.codec.ber import decoder
from pysnmp.proto import api

from lab.snmp import control, probe


def test_probe_builds_a_valid_v2c_get():
    message, rest = decoder.decode(probe.get_request("thdmon-lab", request_id=4242),
                                   asn1Spec=api.PROTOCOL_MODULES[api.SNMP_VERSION_2C].Message())
    assert rest == b""
    p_mod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    assert str(p_mod.apiMessage.get_community(message)) == "thdmon-lab"
    pdu = p_mod.apiMessage.get_pdu(message)
    assert int(p_mod.apiPDU.get_request_id(pdu)) == 4242
    assert [str(oid) for oid, _ in p_mod.apiPDU.get_varbinds(pdu)] == ["1.3.6.1.2.1.1.3.0"]


def test_control_update_and_clear(tmp_path):
    path = tmp_path / "control.json"
    assert control.update(path, 7, mode="slow", delay=2.5) == {"mode": "slow", "delay": 2.5}
    assert control.update(path, 7, boot=123.0) == {"mode": "slow", "delay": 2.5, "boot": 123.0}
    assert control.update(path, 7, mode=None, delay=None) == {"boot": 123.0}
    reader = control.ControlReader(path)
    assert reader.get("7") == {"boot": 123.0}
    assert reader.get("8") == {}
    control.update(path, 7, boot=None)
    assert control.read(path) == {}
