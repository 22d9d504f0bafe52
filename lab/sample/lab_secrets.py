"""Lab-only secret values of the sample inventory, referenced there as `file:NAME`.

They protect nothing: they are the community, keys and passwords of the simulated département (lab/),
written by `lab.secrets.provision` to `<state_dir>/lab-secrets.yaml` (mode 0600) for the demo and the
tests. Never reuse them on a real network.
"""

from __future__ import annotations

from types import MappingProxyType

LAB_SECRETS = MappingProxyType({
    "lab_snmp_community": "thdmon-lab",
    "lab_snmp_v3_auth": "labauthpass123",
    "lab_snmp_v3_priv": "labprivpass123",
    "lab_ssh_password": "labsshpass123",
    "lab_radius_secret": "labradiussecret123",
})
