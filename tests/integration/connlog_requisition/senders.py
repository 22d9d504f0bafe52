"""Real-format vendor traffic for the requisition tests: syslog frames as the devices send them (raw
sockets, so the bytes are exactly the vendor's), RADIUS accounting with FreeRADIUS's radclient."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def tcp_octet_counted(address: tuple[str, int], *messages: str) -> None:
    """RFC 6587 octet counting, one connection (Junos, rsyslog with TCP)."""
    with socket.create_connection(address, timeout=5) as s:
        for m in messages:
            data = m.encode()
            s.sendall(b"%d %s" % (len(data), data))


def udp(address: tuple[str, int], *messages: str) -> None:
    """One datagram per message (FortiGate's default syslog transport)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in messages:
            s.sendto(m.encode(), address)


def fortigate_close(close: float, duration: int, *, private: str, sport: int, public: str, pport: int, mac: str,
                    eventtime: bool = True, with_duration: bool = True) -> str:
    """A FortiOS 7.x traffic log of a closed source-NATed session, bare <PRI> header as the box sends it;
    `eventtime=False` is the FortiOS 6.0 form (date + time + tz only)."""
    local = dt.datetime.fromtimestamp(close, PARIS)
    tz = local.strftime("%z")
    parts = [f'<189>date={local:%Y-%m-%d} time={local:%H:%M:%S} devname="FGT-PARC-SAUSSET" devid="FG100FTK20000001"']
    if eventtime:
        parts.append(f"eventtime={int(close * 1e9)}")
    parts.append(f'tz="{tz}" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
                 f'srcip={private} srcport={sport} srcintf="wifi-parc" srcintfrole="lan" srcmac="{mac}" '
                 f'dstip=142.250.179.78 dstport=443 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" '
                 f'dstcountry="United States" sessionid=91234567 proto=6 '
                 f'action="{"close" if with_duration else "accept"}" '
                 f'policyid=3 policytype="policy" service="HTTPS" trandisp="snat" transip={public} transport={pport}')
    if with_duration:
        parts.append(f"duration={duration} sentbyte=51234 rcvdbyte=812345 sentpkt=120 rcvdpkt=640 appcat=\"unscanned\"")
    return " ".join(parts)


def conntrack(event: str, when: float, *, private: str, sport: int, public: str, pport: int) -> str:
    """`conntrack -E -e NEW,DESTROY -o timestamp` output, as `logger -t conntrack` forwards it."""
    if event == "NEW":
        return (f"[{when:.6f}]\t    [NEW] tcp      6 120 SYN_SENT src={private} dst=93.184.216.34 sport={sport} "
                f"dport=443 [UNREPLIED] src=93.184.216.34 dst={public} sport=443 dport={pport}")
    return (f"[{when:.6f}]\t[DESTROY] tcp      6 src={private} dst=93.184.216.34 sport={sport} dport=443 "
            f"src=93.184.216.34 dst={public} sport=443 dport={pport} [ASSURED]")


def junos_pba(event: str, when: float, *, private: str, public: str, lo: int, hi: int) -> str:
    """Junos RT_NAT port-block allocation/release, RFC 5424 as an SRX sends it in structured mode."""
    stamp = dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    verb, what = ("ALLOC", "allocates") if event == "alloc" else ("RELEASE", "releases")
    return (f"<14>1 {stamp} srx-parcs RT_NAT - RT_SRC_NAT_PBA_{verb} [junos@2636.1.1.1.2.26] "
            f"RT_SRC_NAT_PBA_{verb}: Subscriber {private} used/maximum [1/8] blocks, {what} port block "
            f"[{lo}-{hi}] from {public} in source pool pool-parcs lsys_id: 0")


def logger(logger_bin: str, address: tuple[str, int], tag: str, *messages: str) -> None:
    proc = subprocess.run([logger_bin, "-T", "--octet-count", "--rfc5424", "-n", address[0], "-P", str(address[1]),
                           "-t", tag], input="\n".join(messages) + "\n", capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr


def radius_session(radclient: str, address: tuple[str, int], secret: str, *, session: str, mac: str, private: str,
                   start: float, stop: float | None, user: str | None = None) -> None:
    """A Wi-Fi session's Start (and Stop) with Event-Timestamp, as a controller sends them."""
    calling = mac.upper().replace(":", "-")
    base = (f'Acct-Session-Id = "{session}"\nFramed-IP-Address = {private}\nCalling-Station-Id = "{calling}"\n'
            'Called-Station-Id = "00-1A-1E-40-01-02:SSD-WiFi-Parcs"\nNAS-IP-Address = 127.0.0.1\n')
    if user:
        base += f'User-Name = "{user}"\n'
    packets = [base + f"Acct-Status-Type = Start\nEvent-Timestamp = {int(start)}\n"]
    if stop is not None:
        packets.append(base + f"Acct-Status-Type = Stop\nEvent-Timestamp = {int(stop)}\n"
                       f"Acct-Session-Time = {int(stop - start)}\nAcct-Terminate-Cause = User-Request\n")
    for attrs in packets:
        out = subprocess.run([radclient, "-x", "-r", "2", "-t", "3", f"{address[0]}:{address[1]}", "acct", secret],
                             input=attrs, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and "Received Accounting-Response" in out.stdout, out.stdout + out.stderr


def rfc5424(when: float, host: str, app: str, message: str) -> str:
    """A syslog frame with the sender's own timestamp (rsyslog forwarding a DHCP server's log)."""
    stamp = dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"<30>1 {stamp} {host} {app} - - - {message}"


def dhcp_lease(fmt: str, start: float, end: float, *, private: str, mac: str) -> list[str]:
    """A lease from `start` to `end` in one DHCP server's own words."""
    if fmt == "isc":
        return [rfc5424(start, "dhcp1", "dhcpd", f"DHCPACK on {private} to {mac} (Galaxy-S21) via eth1"),
                rfc5424(end, "dhcp1", "dhcpd", f"DHCPRELEASE of {private} from {mac} (Galaxy-S21) via eth1 (found)")]
    if fmt == "kea":
        return [rfc5424(start, "dhcp1", "kea-dhcp4", f"DHCP4_LEASE_ALLOC [hwtype=1 {mac}], cid=[no info], "
                        f"tid=0x3c6b9d2e: lease {private} has been allocated for {int(end - start)} seconds")]
    return [rfc5424(start, "ap1", "dnsmasq-dhcp", f"DHCPACK(wlan0) {private} {mac} Galaxy-S21")]  # dnsmasq
