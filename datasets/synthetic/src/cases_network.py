"""Network: NIC drivers (ixgbe, i40e, ice, mlx5, bnxt, e1000e, igb), NETDEV WATCHDOG, PCIe AER on NICs."""

from kit import case

F = "network"

case(
    F,
    "syn-net-001",
    "warning",
    "network",
    """
~2
! ------------[ cut here ]------------
! NETDEV WATCHDOG: eth2 (ixgbe): transmit queue 7 timed out
WARNING: CPU: 14 PID: 0 at net/sched/sch_generic.c:477 dev_watchdog+0x22c/0x240
Modules linked in: xt_conntrack nf_nat ixgbe mdio dca ptp pps_core
CPU: 14 PID: 0 Comm: swapper/14 Not tainted 5.4.0-150-generic #167-Ubuntu
RIP: 0010:dev_watchdog+0x22c/0x240
Call Trace:
 <IRQ>
 call_timer_fn+0x32/0x130
 run_timer_softirq+0x1a5/0x430
 __do_softirq+0xe1/0x2d6
---[ end trace 8a1c4e0b2d6f7a11 ]---
ixgbe 0000:3b:00.0 eth2: initiating reset due to tx timeout
ixgbe 0000:3b:00.0 eth2: Reset adapter
ixgbe 0000:3b:00.0 eth2: NIC Link is Up 10 Gbps, Flow Control: RX/TX
~3
""",
    "Older NETDEV WATCHDOG form (with WARN trace) fires once on ixgbe; the adapter reset and the link came back; no repeat in the window: warning.",
    "lb-r630-04",
    start=2033412.2,
)

case(
    F,
    "syn-net-002",
    "warning",
    "network",
    """
~2
! r8169 0000:05:00.0 enp5s0: NETDEV WATCHDOG: CPU: 6: transmit queue 0 timed out 5320 ms
r8169 0000:05:00.0 enp5s0: rtl_rxtx_empty_cond == 0 (loop: 42, delay: 100).
r8169 0000:05:00.0 enp5s0: Link is Down
+3.1
r8169 0000:05:00.0 enp5s0: Link is Up - 1Gbps/Full - flow control rx/tx
~3
""",
    "6.x NETDEV WATCHDOG form, once, on the onboard Realtek management NIC; driver recovered, link back up: warning.",
    "edge-mini-07",
    start=604122.4,
)

case(
    F,
    "syn-net-003",
    "warning",
    "network",
    """
~2
! e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
  TDH                  <6c>
  TDT                  <8a>
  next_to_use          <8a>
  next_to_clean        <6b>
buffer_info[next_to_clean]:
  time_stamp           <10f2b3c81>
  next_to_watch        <6c>
  jiffies              <10f2b4080>
  next_to_watch.status <0>
MAC Status             <80083>
PHY Status             <796d>
PHY 1000BASE-T Status  <3800>
PHY Extended Status    <3000>
PCI Status             <10>
e1000e 0000:00:1f.6 eno1: Reset adapter unexpectedly
e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx
~2
""",
    "e1000e TX hang with its multi-line register dump, once, followed by an adapter reset and link up: warning.",
    "ipmi-jump-02",
    start=99231.0,
    gap=(0.000001, 0.00005),
)

case(
    F,
    "syn-net-004",
    "warning",
    "network",
    """
~2
! ixgbe 0000:af:00.1 ens2f1: Detected Tx Unit Hang
  Tx Queue             <3>
  TDH, TDT             <1a0>, <1c4>
  next_to_use          <1c4>
  next_to_clean        <1a0>
tx_buffer_info[next_to_clean]
  time_stamp           <1046a2f10>
  jiffies              <1046a3340>
ixgbe 0000:af:00.1 ens2f1: tx hang 1 detected on queue 3, resetting adapter
ixgbe 0000:af:00.1 ens2f1: initiating reset due to tx timeout
ixgbe 0000:af:00.1 ens2f1: Reset adapter
ixgbe 0000:af:00.1 ens2f1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
~3
""",
    "ixgbe TX unit hang on one queue, one adapter reset, link back at 10 Gbps: single episode, warning.",
    "proxy-r740-11",
    start=1720099.3,
    gap=(0.000001, 0.00008),
)

case(
    F,
    "syn-net-005",
    "warning",
    "network",
    """
~1
! i40e 0000:3b:00.0 ens1f0: NIC Link is Down
+4.2
i40e 0000:3b:00.0 ens1f0: NIC Link is Up, 25 Gbps Full Duplex, Requested FEC: CL108 RS-FEC, Negotiated FEC: CL108 RS-FEC, Autoneg: False, Flow Control: None
+61.0
! i40e 0000:3b:00.0 ens1f0: NIC Link is Down
+3.8
i40e 0000:3b:00.0 ens1f0: NIC Link is Up, 25 Gbps Full Duplex, Requested FEC: CL108 RS-FEC, Negotiated FEC: CL108 RS-FEC, Autoneg: False, Flow Control: None
+140.3
i40e 0000:3b:00.0 ens1f0: NIC Link is Down
+5.0
i40e 0000:3b:00.0 ens1f0: NIC Link is Up, 25 Gbps Full Duplex, Requested FEC: CL108 RS-FEC, Negotiated FEC: CL108 RS-FEC, Autoneg: False, Flow Control: None
~2
""",
    "Runtime link flapping: ens1f0 goes down and up three times in four minutes (optic, cable or switch port). Link flapping is warning.",
    "k8s-node-r640-71",
    start=3009122.0,
)

case(
    F,
    "syn-net-006",
    "warning",
    "network",
    """
~2
! mlx5_core 0000:5e:00.0 ens4f0np0: TX timeout detected
mlx5_core 0000:5e:00.0 ens4f0np0: TX timeout on queue: 11, SQ: 0x1a3, CQ: 0x6e1, SQ Cons: 0x2f0 SQ Prod: 0x2f4, usecs since last trans: 17320000
mlx5_core 0000:5e:00.0 ens4f0np0: EQ 0x13: Cons = 0x4e2, irqn = 0x9a
~4
""",
    "mlx5 TX timeout on one queue, recovered by the devlink health reporter (no repeat, no lockup): warning.",
    "ai-storage-r750-02",
    start=1203399.9,
)

case(
    F,
    "syn-net-007",
    "warning",
    "network",
    """
~1
! pcieport 0000:3a:00.0: AER: Corrected error received: 0000:3b:00.0
i40e 0000:3b:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
i40e 0000:3b:00.0:   device [8086:158b] error status/mask=00001000/00002000
i40e 0000:3b:00.0:    [12] Timeout
~2
pcieport 0000:3a:00.0: AER: Corrected error received: 0000:3b:00.0
i40e 0000:3b:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
i40e 0000:3b:00.0:   device [8086:158b] error status/mask=00001000/00002000
i40e 0000:3b:00.0:    [12] Timeout
~1
pcieport 0000:3a:00.0: AER: Corrected error received: 0000:3b:00.0
i40e 0000:3b:00.0: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
i40e 0000:3b:00.0:   device [8086:158b] error status/mask=00001000/00002000
i40e 0000:3b:00.0:    [12] Timeout
! pcieport 0000:3a:00.0: AER: Multiple Corrected error received: 0000:3b:00.0
~1
""",
    "Corrected PCIe replay-timer errors recurring on the link to an XXV710 NIC, now 'Multiple': recurring corrected AER on a NIC is warning, network.",
    "ceph-mon-r640-01",
    start=2099123.4,
)

case(
    F,
    "syn-net-008",
    "warning",
    "network",
    """
~3
! pcieport 0000:00:03.0: AER: Corrected error received: 0000:05:00.0
ixgbe 0000:05:00.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)
ixgbe 0000:05:00.0:   device [8086:10fb] error status/mask=00000001/00002000
ixgbe 0000:05:00.0:    [ 0] RxErr
~3
""",
    "A single corrected PCIe receiver error on the link to an 82599 NIC. Labelled warning following the project's rate rule (one corrected AER = warning; the same recurring is syn-net-007, also warning; escalation to uncorrected is critical, syn-net-108).",
    "nfs-gw-r620-03",
    start=840332.1,
)

case(
    F,
    "syn-net-009",
    "warning",
    "network",
    """
~2
! bnxt_en 0000:3b:00.0 ens3f0np0: TX timeout detected, starting reset task!
bnxt_en 0000:3b:00.0 ens3f0np0: NIC Link is Up, 25000 Mbps (NRZ) full duplex, Flow control: ON - receive & transmit
bnxt_en 0000:3b:00.0 ens3f0np0: FEC autoneg off encoding: Clause 91 RS(528,514)
~3
""",
    "Broadcom bnxt TX timeout triggers one reset; link returns: single episode, warning.",
    "cdn-r6525-13",
    start=501223.3,
)

case(
    F,
    "syn-net-010",
    "warning",
    "network",
    """
~2
! i40e 0000:5e:00.1 ens2f1: tx_timeout: VSI_seid: 391, Q 17, NTC: 0x1a2, HWB: 0x1a2, NTU: 0x1a6, TAIL: 0x1a6, INT: 0x0
! i40e 0000:5e:00.1 ens2f1: tx_timeout recovery level 1, txqueue 17
i40e 0000:5e:00.1: i40e_ptp_stop: removed PHC on ens2f1
i40e 0000:5e:00.1: PF reset finished
i40e 0000:5e:00.1 ens2f1: NIC Link is Up, 10 Gbps Full Duplex, Flow Control: None
~3
""",
    "i40e TX timeout handled at recovery level 1 (PF reset), link back: warning (level 2+ or 'non-recoverable' would be critical).",
    "redis-r640-44",
    start=330201.1,
)

case(
    F,
    "syn-net-011",
    "warning",
    "network",
    """
~2
! mlx5_core 0000:86:00.0: Port module event[error]: module 0, Cable error, High Temperature
mlx5_core 0000:86:00.0 ens6np0: Link down
+12.0
mlx5_core 0000:86:00.0 ens6np0: Link up
~3
""",
    "The mlx5 port reports a transceiver error (module high temperature) and the link bounces once: an optics/cable fault to watch; categorised network (the transceiver), warning.",
    "spark-r7525-22",
    start=760011.2,
)

case(
    F,
    "syn-net-012",
    "warning",
    "network",
    """
~2
! mlx5_core 0000:17:00.0: 63.008 Gb/s available PCIe bandwidth, limited by 8.0 GT/s PCIe x8 link at 0000:16:02.0 (capable of 126.016 Gb/s with 8.0 GT/s PCIe x16 link)
mlx5_core 0000:17:00.0: E-Switch: Total vports 2, per vport: max uc(128) max mc(2048)
mlx5_core 0000:17:00.0: Port module event: module 0, Cable plugged
mlx5_core 0000:17:00.0 ens1np0: Link up
~2
""",
    "The ConnectX NIC trained at x8 instead of x16 (riser or seating): half the PCIe bandwidth. Degraded, warning, network.",
    "ai-ingest-r750-06",
    start=12.4,
    pool="boot",
)

case(
    F,
    "syn-net-013",
    "warning",
    "network",
    """
~1
! <6>ixgbe 0000:01:00.0 eno1: NIC Link is Down
<6>ixgbe 0000:01:00.0 eno1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
! <6>ixgbe 0000:01:00.0 eno1: NIC Link is Down
<6>ixgbe 0000:01:00.0 eno1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
<6>ixgbe 0000:01:00.0 eno1: NIC Link is Down
<6>ixgbe 0000:01:00.0 eno1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
~2
""",
    "/dev/kmsg records of eno1 flapping down/up three times: link flapping, warning.",
    "esx-mig-r630-01",
    fmt="kmsg",
    start=2201333.0,
    gap=(2.0, 40.0),
)

case(
    F,
    "syn-net-014",
    "warning",
    "network",
    """
~2
! bond0: (slave ens1f0): link status definitely down, disabling slave
bond0: (slave ens1f1): making interface the new active one
+8.5
bond0: (slave ens1f0): link status definitely up, 25000 Mbps full duplex
+95.0
! bond0: (slave ens1f0): link status definitely down, disabling slave
+7.9
bond0: (slave ens1f0): link status definitely up, 25000 Mbps full duplex
~2
""",
    "A bond member drops and returns twice in two minutes: link flapping on one port (redundancy kept traffic up), warning.",
    "ovn-gw-r650-02",
    start=1400123.0,
)

case(
    F,
    "syn-net-015",
    "warning",
    "network",
    """
~2
! ice 0000:51:00.0 ens785f0: NETDEV WATCHDOG: CPU: 22: transmit queue 40 timed out 6712 ms
ice 0000:51:00.0 ens785f0: tx_timeout: VSI_num: 3, Q 40, NTC: 0x4d1, HW_HEAD: 0x4d1, NTU: 0x4d9, INT: 0x0
ice 0000:51:00.0 ens785f0: tx_timeout recovery level 1, txqueue 40
ice 0000:51:00.0: PF reset requested
ice 0000:51:00.0 ens785f0: NIC Link is up 100 Gbps Full Duplex, Requested FEC: RS-FEC, Negotiated FEC: RS-FEC, Autoneg Advertised: On, Autoneg Negotiated: False, Flow Control: None
~3
""",
    "Intel E810 (ice): NETDEV WATCHDOG once, level-1 recovery, link back: warning.",
    "dpdk-sr650v2-05",
    start=903322.8,
)

# ---------------------------------------------------------------- critical

case(
    F,
    "syn-net-101",
    "critical",
    "network",
    """
~1
! mlx5_core 0000:3b:00.0 ens1f0np0: NETDEV WATCHDOG: CPU: 5: transmit queue 12 timed out 5204 ms
mlx5_core 0000:3b:00.0 ens1f0np0: TX timeout detected
+5.0
! mlx5_core 0000:3b:00.0 ens1f0np0: NETDEV WATCHDOG: CPU: 5: transmit queue 12 timed out 10216 ms
mlx5_core 0000:3b:00.0 ens1f0np0: TX timeout detected
+5.0
mlx5_core 0000:3b:00.0 ens1f0np0: NETDEV WATCHDOG: CPU: 5: transmit queue 12 timed out 15228 ms
mlx5_core 0000:3b:00.0 ens1f0np0: TX timeout detected
+5.0
mlx5_core 0000:3b:00.0 ens1f0np0: NETDEV WATCHDOG: CPU: 5: transmit queue 12 timed out 20240 ms
mlx5_core 0000:3b:00.0 ens1f0np0: TX timeout detected
+5.0
! mlx5_core 0000:3b:00.0 ens1f0np0: NETDEV WATCHDOG: CPU: 5: transmit queue 12 timed out 25252 ms
mlx5_core 0000:3b:00.0 ens1f0np0: TX timeout detected
~1
""",
    "NETDEV WATCHDOG fires every 5 s on the same queue with the stuck time growing: recovery is not working, the port is not transmitting. Recurring: critical.",
    "k8s-gpu-xe9680-03",
    start=2901244.0,
)

case(
    F,
    "syn-net-102",
    "critical",
    "network",
    """
~2
! mlx5_core 0000:5e:00.0: poll_health:800:(pid 0): device's health compromised - reached miss count
mlx5_core 0000:5e:00.0: print_health_info:420:(pid 0): assert_var[0] 0x00000001
mlx5_core 0000:5e:00.0: print_health_info:420:(pid 0): assert_var[1] 0x00000000
mlx5_core 0000:5e:00.0: print_health_info:423:(pid 0): assert_exit_ptr 0x0069ba08
mlx5_core 0000:5e:00.0: print_health_info:425:(pid 0): assert_callra 0x0069bb14
mlx5_core 0000:5e:00.0: print_health_info:428:(pid 0): fw_ver 16.35.2000
mlx5_core 0000:5e:00.0: print_health_info:430:(pid 0): hw_id 0x0000020d
! mlx5_core 0000:5e:00.0: print_health_info:432:(pid 0): synd 0x7: irisc not responding
mlx5_core 0000:5e:00.0: print_health_info:433:(pid 0): ext_synd 0x8f7a
~1
""",
    "ConnectX-5 firmware stopped responding (health miss count reached, syndrome 0x7 irisc not responding): NIC firmware failure, critical.",
    "hpc-ib-c6525-14",
    start=600123.4,
    gap=(0.000002, 0.00003),
)

case(
    F,
    "syn-net-104",
    "critical",
    "network",
    """
~2
! bnxt_en 0000:d8:00.0 ens5f0np0: Fatal firmware reset event, data1: 0x4d000001, data2: 0x0, min wait 100 ms, max wait 15000 ms
bnxt_en 0000:d8:00.0 ens5f0np0: FW reset in progress during open, rc = -16
+15.2
! bnxt_en 0000:d8:00.0 ens5f0np0: Firmware reset aborted, rc = -110
~3
""",
    "Broadcom NIC firmware raised a fatal reset and the reset aborted with a timeout: the NIC is down. Critical.",
    "ceph-rgw-r7515-03",
    start=433021.5,
)

case(
    F,
    "syn-net-105",
    "critical",
    "network",
    """
~1
i40e 0000:3b:00.1 ens1f1: tx_timeout recovery level 1, txqueue 4
+20.2
! i40e 0000:3b:00.1 ens1f1: tx_timeout recovery level 2, txqueue 4
+20.1
i40e 0000:3b:00.1 ens1f1: tx_timeout recovery level 3, txqueue 4
+20.3
! i40e 0000:3b:00.1 ens1f1: tx_timeout recovery unsuccessful, device is in non-recoverable state.
~1
""",
    "i40e TX timeout recovery escalates from PF to CORE to GLOBAL reset and gives up ('non-recoverable state'): critical.",
    "vpp-r640-18",
    start=1080122.2,
)

case(
    F,
    "syn-net-106",
    "critical",
    "network",
    """
~3
! i40e 0000:18:00.0: Firmware recovery mode detected. Limiting functionality.
i40e 0000:18:00.0: Refer to the Intel(R) Ethernet Adapters and Devices User Guide for details on firmware recovery mode.
i40e 0000:18:00.0: MAC address: 3c:fd:fe:a1:22:90
~3
""",
    "Intel X710 booted in firmware recovery mode (NVM/firmware corrupt): the NIC runs with limited functionality. Critical.",
    "fw-r640-09",
    start=8.77,
    pool="boot",
)

case(
    F,
    "syn-net-107",
    "critical",
    "network",
    """
! ixgbe 0000:04:00.0 eth0: Detected Tx Unit Hang
ixgbe 0000:04:00.0 eth0: tx hang 1 detected on queue 0, resetting adapter
ixgbe 0000:04:00.0 eth0: Reset adapter
+6.0
! ixgbe 0000:04:00.0 eth0: Detected Tx Unit Hang
ixgbe 0000:04:00.0 eth0: tx hang 2 detected on queue 0, resetting adapter
ixgbe 0000:04:00.0 eth0: Reset adapter
+5.9
ixgbe 0000:04:00.0 eth0: Detected Tx Unit Hang
ixgbe 0000:04:00.0 eth0: tx hang 3 detected on queue 0, resetting adapter
ixgbe 0000:04:00.0 eth0: Reset adapter
+6.1
ixgbe 0000:04:00.0 eth0: Detected Tx Unit Hang
ixgbe 0000:04:00.0 eth0: tx hang 4 detected on queue 0, resetting adapter
ixgbe 0000:04:00.0 eth0: Reset adapter
""",
    "ixgbe TX hang and adapter reset every ~6 s, four times: a reset loop, the NIC is not carrying traffic. Critical.",
    "db-proxy-r630-08",
    start=3300122.3,
)

case(
    F,
    "syn-net-108",
    "critical",
    "network",
    """
~1
pcieport 0000:00:03.0: AER: Corrected error received: 0000:05:00.0
pcieport 0000:00:03.0: AER: Multiple Corrected error received: 0000:05:00.0
! pcieport 0000:00:03.0: AER: Uncorrected (Non-Fatal) error received: 0000:05:00.0
ixgbe 0000:05:00.0: PCIe Bus Error: severity=Uncorrected (Non-Fatal), type=Transaction Layer, (Requester ID)
ixgbe 0000:05:00.0:   device [8086:10fb] error status/mask=00004000/00000000
ixgbe 0000:05:00.0:    [14] CmpltTO                (First)
ixgbe 0000:05:00.0: ixgbe_io_error_detected: Adapter removed
! pcieport 0000:00:03.0: AER: device recovery failed
~1
""",
    "Corrected errors escalate to an uncorrected completion timeout on the NIC's link; the adapter is removed and AER recovery failed: critical, network.",
    "nfs-gw-r620-05",
    start=840400.0,
)

case(
    F,
    "syn-net-109",
    "critical",
    "network",
    """
~2
! pcieport 0000:40:01.1: DPC: containment event, status:0x1f01 source:0x0000
pcieport 0000:40:01.1: DPC: unmasked uncorrectable error detected
pcieport 0000:40:01.1: PCIe Bus Error: severity=Uncorrected (Fatal), type=Transaction Layer, (Receiver ID)
pcieport 0000:40:01.1:   device [1022:1483] error status/mask=00040000/00000000
pcieport 0000:40:01.1:    [18] MalfTLP                (First)
! bnxt_en 0000:41:00.0 ens7f0np0: PCI I/O error detected
bnxt_en 0000:41:00.0 ens7f0np0: NIC Link is Down
~2
""",
    "DPC contained a fatal malformed-TLP error on the port of a Broadcom NIC; the NIC lost PCIe access and its link: critical, network.",
    "edge-r7515-11",
    start=1908221.1,
)

case(
    F,
    "syn-net-110",
    "critical",
    "network",
    """
~2
! pcieport 0000:d7:00.0: pciehp: Slot(3): Link Down
! pcieport 0000:d7:00.0: pciehp: Slot(3): Card not present
mlx5_core 0000:d8:00.0: mlx5_wait_for_pages:795:(pid 1211): Skipping wait for vf pages stage
mlx5_core 0000:d8:00.0 ens3np0: Link down
~3
""",
    "Unexpected hotplug Link Down on the slot holding the ConnectX NIC, card no longer present (riser or card failure): the NIC is gone. Critical.",
    "trading-r650-01",
    start=210033.4,
)

case(
    F,
    "syn-net-111",
    "critical",
    "network",
    """
~2
! mlx5_core 0000:3b:00.0: Port module event[error]: module 0, Cable error, Bad or shorted cable/module
mlx5_core 0000:3b:00.0 ens1f0np0: Link down
~3
""",
    "The transceiver reports a bad or shorted cable/module and the link is down: hardware fault on the port, critical.",
    "object-r740xd-17",
    start=1120334.0,
)
