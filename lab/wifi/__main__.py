"""`python -m lab.wifi`: play park Wi-Fi days at connlog's listeners and write the ground truth."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

from lab.errors import LabError
from lab.wifi.generate import Park, plan_day, play


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not ADDRESS:PORT")
    return host, int(port)


def sources_from_inventory(root: Path, site_id: str) -> tuple[str, str]:
    """The park's first NAS (a device with a RADIUS credential) and the firewall its traffic leaves by."""
    from inventory import load_inventory
    from inventory.model import Role

    inv = load_inventory(root, check_secrets=False)
    if site_id not in inv.sites:
        raise LabError(f"site {site_id!r} is not in the inventory {root}")
    nas = sorted(d.hostname for d in inv.devices.values() if d.site == site_id and d.radius)
    firewalls = sorted(d.hostname for d in inv.devices.values() if d.role is Role.firewall)
    if not nas or not firewalls:
        raise LabError(f"site {site_id!r} has no RADIUS NAS, or the inventory has no firewall")
    return str(inv.devices[nas[0]].address), str(inv.devices[firewalls[0]].address)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.wifi", description=__doc__)
    ap.add_argument("--radius", type=_address, default=("127.0.0.1", 1813), help="connlog RADIUS ADDR:PORT")
    ap.add_argument("--syslog", type=_address, default=("127.0.0.1", 5514), help="connlog syslog ADDR:PORT (TCP)")
    ap.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today(), help="day to play (YYYY-MM-DD)")
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--clients", type=int, default=300, help="visitors per day")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--speed", type=float, default=0.0, help="time compression (3600: 1 h/s; 0: flat out)")
    ap.add_argument("--site", default="parc-sausset")
    ap.add_argument("--controller", default="127.0.0.1", help="source address of RADIUS (the NAS)")
    ap.add_argument("--firewall", default="127.0.0.1", help="source address of NAT syslog")
    ap.add_argument("--dhcp-server", default="127.0.0.1", help="source address of DHCP syslog")
    ap.add_argument("--dhcp-format", choices=("isc", "kea", "dnsmasq"), default="isc")
    ap.add_argument("--truth", type=Path, help="write the ground truth (JSON) here")
    ap.add_argument("--inventory", type=Path,
                    help="take --controller (a NAS of --site), --firewall and --dhcp-server from this inventory")
    args = ap.parse_args(argv)
    if args.inventory:
        try:
            args.controller, args.firewall = sources_from_inventory(args.inventory, args.site)
        except LabError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        args.dhcp_server = args.firewall
    # The RADIUS secret comes from the environment, never from the command line (visible in ps).
    secret = os.environ.get("THDMON_LAB_RADIUS_SECRET")
    if not secret:
        from lab.sample.lab_secrets import LAB_SECRETS

        secret = LAB_SECRETS["lab_radius_secret"]
    park = Park(site=args.site, controller=args.controller, firewall=args.firewall, dhcp_server=args.dhcp_server,
                dhcp_format=args.dhcp_format)
    out = []
    try:
        for i in range(args.days):
            events, truth = plan_day(args.date + dt.timedelta(days=i), args.clients, args.seed, park)
            asyncio.run(play(events, truth, park, secret.encode(), args.radius, args.syslog, args.speed))
            out.append(truth.to_json())
            print(f"{args.date + dt.timedelta(days=i)}: {len(truth.sessions)} sessions, "
                  f"{truth.radius_sent} RADIUS requests ({truth.radius_retransmissions} retransmitted), "
                  f"{truth.syslog_sent} syslog lines", file=sys.stderr)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.truth:
        args.truth.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
