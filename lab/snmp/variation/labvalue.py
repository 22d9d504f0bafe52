# snmpsim variation module stub: snmpsim exec()s every *.py of its --variation-modules-dir and looks up
# init/variate/record/shutdown in the result; the implementation lives in an importable module.
from lab.snmp.values import init, record, shutdown, variate  # noqa: F401
