"""Driver / kernel health: lockups, RCU stalls, oopses, GPU (NVIDIA NVRM, amdgpu)."""

from kit import case

F = "driver"

case(
    F,
    "syn-drv-001",
    "warning",
    "driver",
    """
~2
! watchdog: BUG: soft lockup - CPU#17 stuck for 23s! [kworker/17:2:88121]
Modules linked in: nf_tables bonding tls ipmi_ssif intel_rapl_msr mlx5_ib ib_uverbs mlx5_core mlxfw
CPU: 17 PID: 88121 Comm: kworker/17:2 Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1
Hardware name: Dell Inc. PowerEdge R650/0Y2G81, BIOS 1.10.2 05/08/2023
Workqueue: events free_work
RIP: 0010:__vunmap+0x1a7/0x2c0
Call Trace:
 <IRQ>
 ? watchdog_timer_fn+0x1aa/0x210
 ? __hrtimer_run_queues+0x112/0x2b0
 </IRQ>
 <TASK>
 free_work+0x25/0x40
 process_one_work+0x1c7/0x380
 worker_thread+0x4d/0x380
 kthread+0xd7/0x100
 </TASK>
~3
""",
    "One soft-lockup episode on one CPU (23 s in vunmap), no repeat and no hung tasks in the window: FORMAT rates a single episode warning.",
    "kvm-r650-30",
    start=1800332.0,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-002",
    "warning",
    "driver",
    """
~2
! rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
rcu: 	Tasks blocked on level-0 rcu_node (CPUs 0-15): P41021
	(detected by 3, t=21002 jiffies, g=9281025, q=1883 ncpus=16)
task:kworker/u32:4   state:R  running task     stack:0     pid:41021 ppid:2      flags:0x00004000
Workqueue: events_unbound flush_to_ldisc
Call Trace:
 <TASK>
 __schedule+0x35d/0xa90
 preempt_schedule_irq+0x39/0x70
 </TASK>
~3
""",
    "A single RCU stall report (one task, one grace period) with no repeat: warning per FORMAT (single episode).",
    "ci-r6515-02",
    start=502221.9,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-003",
    "warning",
    "driver",
    """
~2
! ------------[ cut here ]------------
! WARNING: CPU: 3 PID: 1822 at drivers/net/ethernet/mellanox/mlx5/core/en_main.c:3351 mlx5e_close_channels+0x8c/0xa0 [mlx5_core]
Modules linked in: mlx5_ib ib_uverbs ib_core mlx5_core mlxfw psample tls pci_hyperv_intf
CPU: 3 PID: 1822 Comm: NetworkManager Not tainted 5.14.0-362.8.1.el9_3.x86_64 #1
RIP: 0010:mlx5e_close_channels+0x8c/0xa0 [mlx5_core]
Call Trace:
 mlx5e_close_locked+0x4c/0x60 [mlx5_core]
 mlx5e_close+0x3c/0x60 [mlx5_core]
 __dev_close_many+0x9d/0x110
---[ end trace 0000000000000000 ]---
~2
""",
    "A WARN_ON inside the mlx5 driver during interface close; the system continues. A driver warning, not a crash: warning, driver.",
    "ai-ingest-r750-09",
    start=330.1,
    gap=(0.000001, 0.00005),
)

case(
    F,
    "syn-drv-004",
    "warning",
    "driver",
    """
~2
! NVRM: Xid (PCI:0000:3b:00): 31, pid=88211, name=python3, Ch 00000010, intr 00000000. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted @ 0x7f2a_1c400000. Fault is of type FAULT_PDE ACCESS_TYPE_VIRT_READ
~3
""",
    "Single Xid 31 (GPU MMU fault) attributed to a python3 process: usually an application bug but can signal a GPU/driver fault; labelled warning (as in the real dev set), category driver.",
    "gpu-xe8545-21",
    start=603221.4,
)

case(
    F,
    "syn-drv-005",
    "warning",
    "driver",
    """
~2
! NVRM: Xid (PCI:0000:10:1c): 63, pid=1896, Row Remapper: New row marked for remapping, reset gpu to activate.
~3
""",
    "Xid 63: GPU HBM had an ECC-affected row scheduled for remapping; the GPU must be reset to activate it. Degradation to act on at the next drain, warning; GPU counts as driver.",
    "gpu-dgx-a100-07",
    start=1420022.0,
)

case(
    F,
    "syn-drv-006",
    "warning",
    "driver",
    """
~2
! amdgpu 0000:43:00.0: [drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring gfx_0.0.0 timeout, but soft recovered
~4
""",
    "amdgpu job timeout that the driver soft-recovered without a GPU reset: warning, driver.",
    "mi-render-09",
    start=99021.3,
)

case(
    F,
    "syn-drv-007",
    "warning",
    "driver",
    """
~2
! unregister_netdevice: waiting for veth3f2a91c to become free. Usage count = 1
+10.2
unregister_netdevice: waiting for veth3f2a91c to become free. Usage count = 1
~2
""",
    "A leaked netdev reference blocks removal of a container veth (kernel/driver bug, catalogue N9): warning, driver. Not a hardware fault, but the namespace teardown hangs.",
    "k8s-node-r640-08",
    start=2203344.0,
)

case(
    F,
    "syn-drv-008",
    "warning",
    "driver",
    """
~2
! NVRM: Xid (PCI:0000:cb:00): 109, pid=1797828, name=pt_main_thread, Ch 00000008, errorString CTX SWITCH TIMEOUT, Info 0x58005
~3
""",
    "One Xid 109 (context-switch timeout) on a training job: warning (repeats or GSP errors 119/120 would make it critical).",
    "gpu-h100-hgx-11",
    start=870022.2,
)

case(
    F,
    "syn-drv-009",
    "warning",
    "driver",
    """
~1
! pcieport 0000:17:01.0: AER: Corrected error received: 0000:18:00.0
nvidia 0000:18:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
nvidia 0000:18:00.0:   device [10de:20b5] error status/mask=00001000/0000a000
nvidia 0000:18:00.0:    [12] Timeout
~2
pcieport 0000:17:01.0: AER: Corrected error received: 0000:18:00.0
nvidia 0000:18:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
nvidia 0000:18:00.0:   device [10de:20b5] error status/mask=00001000/0000a000
nvidia 0000:18:00.0:    [12] Timeout
~1
pcieport 0000:17:01.0: AER: Corrected error received: 0000:18:00.0
nvidia 0000:18:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
nvidia 0000:18:00.0:   device [10de:20b5] error status/mask=00001000/0000a000
nvidia 0000:18:00.0:    [12] Timeout
~1
""",
    "Corrected PCIe replay timeouts recurring on the link to an A100 GPU: the device is clearly a GPU, so driver; corrected and recurring, warning.",
    "gpu-r750xa-12",
    start=1303002.0,
)

case(
    F,
    "syn-drv-010",
    "warning",
    "driver",
    """
~2
! nvidia 0000:b1:00.0: 16.000 Gb/s available PCIe bandwidth, limited by 2.5 GT/s PCIe x8 link at 0000:b0:02.0 (capable of 252.048 Gb/s with 16.0 GT/s PCIe x16 link)
NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  550.127.05  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Oct  8 04:05:57 UTC 2024
nvidia-modeset: Loading NVIDIA UNIX Open Kernel Mode Setting Driver for x86_64  550.127.05  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Oct  8 04:05:57 UTC 2024
~2
""",
    "The GPU trained at 2.5 GT/s x8 instead of 16 GT/s x16 (riser or seating): degraded link, warning, driver (GPU).",
    "gpu-r750xa-14",
    start=14.2,
    pool="boot",
)

case(
    F,
    "syn-drv-011",
    "warning",
    "driver",
    """
~1
! <0>watchdog: BUG: soft lockup - CPU#4 stuck for 26s! [ksoftirqd/4:36]
<4>Modules linked in: xt_MASQUERADE nf_conntrack_netlink bnxt_en ipmi_si
<4>CPU: 4 PID: 36 Comm: ksoftirqd/4 Not tainted 6.8.0-45-generic #45-Ubuntu
<4>RIP: 0010:_raw_spin_unlock_irqrestore+0x1d/0x50
~3
""",
    "/dev/kmsg records: one soft lockup on one CPU in softirq, no repeat or hung task in the window: single episode, warning.",
    "k8s-node-r6525-40",
    fmt="kmsg",
    start=720442.3,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-012",
    "warning",
    "driver",
    """
~1
! NVRM: Xid (PCI:0000:cb:00): 13, pid='<unknown>', name=<unknown>, Graphics SM Warp Exception on (GPC 7, TPC 7, SM 0): Illegal Instruction Parameter
~2
NVRM: Xid (PCI:0000:cb:00): 13, pid=22019, name=python, Graphics SM Warp Exception on (GPC 2, TPC 1, SM 1): Out Of Range Address
~3
! NVRM: Xid (PCI:0000:cb:00): 13, pid=31544, name=trainer, Graphics SM Warp Exception on (GPC 7, TPC 7, SM 0): Illegal Instruction Parameter
~1
""",
    "Xid 13 recurring on the same GPU across different jobs, twice on the same GPC/TPC/SM: no longer explainable by one buggy application. Warning, driver (contrast with a single Xid 13, which is ok).",
    "gpu-h100-hgx-04",
    start=402111.0,
)

case(
    F,
    "syn-drv-013",
    "warning",
    "driver",
    """
~1
! INFO: task kubelet:2211 blocked for more than 122 seconds.
      Not tainted 5.15.0-105-generic #115-Ubuntu
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
task:kubelet         state:D stack:    0 pid: 2211 ppid:     1 flags:0x00000000
Call Trace:
 <TASK>
 __schedule+0x24e/0x590
 schedule+0x69/0x110
 schedule_preempt_disabled+0xe/0x20
 __mutex_lock.constprop.0+0x267/0x490
 __mutex_lock_slowpath+0x13/0x20
 mutex_lock+0x38/0x50
 rtnl_lock+0x15/0x20
 netlink_dump+0x5c/0x330
 </TASK>
~2
""",
    "A single hung task blocked on the rtnl mutex (not in the I/O path): something held the network config lock for two minutes. Catalogue D1: warning when not in I/O; category driver.",
    "k8s-node-r650-61",
    start=1720031.0,
    gap=(0.000001, 0.00004),
)

# ---------------------------------------------------------------- critical

case(
    F,
    "syn-drv-101",
    "critical",
    "driver",
    """
! watchdog: BUG: soft lockup - CPU#2 stuck for 22s! [kworker/2:1:5512]
+28.0
! watchdog: BUG: soft lockup - CPU#9 stuck for 22s! [java:30122]
+0.4
watchdog: BUG: soft lockup - CPU#31 stuck for 23s! [systemd-journal:802]
+27.6
watchdog: BUG: soft lockup - CPU#2 stuck for 48s! [kworker/2:1:5512]
watchdog: BUG: soft lockup - CPU#9 stuck for 49s! [java:30122]
+50.0
! INFO: task sshd:4411 blocked for more than 120 seconds.
      Not tainted 6.1.0-21-amd64 #1 Debian 6.1.90-1
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
""",
    "Soft lockups recur and spread across CPUs 2, 9 and 31, stuck times growing, and hung tasks follow: FORMAT makes recurring, multi-CPU lockups with hung tasks critical.",
    "app-r6525-17",
    start=3302001.0,
)

case(
    F,
    "syn-drv-102",
    "critical",
    "driver",
    """
~1
! NMI watchdog: Watchdog detected hard LOCKUP on cpu 11
Modules linked in: ipmi_devintf ipmi_msghandler megaraid_sas ixgbe
CPU: 11 PID: 0 Comm: swapper/11 Tainted: G             L    5.4.0-182-generic #202-Ubuntu
RIP: 0010:native_queued_spin_lock_slowpath+0x5b/0x1d0
! Kernel panic - not syncing: Hard LOCKUP
""",
    "A CPU stopped taking interrupts (hard lockup) and the kernel panicked: critical.",
    "db-r630-12",
    start=811002.3,
)

case(
    F,
    "syn-drv-103",
    "critical",
    "driver",
    """
~2
! NVRM: The NVIDIA GPU 0000:b3:00.0
! NVRM: (PCI ID: 10de:26b5) installed in this system has
! NVRM: fallen off the bus and is not responding to commands.
~2
""",
    "The three-line NVRM 'fallen off the bus' record (no Xid): the GPU is unreachable over PCIe. Critical, driver.",
    "gpu-l40s-r760xa-02",
    start=540223.8,
    gap=(0.000001, 0.00001),
)

case(
    F,
    "syn-drv-104",
    "critical",
    "driver",
    """
~2
! NVRM: Xid (PCI:0000:44:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.
NVRM: GPU 0000:44:00.0: GPU has fallen off the bus.
NVRM: GPU 0000:44:00.0: GPU serial number is 1652321045511.
NVRM: A GPU crash dump has been created. If possible, please run
NVRM: nvidia-bug-report.sh as root to collect this data before
NVRM: the NVIDIA kernel module is unloaded.
~2
""",
    "Xid 79: GPU fallen off the bus, with a crash dump: critical, driver.",
    "gpu-dgx-h100-15",
    start=1209931.1,
    gap=(0.000001, 0.00002),
)

case(
    F,
    "syn-drv-105",
    "critical",
    "driver",
    """
~2
! NVRM: Xid (PCI:0000:07:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 3, subpartition 0.
NVRM: Xid (PCI:0000:07:00): 63, pid='<unknown>', name=<unknown>, Row Remapper: New row marked for remapping, reset gpu to activate.
~2
""",
    "Xid 48: uncorrectable double-bit ECC error in GPU memory (NVIDIA marks it drain/critical). Critical, driver.",
    "gpu-dgx-a100-19",
    start=208833.0,
)

case(
    F,
    "syn-drv-106",
    "critical",
    "driver",
    """
~1
! NVRM: Xid (PCI:0000:9d:00): 119, pid=92011, name=python, Timeout after 6s of waiting for RPC response from GPU0 GSP! Expected function 76 (GSP_RM_CONTROL) (0x20800a4c 0x4).
+6.1
NVRM: Xid (PCI:0000:9d:00): 119, pid=92011, name=python, Timeout after 6s of waiting for RPC response from GPU0 GSP! Expected function 76 (GSP_RM_CONTROL) (0x20801348 0x4).
+6.0
! NVRM: Xid (PCI:0000:9d:00): 119, pid=92011, name=python, Timeout after 6s of waiting for RPC response from GPU0 GSP! Expected function 10 (FREE) (0xa55a0050 0x0).
NVRM: GPU0 GSP RPC buffer contains function 76 (GSP_RM_CONTROL) and data 0x0000000020800a4c 0x0000000000000004.
~1
""",
    "Repeated Xid 119 (GSP firmware RPC timeouts) on one GPU: the GPU's firmware processor is not answering. Repeated GSP errors are critical, driver.",
    "gpu-h100-hgx-22",
    start=99002.0,
)

case(
    F,
    "syn-drv-107",
    "critical",
    "driver",
    """
~1
! BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor read access in kernel mode
#PF: error_code(0x0000) - not-present page
PGD 0 P4D 0
! Oops: 0000 [#1] PREEMPT SMP NOPTI
CPU: 6 PID: 1123 Comm: kworker/6:2 Tainted: G           OE      6.5.0-41-generic #41~22.04.2-Ubuntu
Hardware name: Supermicro SYS-1029P-WTR/X11DDW-L, BIOS 3.9 08/22/2023
Workqueue: events bnxt_sp_task [bnxt_en]
RIP: 0010:bnxt_fw_health_check+0x2a/0x90 [bnxt_en]
Call Trace:
 <TASK>
 bnxt_sp_task+0x1a2/0x640 [bnxt_en]
 process_one_work+0x225/0x440
 worker_thread+0x50/0x3f0
 </TASK>
""",
    "Kernel oops (NULL pointer dereference) in the bnxt_en driver's service task: a kernel crash in a driver, critical.",
    "cdn-sys1029-08",
    start=402233.2,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-108",
    "critical",
    "driver",
    """
~1
! BUG: unable to handle kernel NULL pointer dereference at 0000000000000010
IP: [<ffffffffa03b2e41>] megasas_isr_fusion+0x41/0x180 [megaraid_sas]
PGD 0
! Oops: 0000 [#1] SMP
Modules linked in: xfs libcrc32c megaraid_sas tg3 ptp pps_core
CPU: 0 PID: 0 Comm: swapper/0 Not tainted 3.10.0-1160.el7.x86_64 #1
""",
    "Old (3.x) oops wording: NULL pointer dereference in the megaraid_sas interrupt handler. Kernel crash in a driver: critical, driver.",
    "legacy-r720-31",
    start=1900332.1,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-109",
    "critical",
    "driver",
    """
~1
! general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI
CPU: 27 PID: 9112 Comm: irq/172-ice-ens Tainted: G           OE      6.1.0-25-amd64 #1  Debian 6.1.106-3
RIP: 0010:ice_clean_tx_irq+0xe1/0x3a0 [ice]
Call Trace:
 <TASK>
 ice_napi_poll+0x4a/0x6c0 [ice]
 __napi_poll+0x28/0x160
 </TASK>
---[ end trace 0000000000000000 ]---
""",
    "General protection fault (use-after-free poison address) in the ice NIC driver's TX cleanup: kernel crash in a driver, critical.",
    "dpdk-sr650v2-09",
    start=66123.0,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-110",
    "critical",
    "driver",
    """
~1
! kernel BUG at drivers/scsi/mpt3sas/mpt3sas_scsih.c:5212!
! invalid opcode: 0000 [#1] SMP NOPTI
CPU: 40 PID: 1402 Comm: kworker/40:1H Not tainted 5.14.0-427.22.1.el9_4.x86_64 #1
RIP: 0010:_scsih_io_done+0x6c3/0x6d0 [mpt3sas]
""",
    "BUG_ON hit in the mpt3sas driver (kernel BUG at drivers/...): kernel crash in a driver, critical.",
    "hdfs-r740xd-07",
    start=222012.0,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-111",
    "critical",
    "driver",
    """
~1
! amdgpu 0000:c3:00.0: [drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring gfx_0.0.0 timeout, signaled seq=2291812, emitted seq=2291815
amdgpu 0000:c3:00.0: [drm:amdgpu_job_timedout [amdgpu]] *ERROR* Process information: process python3 pid 41122 thread python3 pid 41122
! amdgpu 0000:c3:00.0: amdgpu: GPU reset begin!
amdgpu 0000:c3:00.0: amdgpu: MODE1 reset
amdgpu 0000:c3:00.0: amdgpu: GPU reset(2) failed
~1
""",
    "amdgpu ring timeout led to a GPU reset that failed: the GPU is hung. Critical, driver.",
    "mi-compute-21",
    start=44012.9,
)

case(
    F,
    "syn-drv-112",
    "critical",
    "driver",
    """
~1
! rcu: INFO: rcu_sched self-detected stall on CPU
rcu: 	3-....: (21001 ticks this GP) idle=7e2/1/0x4000000000000002 softirq=882101/882101 fqs=5066
+63.0
! rcu: INFO: rcu_sched self-detected stall on CPU
rcu: 	3-....: (84004 ticks this GP) idle=7e2/1/0x4000000000000002 softirq=882101/882101 fqs=20981
+63.0
rcu: INFO: rcu_sched detected stalls on CPUs/tasks:
rcu: 	3-....: (147007 ticks this GP) idle=7e2/1/0x4000000000000002 softirq=882101/882101 fqs=36870
rcu: 	19-....: (146990 ticks this GP) idle=b10/1/0x4000000000000000 softirq=910223/910224 fqs=36870
watchdog: BUG: soft lockup - CPU#19 stuck for 22s! [nfsd:3321]
""",
    "RCU stalls recur on CPU 3 for minutes, spread to CPU 19 and come with a soft lockup: recurring, multi-CPU: critical.",
    "nfs-r740-06",
    start=1000221.0,
)

case(
    F,
    "syn-drv-113",
    "critical",
    "driver",
    """
~1
! watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kswapd0:118]
+4.0
! Kernel panic - not syncing: softlockup: hung tasks
CPU: 0 PID: 118 Comm: kswapd0 Tainted: G             L     5.15.0-1063-aws #69-Ubuntu
Call Trace:
 <IRQ>
 panic+0x114/0x2ea
 watchdog_timer_fn.cold+0x1c/0x21
 </IRQ>
""",
    "journalctl -k form: soft lockup with softlockup_panic set, the host panicked: critical.",
    "batch-m5-metal-04",
    fmt="journal",
    start=300221.0,
    gap=(0.000001, 0.00004),
)

case(
    F,
    "syn-drv-114",
    "critical",
    "driver",
    """
~1
! pcieport 0000:c0:01.1: AER: Uncorrected (Fatal) error received: 0000:c1:00.0
nvidia 0000:c1:00.0: PCIe Bus Error: severity=Uncorrected (Fatal), type=Inaccessible, (Unregistered Agent ID)
! NVRM: Xid (PCI:0000:c1:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.
NVRM: GPU 0000:c1:00.0: GPU has fallen off the bus.
pcieport 0000:c0:01.1: AER: Root Port link has been reset
pcieport 0000:c0:01.1: AER: device recovery failed
~1
""",
    "Fatal PCIe error on a GPU's link, GPU fallen off the bus, recovery failed: the device is a GPU, so driver; critical.",
    "gpu-r7525-08",
    start=320012.0,
)
