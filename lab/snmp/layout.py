"""Which snmpsim process serves which device, and the data directories that make it so.

Layout (measured, see docs/lab.md): P snmpsim processes (default 2, one per core), each listening on
the unique address:port of its share of the devices (one UDP endpoint per device, ~760 per process), the
data file chosen by the endpoint (lab.snmp.responder). Devices are dealt round robin so every process
gets a share of each kind. Each device has a lab index, its snmpsim transport id
1.3.6.1.6.1.1.<index>, unique across processes (`--transport-id-offset`), which keys failure
injection. Data files:
- v2c devices: `data/<md5(community)>/1.3.6.1.6.1.1.<index>.snmprec`;
- SNMPv3 devices: `data/1.3.6.1.6.1.1.<index>.snmprec` (answers the v3 user, not the community);
- a placeholder `data/<community>.snmprec` registers the community itself (it never answers).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from inventory.model import Inventory
from lab.errors import LabError
from lab.snmp import datagen, topology

TRANSPORT_DOMAIN = "1.3.6.1.6.1.1"
DEFAULT_PROCESSES = 2
# Bumped when the generated data changes shape: forces a rebuild of existing runtime directories.
DATA_VERSION = "1"


@dataclass(frozen=True, slots=True)
class LabDevice:
    hostname: str
    address: str
    port: int
    index: int
    process: int
    v3: bool
    recording: str | None = None  # path of the real-device recording served, if any

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def community_dir(community: str) -> str:
    return hashlib.md5(community.encode()).hexdigest()  # noqa: S324 - snmpsim's own naming, not security


def recording_stem(tags: tuple[str, ...]) -> str | None:
    for tag in tags:
        if tag.startswith("recording:"):
            return tag.split(":", 1)[1]
    return None


def plan(inv: Inventory, processes: int = DEFAULT_PROCESSES, port: int | None = None,
         only: set[str] | None = None, recordings_dir: Path | None = None) -> tuple[list[LabDevice], list[str]]:
    """The lab's devices (dealt to `processes` processes) and notes about what was left out.

    `port` overrides every device's SNMP port (tests use a free one); `only` restricts to hostnames.
    """
    if processes < 1:
        raise LabError("the lab needs at least one snmpsim process")
    notes: list[str] = []
    unserved_recordings = 0
    chosen = []
    for hostname in sorted(inv.devices):
        device = inv.devices[hostname]
        if only is not None and hostname not in only:
            continue
        if device.address.version != 4 or not str(device.address).startswith("127."):
            notes.append(f"{hostname}: address {device.address} is not on 127.0.0.0/8, not simulated")
            continue
        stem = recording_stem(device.tags)
        recording = None
        if stem is not None:
            if recordings_dir is None:
                unserved_recordings += 1
                continue
            path = recordings_dir / f"{stem}.snmprec"
            if not path.is_file():
                notes.append(f"{hostname}: recording {path} not found, not served")
                continue
            recording = str(path)
        credential = inv.credentials.get(device.snmp or "")
        chosen.append((device, credential is not None and credential.type == "snmp_v3", recording))
    if unserved_recordings:
        notes.append(f"{unserved_recordings} real-device recordings not served: no recordings directory "
                     "(../shared/snmprec is absent)")
    per_process: list[list[tuple]] = [[] for _ in range(processes)]
    for k, item in enumerate(chosen):
        per_process[k % processes].append(item)
    devices: list[LabDevice] = []
    index = 0
    for proc, items in enumerate(per_process):
        for device, v3, recording in items:
            devices.append(LabDevice(device.hostname, str(device.address), port or device.snmp_port, index, proc,
                                     v3, recording))
            index += 1
    return devices, notes


def write_data(inv: Inventory, devices: list[LabDevice], root: Path, community: str) -> None:
    """(Re)write every process's data directory under `root` (snmpsim/p<k>/data)."""
    topo = topology.build(inv)
    aps = datagen.controller_aps(inv)
    hashed = community_dir(community)
    if root.exists():
        shutil.rmtree(root)
    for proc in sorted({d.process for d in devices}):
        data = root / f"p{proc}" / "data"
        (data / hashed).mkdir(parents=True)
        # The community's own file only registers the community; lab.snmp.responder never serves it.
        (data / f"{community}.snmprec").write_text("1.3.6.1.2.1.1.1.0|4|thdmon lab placeholder\n")
    for lab_device in devices:
        data = root / f"p{lab_device.process}" / "data"
        name = f"{TRANSPORT_DOMAIN}.{lab_device.index}.snmprec"
        target = data / name if lab_device.v3 else data / hashed / name
        if lab_device.recording is not None:
            # A copy in the runtime directory, never in the repository: snmpsim names a symlinked data
            # file after its target's path, which would lose the per-endpoint name.
            shutil.copyfile(lab_device.recording, target)
            continue
        device = inv.devices[lab_device.hostname]
        recs = datagen.records(device, inv, topo, aps.get(device.hostname))
        target.write_text(datagen.render(recs), encoding="utf-8")


def data_fingerprint(inv_root: Path, devices: list[LabDevice], community: str) -> str:
    """Changes whenever the generated data would: inventory files, lab code, device placement."""
    digest = hashlib.sha256(DATA_VERSION.encode())
    for path in sorted(inv_root.rglob("*.y*ml")) if inv_root.is_dir() else [inv_root]:
        digest.update(path.as_posix().encode())
        digest.update(path.read_bytes())
    here = Path(__file__).resolve().parent
    for module in ("datagen.py", "topology.py", "layout.py"):
        digest.update((here / module).read_bytes())
    for d in devices:
        digest.update(repr(d.to_json()).encode())
    digest.update(community_dir(community).encode())
    return digest.hexdigest()
