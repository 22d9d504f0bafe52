"""Simulated park Wi-Fi days: clients, DHCP, RADIUS accounting and NAT logs sent to connlog's listeners."""
