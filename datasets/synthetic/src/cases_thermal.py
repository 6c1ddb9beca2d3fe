"""Thermal: CPU throttling (old and new wordings), critical trips, NIC/GPU over-temperature."""

from kit import case

F = "thermal"

case(
    F,
    "syn-thm-001",
    "warning",
    "thermal",
    """
~2
! CPU14: Package temperature is above threshold, cpu clock is throttled (total events = 1)
CPU38: Package temperature is above threshold, cpu clock is throttled (total events = 1)
CPU15: Package temperature is above threshold, cpu clock is throttled (total events = 1)
+44.0
! CPU14: Package temperature/speed normal
CPU38: Package temperature/speed normal
CPU15: Package temperature/speed normal
~2
""",
    "Newer wording (5.x/6.x therm_throt): package throttling on one socket, followed by 'temperature/speed normal' 44 s later. Throttling that recovered is warning.",
    "batch-r650-33",
    start=1209931.0,
)

case(
    F,
    "syn-thm-002",
    "warning",
    "thermal",
    """
~2
! CPU5: Core temperature above threshold, cpu clock throttled (total events = 21)
CPU29: Core temperature above threshold, cpu clock throttled (total events = 21)
+0.1
! CPU5: Core temperature/speed normal
CPU29: Core temperature/speed normal
~2
""",
    "Older wording (3.x/4.x): core throttling on two sibling threads, back to normal within 100 ms: warning.",
    "legacy-r620-11",
    start=8803322.0,
)

case(
    F,
    "syn-thm-003",
    "warning",
    "thermal",
    """
~1
! mce: CPU2: Package temperature above threshold, cpu clock throttled (total events = 3654)
mce: CPU26: Package temperature above threshold, cpu clock throttled (total events = 3654)
mce: CPU0: Package temperature above threshold, cpu clock throttled (total events = 3654)
mce: CPU24: Package temperature above threshold, cpu clock throttled (total events = 3654)
mce: CPU2: Package temperature/speed normal
mce: CPU26: Package temperature/speed normal
mce: CPU0: Package temperature/speed normal
mce: CPU24: Package temperature/speed normal
~2
""",
    "Older 'mce:'-prefixed throttle messages (code lived under mce/ then). Thousands of events on the package, but it returns to normal: thermal throttling, warning. The 'mce:' prefix is not a machine check.",
    "render-r730-02",
    start=604001.3,
)

case(
    F,
    "syn-thm-004",
    "warning",
    "thermal",
    """
~1
! CPU1: Package temperature is above threshold, cpu clock is throttled (total events = 412)
CPU3: Package temperature is above threshold, cpu clock is throttled (total events = 412)
CPU5: Package temperature is above threshold, cpu clock is throttled (total events = 412)
CPU7: Package temperature is above threshold, cpu clock is throttled (total events = 412)
+300.0
! CPU1: Package temperature is above threshold, cpu clock is throttled (total events = 1187)
CPU3: Package temperature is above threshold, cpu clock is throttled (total events = 1187)
CPU5: Package temperature is above threshold, cpu clock is throttled (total events = 1187)
CPU7: Package temperature is above threshold, cpu clock is throttled (total events = 1187)
~2
""",
    "Sustained package throttling on socket 1 with the event count rising over five minutes and no 'normal' line: cooling is inadequate (fan, airflow, heatsink). Throttling is warning per FORMAT (no shutdown or other fault here).",
    "hpc-c6420-41",
    start=3002122.0,
)

case(
    F,
    "syn-thm-005",
    "warning",
    "thermal",
    """
~1
! <4>CPU20: Core temperature is above threshold, cpu clock is throttled (total events = 9)
<4>CPU68: Core temperature is above threshold, cpu clock is throttled (total events = 9)
<6>CPU20: Core temperature/speed normal
<6>CPU68: Core temperature/speed normal
~2
""",
    "/dev/kmsg records: core throttling on one core (both hyperthreads), recovered: warning.",
    "k8s-node-sr650-19",
    fmt="kmsg",
    start=400123.1,
    gap=(0.01, 2.0),
)

case(
    F,
    "syn-thm-006",
    "warning",
    "thermal",
    """
~2
! CPU9: Package temperature is above threshold, cpu clock is throttled (total events = 88)
CPU33: Package temperature is above threshold, cpu clock is throttled (total events = 88)
+12.0
CPU9: Package temperature/speed normal
CPU33: Package temperature/speed normal
~2
""",
    "dmesg -T form of a package-throttling episode that recovered: warning.",
    "ci-r640-05",
    fmt="dmesg-T",
    start=90223.1,
)

case(
    F,
    "syn-thm-007",
    "warning",
    "thermal",
    """
~2
! CPU0: Package temperature above threshold, cpu clock throttled (total events = 14)
CPU1: Package temperature above threshold, cpu clock throttled (total events = 14)
CPU0: Package temperature/speed normal
CPU1: Package temperature/speed normal
~2
""",
    "Syslog form (older wording) of a short throttling episode: warning.",
    "mon-r230-01",
    fmt="syslog",
    start=1320011.0,
)

# ---------------------------------------------------------------- critical

case(
    F,
    "syn-thm-101",
    "critical",
    "thermal",
    """
~1
CPU4: Package temperature is above threshold, cpu clock is throttled (total events = 2210)
CPU12: Package temperature is above threshold, cpu clock is throttled (total events = 2210)
+30.0
! thermal thermal_zone1: x86_pkg_temp: critical temperature reached, shutting down
! reboot: HARDWARE PROTECTION shutdown (Temperature too high)
reboot: Power down
""",
    "Throttling was not enough: the package reached its critical trip point and the kernel powered the host off (6.x wording): critical.",
    "build-r640-41",
    start=700121.0,
)

case(
    F,
    "syn-thm-102",
    "critical",
    "network thermal",
    """
~2
! ixgbe 0000:02:00.0: Network adapter has been stopped because it has over heated. Restart the computer. If the problem persists, power off the system and replace the adapter
ixgbe 0000:02:00.0 eth2: NIC Link is Down
~3
""",
    "The ixgbe adapter over-heated and the driver stopped it: the NIC is out of service due to temperature. Critical, thermal + network.",
    "nas-x9drh-02",
    start=3002211.0,
)

case(
    F,
    "syn-thm-103",
    "critical",
    "thermal",
    """
~2
! amdgpu 0000:c3:00.0: amdgpu: ERROR: GPU over temperature range(SW CTF) detected!
! amdgpu 0000:c3:00.0: amdgpu: ERROR: System is going to shutdown due to GPU SW CTF!
~2
""",
    "An AMD GPU crossed its software critical thermal fault limit and the driver is shutting the system down: critical, thermal.",
    "mi-render-04",
    start=88012.3,
)

case(
    F,
    "syn-thm-104",
    "critical",
    "thermal",
    """
~3
! thermal thermal_zone0: critical temperature reached (105 C), shutting down
thermal thermal_zone0: critical temperature reached (105 C), shutting down
reboot: Power down
""",
    "Older thermal core wording with the temperature: the ACPI thermal zone hit 105 C and the kernel shut down: critical.",
    "edge-box-12",
    start=51231.0,
)

case(
    F,
    "syn-thm-105",
    "critical",
    "thermal",
    """
~1
CPU0: Core temperature above threshold, cpu clock throttled (total events = 53112)
CPU0: Package temperature above threshold, cpu clock throttled (total events = 53140)
! thermal thermal_zone2: x86_pkg_temp: critical temperature reached, shutting down
reboot: HARDWARE PROTECTION shutdown (Temperature too high)
~1
""",
    "Syslog form: tens of thousands of throttle events, then the critical trip shuts the host down: critical.",
    "colo-r420-07",
    fmt="syslog",
    start=1500999.0,
)

case(
    F,
    "syn-thm-106",
    "critical",
    "thermal",
    """
~2
CPU0: Core temperature is above threshold, cpu clock is throttled (total events = 601)
CPU2: Core temperature is above threshold, cpu clock is throttled (total events = 598)
+90.0
! thermal thermal_zone0: acpitz: critical temperature reached, shutting down
! reboot: HARDWARE PROTECTION shutdown (Temperature too high)
""",
    "dmesg -T form: the ACPI thermal zone (acpitz) reached its critical trip point after sustained throttling and the kernel forced a protective shutdown: critical.",
    "branch-t140-03",
    fmt="dmesg-T",
    start=233012.0,
)
