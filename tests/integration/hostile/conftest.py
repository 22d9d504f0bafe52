"""The serve suite's fixtures (a private snmpd, `thdmon serve` polling it), shared with the hostile suite."""

from tests.integration.serve.test_serve import serve, snmpd

__all__ = ["serve", "snmpd"]
