import pytest
from pyrad.packet import AcctPacket

from connlog.ingest.radius import (
    MalformedPacket,
    load_dictionary,
    record_from_packet,
    request_authenticator_ok,
    response,
    split_called_station,
)
from connlog.ingest.sources import Nas, from_mapping
from connlog.record import Kind

DICT = load_dictionary()
NAS = Nas("127.0.3.1", "ctrl-parc-sausset", "parc-sausset", b"s3cret")


def packet(**attrs: object) -> AcctPacket:
    p = AcctPacket(id=7, secret=b"s3cret", dict=DICT)
    for k, v in attrs.items():
        p[k.replace("_", "-")] = v
    raw = p.RequestPacket()
    return AcctPacket(packet=raw, dict=DICT, secret=b"s3cret")


def test_start_record():
    p = packet(Acct_Status_Type="Start", Acct_Session_Id="5F3A", User_Name="visiteur1@portail",
               Framed_IP_Address="10.20.1.34", Calling_Station_Id="AA-BB-CC-DD-EE-01",
               Called_Station_Id="00-1A-1E-40-01-02:Parc-Sausset-WiFi", Event_Timestamp=1781438607)
    r = record_from_packet(p, NAS, received_at=1781438610.0)
    assert (r.kind, r.source, r.site, r.status, r.session_id) == (Kind.radius, "ctrl-parc-sausset", "parc-sausset",
                                                                  "Start", "5F3A")
    assert (r.client_mac, r.ap, r.ssid, r.private_ip, r.user_name) == (
        "aa:bb:cc:dd:ee:01", "00:1a:1e:40:01:02", "Parc-Sausset-WiFi", "10.20.1.34", "visiteur1@portail")
    assert (r.event_time, r.start, r.stop, r.received_at) == (1781438607.0, 1781438607.0, None, 1781438610.0)


def test_stop_with_gigawords_delay_and_cause():
    p = packet(Acct_Status_Type="Stop", Acct_Session_Id="5F3A", Acct_Session_Time=3600, Acct_Delay_Time=4,
               Acct_Input_Octets=5, Acct_Input_Gigawords=2, Acct_Output_Octets=7,
               Acct_Terminate_Cause="Idle-Timeout")
    r = record_from_packet(p, NAS, received_at=1781442000.0)
    assert r.event_time == 1781441996.0  # no Event-Timestamp: arrival minus Acct-Delay-Time
    assert (r.stop, r.start, r.duration) == (1781441996.0, 1781441996.0 - 3600, 3600.0)
    assert (r.input_octets, r.output_octets) == (2 * 2**32 + 5, 7)
    assert r.terminate_cause == "Idle-Timeout"


def test_called_station_variants():
    assert split_called_station("00-11-22-33-44-55:Parc") == ("00:11:22:33:44:55", "Parc")
    assert split_called_station("001122334455") == ("00:11:22:33:44:55", None)
    assert split_called_station("ap-sausset-03") == ("ap-sausset-03", None)
    assert split_called_station(None) == (None, None)


def test_authenticators_are_rfc2866():
    p = AcctPacket(id=9, secret=b"s3cret", dict=DICT)
    p["Acct-Status-Type"] = "Start"
    p["Acct-Session-Id"] = "x"
    raw = p.RequestPacket()
    assert request_authenticator_ok(raw, b"s3cret")
    assert not request_authenticator_ok(raw, b"wrong")
    reply = response(9, raw[4:20], b"s3cret")
    assert p.VerifyReply(AcctPacket(packet=reply, dict=DICT, secret=b"s3cret"), reply)  # pyrad's own check


def test_nas_secret_never_in_repr():
    sources = from_mapping({"127.0.3.1": "very-secret-value"})
    assert "very-secret-value" not in repr(sources)
    assert sources.nas["127.0.3.1"].secret == b"very-secret-value"


def test_accounting_on_needs_no_session():
    r = record_from_packet(packet(Acct_Status_Type="Accounting-On", Event_Timestamp=1781438000), NAS, 1781438001.0)
    assert (r.status, r.session_id, r.event_time) == ("Accounting-On", None, 1781438000.0)


def test_session_status_without_session_id_is_malformed():
    with pytest.raises(MalformedPacket, match="Interim-Update without Acct-Session-Id"):
        record_from_packet(packet(Acct_Status_Type="Interim-Update"), NAS, 1781438001.0)
