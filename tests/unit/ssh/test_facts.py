"""Facts parsed with TextFSM (ntc-templates for IOS and AOS-CX, the project's own for FortiOS) into
samples of the vocabulary, on outputs shaped like the real devices' (the lab prints them)."""

from __future__ import annotations

from collector.ssh.facts import version_samples
from collector.ssh.platforms import PLATFORMS
from lab.ssh import shell
from metrics.sample import sample_problem

CISCO_IOS_REAL = (
    "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, RELEASE SOFTWARE (fc1)\n"
    """Technical Support: http://www.cisco.com/techsupport
ROM: Bootstrap program is C2960X boot loader
sw-col-001 uptime is 1 year, 2 weeks, 3 days, 4 hours, 5 minutes
System image file is "flash:/c2960x-universalk9-mz.152-7.E8/c2960x-universalk9-mz.152-7.E8.bin"
cisco WS-C2960X-48FPD-L (APM86XXX) processor (revision D0) with 524288K bytes of memory.
Processor board ID FOC2233X0YZ
Configuration register is 0xF
""")


def labels(platform: str, output: str) -> dict[str, str]:
    samples = version_samples(PLATFORMS[platform].version, output, 1.0)
    assert len(samples) == 1 and sample_problem(samples[0]) is None
    return dict(samples[0].labels)


def test_ios_show_version():
    assert labels("cisco_xe", shell._ios_version("sw1", 90061)) == {
        "os": "ios", "version": "17.9.4a", "model": "C9200L-48P-4X", "serial": "JAE24410ABC"}
    assert labels("cisco_ios", CISCO_IOS_REAL) == {
        "os": "ios", "version": "15.2(7)E8", "model": "WS-C2960X-48FPD-L", "serial": "FOC2233X0YZ"}


def test_aoscx_show_system():
    assert labels("aruba_aoscx", shell._aoscx_system("sw2", 100)) == {
        "os": "aos-cx", "version": "FL.10.13.1000", "model": "JL675A 6100 48G CL4 4SFP+ Swch", "serial": "CN12KMX0AB"}


def test_fortios_get_system_status():
    assert labels("fortinet", shell._fortios_status("fw1", 100)) == {
        "os": "fortios", "version": "v7.2.5", "model": "FortiGate-60F", "serial": "FGT60FTK2109ABCD"}


def test_unparsable_output_gives_no_sample():
    assert version_samples(PLATFORMS["fortinet"].version, "Unknown action 0\nCommand fail.", 1.0) == []
    # ntc-templates' IOS template ends in an Error state on lines it does not know: no sample, no exception
    assert version_samples(PLATFORMS["cisco_ios"].version, "show running-config\nhostname x\n", 1.0) == []
