"""ok: hard negatives (alarming-looking routine lines) and plain routine deltas."""

from kit import case

F = "ok"
HN = "Hard negative: "


def ok(cid, body, note, host, **kw):
    case(F, cid, "ok", [], body, note, host, **kw)


ok(
    "syn-ok-001",
    """
~2
ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PC00.RP01.PXSX._DSM.USRG], AE_NOT_FOUND (20221020/psargs-330)
ACPI Error: Aborting method \\_SB.PC00.RP01.PXSX._DSM due to previous error (AE_NOT_FOUND) (20221020/psparse-529)
ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PC00.RP05.PXSX._DSM.USRG], AE_NOT_FOUND (20221020/psargs-330)
ACPI Error: Aborting method \\_SB.PC00.RP05.PXSX._DSM due to previous error (AE_NOT_FOUND) (20221020/psparse-529)
~3
""",
    HN
    + "ACPI BIOS Error / ACPI Error AE_NOT_FOUND are AML bugs in the BIOS tables, printed identically at every boot on every host of this model.",
    "app-r660-03",
    start=2.41,
    pool="boot",
)

ok(
    "syn-ok-002",
    """
~2
microcode: microcode updated early to revision 0x2007006, date = 2023-03-06
[Firmware Bug]: TSC_DEADLINE disabled due to Errata; please update microcode to version: 0x3a (or later)
~1
x86/cpu: SGX disabled by BIOS.
~3
""",
    HN
    + "'[Firmware Bug]: TSC_DEADLINE disabled due to Errata' is a microcode advisory (the timer falls back); 'SGX disabled by BIOS' is a BIOS setting.",
    "legacy-r630-14",
    start=0.0,
    pool="boot",
)

ok(
    "syn-ok-003",
    """
~1
[Firmware Bug]: TSC ADJUST: CPU1: -2863471524 force to 0
[Firmware Bug]: TSC ADJUST: CPU2: -2863471524 force to 0
[Firmware Bug]: TSC ADJUST: CPU3: -2863471524 force to 0
[Firmware Bug]: TSC ADJUST: CPU4: -2863471524 force to 0
~1
smp: Brought up 2 nodes, 48 CPUs
~2
""",
    HN
    + "The BIOS wrote TSC_ADJUST and the kernel forces it back to 0 on each CPU at boot: a firmware quirk the kernel corrects.",
    "batch-s2600-12",
    start=0.31,
    pool="boot",
)

ok(
    "syn-ok-004",
    """
~1
Spectre V1 : Mitigation: usercopy/swapgs barriers and __user pointer sanitization
Spectre V2 : Mitigation: Enhanced / Automatic IBRS
Spectre V2 : Spectre v2 / SpectreRSB mitigation: Filling RSB on context switch
Speculative Store Bypass: Mitigation: Speculative Store Bypass disabled via prctl
MDS: Mitigation: Clear CPU buffers
MDS: Vulnerable: Clear CPU buffers attempted, no microcode
MDS CPU bug present and SMT on, data leak possible. See https://www.kernel.org/doc/html/latest/admin-guide/hw-vuln/mds.html for more details.
MMIO Stale Data: Mitigation: Clear CPU buffers
MMIO Stale Data CPU bug present and SMT on, data leak possible. See https://www.kernel.org/doc/html/latest/admin-guide/hw-vuln/processor_mmio_stale_data.html for more details.
~2
""",
    HN
    + "CPU vulnerability mitigation status at boot. 'bug present ... data leak possible' is security posture, not hardware degradation.",
    "web-r640-22",
    start=0.12,
    pool="boot",
    gap=(0.0, 0.00001),
)

ok(
    "syn-ok-005",
    """
~1
Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!
RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
GDS: Vulnerable: No microcode
~3
""",
    HN
    + "Speculative-execution WARNING lines (eBPF/eIBRS, RETBleed, GDS without microcode) are policy advisories printed at every boot.",
    "ci-r650-08",
    start=0.09,
    pool="boot",
)

ok(
    "syn-ok-006",
    """
~1
EDAC MC: Ver: 3.0.0
EDAC sbridge: Seeking for: PCI ID 8086:2fa0
EDAC sbridge: Seeking for: PCI ID 8086:2f60
EDAC sbridge: Seeking for: PCI ID 8086:2fa8
EDAC MC0: Giving out device to module sb_edac controller Haswell SrcID#0_Ha#0: DEV 0000:7f:12.0 (INTERRUPT)
EDAC MC1: Giving out device to module sb_edac controller Haswell SrcID#1_Ha#0: DEV 0000:ff:12.0 (INTERRUPT)
EDAC sbridge:  Ver: 1.1.2
~2
""",
    HN + "Intel sb_edac loading and registering MC0/MC1 at boot: driver initialisation, no memory error.",
    "hv-r630-07",
    start=18.2,
    pool="boot",
)

ok(
    "syn-ok-007",
    """
~1
MCE: In-kernel MCE decoding enabled.
EDAC MC0: Giving out device to module amd64_edac controller F19h_M10h: DEV 0000:00:18.3 (INTERRUPT)
EDAC amd64: F19h_M10h detected (node 0).
EDAC MC1: Giving out device to module amd64_edac controller F19h_M10h: DEV 0000:00:19.3 (INTERRUPT)
EDAC amd64: F19h_M10h detected (node 1).
RAS: Correctable Errors collector initialized.
~3
""",
    HN
    + "AMD Genoa EDAC and MCE decoder initialisation plus the RAS correctable-errors collector: lines contain 'MCE', 'EDAC MC0' and 'Errors' but are driver init.",
    "analytics-r7625-11",
    start=9.8,
    pool="boot",
)

ok(
    "syn-ok-008",
    """
~1
pcieport 0000:00:01.0: PME: Signaling with IRQ 26
pcieport 0000:00:01.0: AER: enabled with IRQ 26
pcieport 0000:00:01.0: DPC: enabled with IRQ 26
pcieport 0000:00:01.0: DPC: error containment capabilities: Int Msg #0, RPExt+ PoisonedTLP+ SwTrigger+ RP PIO Log 4, DL_ActiveErr+
pcieport 0000:00:03.1: AER: enabled with IRQ 28
GHES: APEI firmware first mode is enabled by APEI bit and WHEA _OSC.
ERST: Error Record Serialization Table (ERST) support is initialized.
pstore: Registered erst as persistent store backend
HEST: Table parsing has been initialized.
~2
""",
    HN
    + "PCIe AER/DPC services and APEI (GHES/ERST/HEST) initialising: 'AER', 'error containment', 'Hardware Error' sources are set up, no error is reported.",
    "db-r7525-02",
    start=3.1,
    pool="boot",
)

ok(
    "syn-ok-009",
    """
~1
ahci 0000:00:17.0: AHCI 0001.0301 32 slots 8 ports 6 Gbps 0xff impl SATA mode
ata1: SATA max UDMA/133 abar m2048@0x92b00000 port 0x92b00100 irq 40
ata2: SATA max UDMA/133 abar m2048@0x92b00000 port 0x92b00180 irq 40
ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
ata2: SATA link down (SStatus 0 SControl 300)
ata3: SATA link down (SStatus 0 SControl 300)
ata4: SATA link down (SStatus 4 SControl 300)
ata5: SATA link down (SStatus 0 SControl 300)
ata6: SATA link down (SStatus 0 SControl 300)
ata1.00: ATA-11: SAMSUNG MZ7L3480HCHQ-00A07, JXTC204Q, max UDMA/133
ata1.00: configured for UDMA/133
~2
""",
    HN + "At boot only port 1 has a disk; 'SATA link down' on the other ports means empty bays.",
    "k8s-node-r650-23",
    start=4.2,
    pool="boot",
)

ok(
    "syn-ok-010",
    """
~1
nvme nvme0: pci function 0000:c3:00.0
nvme nvme1: pci function 0000:c4:00.0
nvme nvme0: missing or invalid SUBNQN field.
nvme nvme1: missing or invalid SUBNQN field.
nvme nvme0: Shutdown timeout set to 8 seconds
nvme nvme0: 64/0/0 default/read/poll queues
nvme nvme1: 64/0/0 default/read/poll queues
 nvme0n1: p1 p2 p3
 nvme1n1:
~2
""",
    HN
    + "'missing or invalid SUBNQN field' is a drive-firmware identity quirk printed at every probe; both drives come up normally.",
    "ceph-osd-r7525-21",
    start=3.7,
    pool="boot",
)

ok(
    "syn-ok-011",
    """
~1
i8042: PNP: No PS/2 controller found.
i8042: Probing ports directly.
i8042: Can't read CTR while initializing i8042
i8042: probe of i8042 failed with error -5
mousedev: PS/2 mouse device common for all mice
~2
""",
    HN + "Headless server without a PS/2 controller: the i8042 probe fails by design.",
    "stor-r740xd-31",
    start=2.9,
    pool="boot",
)

ok(
    "syn-ok-012",
    """
~1
pci 0000:3b:00.0: BAR 6: no space for [mem size 0x00080000 pref]
pci 0000:3b:00.0: BAR 6: failed to assign [mem size 0x00080000 pref]
pci 0000:3b:00.1: BAR 6: no space for [mem size 0x00080000 pref]
pci 0000:3b:00.1: BAR 6: failed to assign [mem size 0x00080000 pref]
pci 0000:00:1c.0: BAR 14: failed to assign [mem size 0x00200000]
~2
""",
    HN
    + "Option-ROM BARs (BAR 6) and a bridge window not assigned at enumeration: harmless on servers that never run the option ROM.",
    "app-r640-51",
    start=1.3,
    pool="boot",
)

ok(
    "syn-ok-013",
    """
~1
pci 0000:5e:00.0: ROM [mem size 0x00100000 pref]: can't assign; no space
pci 0000:5e:00.0: ROM [mem size 0x00100000 pref]: failed to assign
pci 0000:00:1c.4: bridge window [io  size 0x1000]: can't assign; no space
pci 0000:00:1c.4: bridge window [io  size 0x1000]: failed to assign
~2
""",
    HN + "Newer (6.8+) wording of the same boot-time resource assignment messages: no device fails.",
    "ml-r760-04",
    start=1.6,
    pool="boot",
)

ok(
    "syn-ok-014",
    """
~2
audit: type=1400 audit(1764042211.812:1183): apparmor="DENIED" operation="open" class="file" profile="snap.lxd.daemon" name="/proc/sys/kernel/yama/ptrace_scope" pid=20113 comm="lxd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
audit: type=1400 audit(1764042211.814:1184): apparmor="DENIED" operation="capable" class="cap" profile="docker-default" pid=20190 comm="node" capability=21  capname="sys_admin"
audit: type=1334 audit(1764042212.010:1185): prog-id=141 op=UNLOAD
~2
""",
    HN + "AppArmor DENIED and BPF audit records: security policy events, not hardware.",
    "k8s-node-r640-33",
    start=901221.0,
)

ok(
    "syn-ok-015",
    """
~1
usb 1-1.4: new high-speed USB device number 5 using xhci_hcd
usb 1-1.4: New USB device found, idVendor=046b, idProduct=ffb0, bcdDevice= 1.00
usb 1-1.4: Product: Virtual Cdrom Device
usb-storage 1-1.4:1.0: USB Mass Storage device detected
scsi host15: usb-storage 1-1.4:1.0
+61.0
usb 1-1.4: USB disconnect, device number 5
~2
""",
    HN
    + "The BMC attaches and detaches its virtual CD-ROM (AMI virtual media): USB disconnects from a BMC are routine.",
    "hv-x11dpi-02",
    start=1203.3,
)

ok(
    "syn-ok-016",
    """
~1
ixgbe 0000:18:00.0: Multiqueue Enabled: Rx Queue count = 48, Tx Queue count = 48 XDP Queue count = 0
ixgbe 0000:18:00.0: 32.000 Gb/s available PCIe bandwidth (5.0 GT/s PCIe x8 link)
ixgbe 0000:18:00.0: MAC: 2, PHY: 14, SFP+: 3, PN: FFFFFF-0FF
ixgbe 0000:18:00.0: Intel(R) 10 Gigabit Network Connection
ixgbe 0000:18:00.0 eno1: renamed from eth0
ixgbe 0000:18:00.0 eno1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
IPv6: ADDRCONF(NETDEV_CHANGE): eno1: link becomes ready
~2
""",
    HN + "NIC probe and 'NIC Link is Up' at boot (the 82599 runs at its full 5 GT/s x8): normal bring-up.",
    "web-r640-09",
    start=6.2,
    pool="boot",
)

ok(
    "syn-ok-017",
    """
~1
mlx5_core 0000:5e:00.0: firmware version: 22.39.1002
mlx5_core 0000:5e:00.0: 252.048 Gb/s available PCIe bandwidth (16.0 GT/s PCIe x16 link)
mlx5_core 0000:5e:00.0: Port module event: module 0, Cable plugged
mlx5_core 0000:5e:00.0: mlx5_pcie_event:301:(pid 1021): PCIe slot advertised sufficient power (75W).
mlx5_core 0000:5e:00.0 ens1f0np0: renamed from eth0
mlx5_core 0000:5e:00.0 ens1f0np0: Link up
bnxt_en 0000:18:00.0 eno8303: NIC Link is Up, 1000 Mbps full duplex, Flow control: none
bnxt_en 0000:18:00.0 eno8303: EEE is not active
~2
""",
    HN + "mlx5 and bnxt bring-up at boot: cable plugged, link up, sufficient slot power.",
    "ai-storage-r750-11",
    start=7.9,
    pool="boot",
)

ok(
    "syn-ok-018",
    """
~1
java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
CPU: 11 PID: 48210 Comm: java Not tainted 6.1.0-26-amd64 #1  Debian 6.1.112-1
Hardware name: Dell Inc. PowerEdge R640/0H28RR, BIOS 2.19.1 06/05/2023
Call Trace:
 <TASK>
 dump_stack_lvl+0x44/0x5c
 dump_header+0x4a/0x211
 oom_kill_process.cold+0xb/0x10
 out_of_memory+0x1fd/0x4c0
 __alloc_pages_slowpath.constprop.0+0xcc1/0xdf0
 __alloc_pages+0x305/0x330
 </TASK>
Mem-Info:
active_anon:15927581 inactive_anon:215661 isolated_anon:0
oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0-1,global_oom,task_memcg=/system.slice/app.service,task=java,pid=48210,uid=1001
Out of memory: Killed process 48210 (java) total-vm:71228812kB, anon-rss:63712312kB, file-rss:0kB, shmem-rss:0kB, UID:1001 pgtables:125580kB oom_score_adj:0
oom_reaper: reaped process 48210 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
""",
    HN
    + "OOM killer with a call trace and memory dump: software memory pressure (an application outgrew the host), not a hardware fault. FORMAT: OOM kills are ok.",
    "app-r640-27",
    start=1402231.0,
    gap=(0.000001, 0.00005),
)

ok(
    "syn-ok-019",
    """
~2
Memory cgroup out of memory: Killed process 3121 (python3) total-vm:9022112kB, anon-rss:4188012kB, file-rss:12116kB, shmem-rss:0kB, UID:0 pgtables:8412kB oom_score_adj:983
~2
Memory cgroup out of memory: Killed process 3390 (python3) total-vm:9022112kB, anon-rss:4191004kB, file-rss:12004kB, shmem-rss:0kB, UID:0 pgtables:8416kB oom_score_adj:983
~2
""",
    HN
    + "A container keeps hitting its memory cgroup limit and is OOM-killed: a workload sizing problem, not hardware.",
    "k8s-node-r6525-15",
    start=2302211.0,
)

ok(
    "syn-ok-020",
    """
~2
TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.
~2
TCP: request_sock_TCPv6: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.
~2
""",
    HN + "SYN-flood cookie messages: traffic/firewall events, not NIC hardware.",
    "edge-lb-r650-02",
    start=1800332.0,
)

ok(
    "syn-ok-021",
    """
~1
nf_conntrack: nf_conntrack: table full, dropping packet
nf_conntrack: nf_conntrack: table full, dropping packet
nf_conntrack: nf_conntrack: table full, dropping packet
net_ratelimit: 912 callbacks suppressed
nf_conntrack: nf_conntrack: table full, dropping packet
~2
""",
    HN + "Connection-tracking table full: a sizing/configuration issue (nf_conntrack_max), not hardware.",
    "nat-gw-r640-01",
    start=702331.0,
)

ok(
    "syn-ok-022",
    """
~3
NVRM: Xid (PCI:0000:3b:00): 13, pid=71122, name=python3, Graphics SM Warp Exception on (GPC 4, TPC 2, SM 1): Out Of Range Address
NVRM: Xid (PCI:0000:3b:00): 13, pid=71122, name=python3, Graphics Exception: ESR 0x525648=0x102000e 0x525650=0x0 0x525644=0xd3eff2 0x52564c=0x17f
~3
""",
    HN
    + "Judgement call: one Xid 13 event (a warp exception and its ESR detail line) from one user process, an out-of-range access by the application's kernel; nothing else on the GPU. Xid 13 is usually an application bug; labelled ok. Recurrence across jobs is warning (syn-drv-012).",
    "gpu-xe8545-09",
    start=330221.0,
)

ok(
    "syn-ok-023",
    """
~3
perf: interrupt took too long (2503 > 2500), lowering kernel.perf_event_max_sample_rate to 79750
~2
perf: interrupt took too long (3142 > 3128), lowering kernel.perf_event_max_sample_rate to 63500
~2
""",
    HN + "perf self-throttling its sample rate: a latency hint from the profiler, not a fault.",
    "db-r650-19",
    start=88122.0,
)

ok(
    "syn-ok-024",
    """
~3
hrtimer: interrupt took 21394 ns
~4
""",
    HN + "'hrtimer: interrupt took N ns' is printed once per boot as a latency hint.",
    "hv-r6525-33",
    start=40211.0,
)

ok(
    "syn-ok-025",
    """
~2
workqueue: ib_cache_event_task [ib_core] hogged CPU for >10000us 4 times, consider switching to WQ_UNBOUND
workqueue: drm_fb_helper_damage_work hogged CPU for >10000us 8 times, consider switching to WQ_UNBOUND
~2
""",
    HN + "Newer kernels report work items that ran long: a performance hint to developers, not a lockup.",
    "ai-node-r760xa-03",
    start=1203.5,
)

ok(
    "syn-ok-026",
    """
Hypervisor detected: KVM
kvm-clock: Using msrs 4b564d01 and 4b564d00
~2
clocksource: timekeeping watchdog on CPU3: Marking clocksource 'tsc' as unstable because the skew is too large:
clocksource:                       'kvm-clock' wd_nsec: 511969774 wd_now: 2b1c8e7a1 wd_last: 28fe1a2b0 mask: ffffffffffffffff
clocksource:                       'tsc' cs_nsec: 523881201 cs_now: 9a1c0e21e1 cs_last: 99f1a0c3b1 mask: ffffffffffffffff
tsc: Marking TSC unstable due to clocksource watchdog
clocksource: Switched to clocksource kvm-clock
~2
""",
    HN
    + "In a KVM guest the TSC is marked unstable and the clock falls back to kvm-clock: normal under host contention, not hardware degradation.",
    "vm-ci-runner-21",
    start=0.0,
    pool="boot",
    gap=(0.000001, 0.3),
)

ok(
    "syn-ok-027",
    """
~1
EXT4-fs (md0): mounted filesystem 3b6e1c2a-7f21-4c6a-9d0b-1f3e0a7c9b21 ro with ordered data mode. Quota mode: none.
~2
EXT4-fs (md0): re-mounted 3b6e1c2a-7f21-4c6a-9d0b-1f3e0a7c9b21 r/w. Quota mode: none.
XFS (dm-1): Mounting V5 Filesystem 9c2d1e4f-0a1b-4c3d-8e7f-6a5b4c3d2e1f
XFS (dm-1): Ending clean mount
~2
""",
    HN
    + "The root filesystem is mounted read-only by the initramfs and remounted r/w; XFS mounts cleanly. 'ro' at early boot is not a forced read-only remount.",
    "files-r540-11",
    start=5.4,
    pool="boot",
)

ok(
    "syn-ok-028",
    """
~1
ccp 0000:46:00.1: ccp: unable to access the device: you might be running a broken BIOS.
ccp 0000:46:00.1: ccp initialization failed
ccp 0000:46:00.1: psp enabled
~2
""",
    HN
    + "'ccp initialization failed' on AMD EPYC: the crypto co-processor is not exposed by this BIOS; routine and constant across the model.",
    "kvm-r7525-18",
    start=11.2,
    pool="boot",
)

ok(
    "syn-ok-029",
    """
~2
kauditd_printk_skb: 35 callbacks suppressed
~2
net_ratelimit: 14 callbacks suppressed
~2
""",
    HN
    + "'callbacks suppressed' with no signal beside it: the rate limiter hid repeats of routine audit/network messages, not of an error.",
    "k8s-node-r650-44",
    start=2020113.0,
)

ok(
    "syn-ok-030",
    """
~1
mpt3sas version 43.100.00.00 loaded
mpt3sas_cm0: 64 BIT PCI BUS DMA ADDRESSING SUPPORTED, total mem (394832196 kB)
mpt3sas_cm0: CurrentHostPageSize is 0: Setting default host page size to 4k
mpt3sas_cm0: sending message unit reset !!
mpt3sas_cm0: message unit reset: SUCCESS
mpt3sas_cm0: LSISAS3008: FWVersion(16.00.12.00), ChipRevision(0x02), BiosVersion(08.37.00.00)
mpt3sas_cm0: Protocol=(Initiator,Target), Capabilities=(TLR,EEDP,Snapshot Buffer,Diag Trace Buffer,Task Set Full,NCQ)
~2
""",
    HN + "mpt3sas initialisation: the message-unit reset at probe is part of every boot and succeeds.",
    "hdfs-r740xd-52",
    start=4.0,
    pool="boot",
)

ok(
    "syn-ok-031",
    """
~1
ipmi_si dmi-ipmi-si.0: ipmi_platform: probing via SMBIOS
ipmi_si: Adding SMBIOS-specified kcs state machine
ipmi_si dmi-ipmi-si.0: The BMC does not support clearing the recv irq bit, compensating, but the BMC needs to be fixed.
ipmi_si dmi-ipmi-si.0: IPMI kcs interface initialized
~2
""",
    HN + "BMC quirk reported by ipmi_si at every boot on this model; the interface initialises.",
    "stor-x11dpu-11",
    start=14.1,
    pool="boot",
)

ok(
    "syn-ok-032",
    """
~1
platform regulatory.0: Direct firmware load for regulatory.db failed with error -2
cfg80211: failed to load regulatory.db
~1
bnx2x 0000:01:00.0: msix capability found
~2
""",
    HN
    + "Optional firmware probe for the wireless regulatory database on a server without Wi-Fi: 'failed with error -2' means the file is absent, nothing depends on it.",
    "legacy-r620-30",
    start=9.2,
    pool="boot",
)

ok(
    "syn-ok-033",
    """
~1
Unknown kernel command line parameters "nomodeset crashkernel=512M", will be passed to user space.
~1
x86/cpu: VMX (outside TXT) disabled by BIOS
~3
""",
    HN + "Command-line hygiene and a BIOS virtualisation setting at boot.",
    "db-r650-03",
    start=0.0,
    pool="boot",
)

ok(
    "syn-ok-034",
    """
~1
NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.
watchdog: Delayed init of the lockup detector skipped
~3
""",
    HN + "Lockup detector initialisation: contains 'NMI watchdog' but reports no lockup.",
    "k8s-node-r640-02",
    start=0.4,
    pool="boot",
)

ok(
    "syn-ok-035",
    """
~1
CPU0: Thermal monitoring enabled (TM1)
thermal LNXTHERM:00: registered as thermal_zone0
ACPI: thermal: Thermal Zone [TZ00] (28 C)
intel_rapl_common: Found RAPL domain package
intel_rapl_common: Found RAPL domain dram
intel_rapl_common: RAPL package-0 domain package locked by BIOS
~2
""",
    HN + "Thermal monitoring and RAPL power-capping drivers initialise; the thermal zone reads 28 C.",
    "web-r650-40",
    start=2.2,
    pool="boot",
)

ok(
    "syn-ok-036",
    """
~2
md: data-check of RAID array md127
+21600.0
md: md127: data-check done.
~2
""",
    HN + "The monthly scheduled md data-check starts and finishes with no errors.",
    "backup-sr650-09",
    start=604011.0,
)

ok(
    "syn-ok-037",
    """
~2
IPv4: martian source 10.20.0.255 from 10.20.0.17, on dev bond0.120
ll header: 00000000: ff ff ff ff ff ff 0c c4 7a 1f 22 31 08 00
IPv4: martian source 10.20.0.255 from 10.20.0.18, on dev bond0.120
ll header: 00000000: ff ff ff ff ff ff 0c c4 7a 1f 22 32 08 00
~2
""",
    HN + "Martian-source logging: a routing/addressing configuration artefact, not NIC hardware.",
    "ovn-gw-r650-05",
    start=1203331.0,
)

ok(
    "syn-ok-038",
    """
~1
integrity: Loading X.509 certificate: UEFI:db
integrity: Loaded X.509 cert 'Microsoft Corporation UEFI CA 2011: 13adbf4309bd82709c8cd54f316ed522988a1bd4'
integrity: Problem loading X.509 certificate -65
integrity: Error adding keys to platform keyring UEFI:db
~2
""",
    HN + "A malformed UEFI db certificate skipped at boot: secure-boot keyring housekeeping.",
    "kvm-r650-08",
    start=1.9,
    pool="boot",
)

ok(
    "syn-ok-039",
    """
~1
x86/split lock detection: #AC: crashing the kernel on kernel split_locks and warning on user-space split_locks
~2
x86/split lock detection: #AC: java/41122 took a split_lock trap at address: 0x7f1c2a0b3e10
~2
""",
    HN
    + "Split-lock detection enabled at boot and one user-space split lock (a performance bug in the application).",
    "app-r760-12",
    start=0.05,
    pool="boot",
    fgap=(0.01, 50.0),
)

ok(
    "syn-ok-040",
    """
~1
nvidia: module license 'NVIDIA' taints kernel.
Disabling lock debugging due to kernel taint
nvidia: module verification failed: signature and/or required key missing - tainting kernel
nvidia-nvlink: Nvlink Core is being initialized, major device number 508
NVRM: loading NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024
nvidia-uvm: Loaded the UVM driver, major device number 506.
~2
""",
    HN
    + "Loading the proprietary NVIDIA driver taints the kernel and prints signature warnings: expected on GPU nodes.",
    "gpu-r750xa-22",
    start=12.1,
    pool="boot",
)

ok(
    "syn-ok-041",
    """
~1
DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x000000006ef9c000-0x000000006ef9efff], contact BIOS vendor for fixes
DMAR-IR: Enabled IRQ remapping in x2apic mode
pmd_set_huge: Cannot satisfy [mem 0x80000000-0x80200000] with a huge-page mapping due to MTRR override.
mtrr: your CPUs had inconsistent variable MTRR settings
~2
""",
    HN + "BIOS table quirks (RMRR, MTRR) reported at boot, constant on this hardware model.",
    "app-dl360-14",
    start=0.6,
    pool="boot",
)

ok(
    "syn-ok-042",
    """
~1
ERST: Failed to get Error Log Address Range.
APEI: Can not request [mem 0x7f6be018-0x7f6be067] for APEI EINJ Trigger registers
acpi_power_meter: Ignoring unsafe software power cap!
ACPI Warning: SystemIO range 0x0000000000000500-0x000000000000057F conflicts with OpRegion 0x0000000000000500-0x0000000000000563 (\\GPIO) (20210730/utaddress-204)
~2
""",
    HN
    + "APEI/ACPI boot messages that contain 'Failed', 'Can not request' and 'Warning': firmware table quirks, no error record.",
    "legacy-dl380g9-11",
    start=2.7,
    pool="boot",
)

ok(
    "syn-ok-043",
    """
~1
i40e 0000:3b:00.0: fw 8.5.67516 api 1.15 nvm 8.50 0x8000b6f3 1.3106.0 [8086:158b] [8086:0001]
i40e 0000:3b:00.0: The driver for the device detected a newer version of the NVM image v1.15 than expected v1.9. Please install the most recent version of the network driver.
i40e 0000:3b:00.0: MAC address: 40:a6:b7:21:0c:90
i40e 0000:3b:00.0: PCI-Express: Speed 8.0GT/s Width x8
i40e 0000:3b:00.0 ens1f0: NIC Link is Up, 25 Gbps Full Duplex, Requested FEC: CL108 RS-FEC, Negotiated FEC: CL108 RS-FEC, Autoneg: False, Flow Control: None
~2
""",
    HN
    + "i40e driver/NVM version advisory ('newer version of the NVM image ... than expected') at probe; the link comes up normally.",
    "ceph-mon-r640-04",
    start=7.3,
    pool="boot",
)

ok(
    "syn-ok-044",
    """
~1
sd 15:0:0:0: [sdq] No Caching mode page found
sd 15:0:0:0: [sdq] Assuming drive cache: write through
sd 15:0:0:0: [sdq] Attached SCSI removable disk
~1
sr 16:0:0:0: [sr0] scsi3-mmc drive: 0x/0x cd/rw xa/form2 cdda tray
~2
""",
    HN
    + "BMC virtual media presenting a removable disk and CD-ROM: 'No Caching mode page found' is normal for these devices.",
    "hv-r740-51",
    start=19.1,
    pool="boot",
)

ok(
    "syn-ok-045",
    """
~1
pcieport 0000:00:1c.0: pciehp: Slot #8 AttnBtn- PwrCtrl- MRL- AttnInd- PwrInd- HotPlug+ Surprise+ Interlock- NoCompl+ IbPresDis- LLActRep+
pcieport 0000:00:1c.4: pciehp: Slot #12 AttnBtn- PwrCtrl- MRL- AttnInd- PwrInd- HotPlug+ Surprise+ Interlock- NoCompl+ IbPresDis- LLActRep+
~3
""",
    HN + "pciehp describing hot-plug slot capabilities at boot; no link event.",
    "nvme-r7525-30",
    start=2.3,
    pool="boot",
)

ok(
    "syn-ok-046",
    """
~1
Hardware name: Supermicro SYS-2029U-TN24R4T/X11DPU, BIOS 3.8a 11/21/2022
tsc: Fast TSC calibration using PIT
tsc: Detected 2100.000 MHz processor
~1
x86/fpu: Supporting XSAVE feature 0x002: 'SSE registers'
x86/fpu: Enabled xstate features 0x2e7, context size is 2440 bytes, using 'compacted' format.
~3
""",
    "Plain early-boot lines (DMI, TSC calibration, FPU features): nothing notable.",
    "stor-x11dpu-14",
    start=0.0,
    pool="boot",
    gap=(0.0, 0.00002),
)

ok(
    "syn-ok-047",
    """
~12
""",
    "Routine runtime delta on a container host: veth/bridge churn, loop devices, netfilter modules. Nothing notable.",
    "k8s-node-r650-09",
    start=801223.0,
)

ok(
    "syn-ok-048",
    """
~4
EXT4-fs (dm-5): mounted filesystem with ordered data mode. Opts: (null)
~3
EXT4-fs (dm-5): unmounting filesystem.
~2
""",
    "A volume mounted and unmounted (older ext4 wording 'Opts: (null)'): routine.",
    "vm-host-r630-17",
    start=330222.0,
)

ok(
    "syn-ok-049",
    """
~10
""",
    "Routine early boot sequence: subsystem registration, nothing notable.",
    "db-r750-31",
    start=0.51,
    pool="boot",
)

ok(
    "syn-ok-050",
    """
~2
usb 1-1: new high-speed USB device number 2 using xhci_hcd
usb 1-1: New USB device found, idVendor=0557, idProduct=2419, bcdDevice= 1.00
hid-generic 0003:0557:2419.0001: input,hidraw0: USB HID v1.00 Keyboard [ATEN CS1716i] on usb-0000:00:14.0-1/input0
hid-generic 0003:0557:2419.0002: input,hidraw1: USB HID v1.00 Mouse [ATEN CS1716i] on usb-0000:00:14.0-1/input1
~2
""",
    "A KVM switch keyboard/mouse enumerated: routine.",
    "colo-r440-09",
    start=5.8,
    pool="boot",
)

ok(
    "syn-ok-051",
    """
~3
ACPI BIOS Error (bug): Failure creating named object [\\_SB.PCI0.XHC.RHUB.HS01._UPC], AE_ALREADY_EXISTS (20220331/dswload2-326)
ACPI Error: AE_ALREADY_EXISTS, During name lookup/catalog (20220331/psobject-220)
~3
""",
    HN
    + "dmesg -T form: ACPI BIOS Error AE_ALREADY_EXISTS (duplicate object in the BIOS tables), printed at every boot.",
    "edge-box-21",
    fmt="dmesg-T",
    start=1.1,
    pool="boot",
)

ok(
    "syn-ok-052",
    """
~2
Out of memory: Killed process 1822 (node) total-vm:3302112kB, anon-rss:1802212kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4420kB oom_score_adj:0
oom_reaper: reaped process 1822 (node), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
~2
""",
    HN + "Syslog form of an OOM kill: software, ok.",
    "web-r230-04",
    fmt="syslog",
    start=900221.0,
)

ok(
    "syn-ok-053",
    """
~1
<4>ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0.SAT0.PRT4._GTF.DSSP], AE_NOT_FOUND (20210730/psargs-330)
<3>ACPI Error: Aborting method \\_SB.PCI0.SAT0.PRT4._GTF due to previous error (AE_NOT_FOUND) (20210730/psparse-529)
<6>ata5: SATA link down (SStatus 0 SControl 300)
<6>ata6: SATA link down (SStatus 0 SControl 300)
~2
""",
    HN
    + "/dev/kmsg records at boot: ACPI AE_NOT_FOUND in a SATA port method and empty SATA ports; priorities 3/4 (err/warning) do not make them faults.",
    "nas-c246-11",
    fmt="kmsg",
    start=3.3,
    pool="boot",
    seq0=612,
)

ok(
    "syn-ok-054",
    """
~2
TCP: request_sock_TCP: Possible SYN flooding on port 8443. Sending cookies.  Check SNMP counters.
~2
""",
    HN + "journalctl -k form of a SYN-flood cookies message: network traffic event, not hardware.",
    "api-gw-r650-07",
    fmt="journal",
    start=1203001.0,
)

ok(
    "syn-ok-055",
    """
~2
kvm_intel: L1TF CPU bug present and SMT on, data leak possible. See CVE-2018-3646 and https://www.kernel.org/doc/html/latest/admin-guide/hw-vuln/l1tf.html for details.
~2
""",
    HN
    + "journalctl -k form: KVM warns about L1TF with SMT on when the first VM starts: security posture, not a fault.",
    "hv-r640-61",
    fmt="journal",
    start=1800.2,
)

ok(
    "syn-ok-056",
    """
~1
EXT4-fs (sdb1): warning: checktime reached, running e2fsck is recommended
EXT4-fs (sdb1): mounted filesystem with ordered data mode. Opts: (null)
~3
""",
    HN
    + "ext4 maintenance reminder (time-based fsck interval passed): contains 'warning' and 'e2fsck' but reports no error.",
    "legacy-r610-05",
    start=11.8,
    pool="boot",
)

ok(
    "syn-ok-057",
    """
~1
sd 0:0:0:0: [sda] 7501476528 512-byte logical blocks: (3.84 TB/3.49 TiB)
sd 0:0:0:0: [sda] 4096-byte physical blocks
sd 0:0:0:0: [sda] Write Protect is off
sd 0:0:0:0: [sda] Mode Sense: 9b 00 10 08
sd 0:0:0:0: [sda] Write cache: enabled, read cache: enabled, supports DPO and FUA
 sda: sda1 sda2
sd 0:0:0:0: [sda] Attached SCSI disk
~2
""",
    "A SAS SSD attaching at boot: routine.",
    "db-r740-44",
    start=5.1,
    pool="boot",
)

ok(
    "syn-ok-058",
    """
~1
hpwdt 0000:01:00.0: HPE Watchdog Timer Driver: Version: 2.0.4
hpwdt 0000:01:00.0: timeout: 30 seconds (nowayout=0)
hpwdt 0000:01:00.0: pretimeout: on.
iTCO_vendor_support: vendor-support=0
~2
""",
    HN + "Hardware watchdog drivers loading: the word 'Watchdog' without any timeout event.",
    "app-dl380-12",
    start=15.3,
    pool="boot",
)

ok(
    "syn-ok-059",
    """
~1
acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM Segments MSI EDR HPX-Type3]
acpi PNP0A08:00: _OSC: platform does not support [AER LTR]
acpi PNP0A08:00: _OSC: OS now controls [PCIeHotplug PME PCIeCapability]
acpi PNP0A08:00: FADT indicates ASPM is unsupported, using BIOS configuration
~2
""",
    HN
    + "_OSC negotiation at boot: the platform keeps AER for firmware-first handling. 'does not support [AER]' is configuration, not an error.",
    "app-dl360-33",
    start=1.4,
    pool="boot",
)

ok(
    "syn-ok-060",
    """
~1
bonding: bond0 is being created...
bond0: (slave eno1): Enslaving as a backup interface with a down link
bond0: (slave eno2): Enslaving as a backup interface with a down link
ixgbe 0000:18:00.0 eno1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
bond0: (slave eno1): link status definitely up, 10000 Mbps full duplex
ixgbe 0000:18:00.1 eno2: NIC Link is Up 10 Gbps, Flow Control: RX/TX
bond0: (slave eno2): link status definitely up, 10000 Mbps full duplex
bond0: active interface up!
~2
""",
    HN
    + "Bond creation at boot: members are enslaved 'with a down link' before autonegotiation finishes, then come up. Not link flapping.",
    "db-r640-18",
    start=9.7,
    pool="boot",
    gap=(0.0001, 1.5),
)

ok(
    "syn-ok-061",
    """
~1
EDAC MC0: Giving out device to module i10nm_edac controller Intel_10nm Socket#0 IMC#0: DEV 0000:7e:0c.0 (INTERRUPT)
EDAC MC1: Giving out device to module i10nm_edac controller Intel_10nm Socket#0 IMC#1: DEV 0000:7e:0d.0 (INTERRUPT)
EDAC MC2: Giving out device to module i10nm_edac controller Intel_10nm Socket#1 IMC#0: DEV 0000:fe:0c.0 (INTERRUPT)
EDAC MC3: Giving out device to module i10nm_edac controller Intel_10nm Socket#1 IMC#1: DEV 0000:fe:0d.0 (INTERRUPT)
EDAC i10nm: v0.0.5
~2
""",
    HN + "Syslog form: i10nm_edac registering four memory controllers at boot; no CE/UE counts.",
    "db-r750-36",
    fmt="syslog",
    start=21.9,
    pool="boot",
)

ok(
    "syn-ok-062",
    """
~1
nvme nvme2: Ignoring bogus Namespace Identifiers
nvme nvme2: 32/0/0 default/read/poll queues
 nvme2n1: p1
~2
""",
    HN
    + "'Ignoring bogus Namespace Identifiers' is a drive-firmware quirk at probe; the drive attaches normally.",
    "edge-r350-04",
    start=3.9,
    pool="boot",
)
