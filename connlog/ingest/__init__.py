"""Ingest: RADIUS accounting and syslog (NAT, DHCP) listeners that turn packets into spooled Records."""
