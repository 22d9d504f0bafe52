"""ICMP reachability: echo probes per device (icmplib), RTT median and loss ratio."""
