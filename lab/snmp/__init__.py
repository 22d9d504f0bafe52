"""The simulated SNMP network: .snmprec data generated from the inventory, served by snmpsim."""
