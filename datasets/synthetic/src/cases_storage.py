"""Storage: NVMe, ATA, SCSI/SAS, block layer, filesystems, md, hung I/O."""

from kit import case

F = "storage"

case(
    F,
    "syn-sto-001",
    "warning",
    "storage",
    """
~3
! nvme nvme0: I/O 721 QID 9 timeout, aborting
nvme nvme0: Abort status: 0x0
~4
""",
    "A single NVMe I/O timeout; the abort succeeded (status 0x0) and no reset, error or removal follows: one timeout that recovered, warning.",
    "db-r750-07",
    start=604411.3,
    gap=(0.3, 0.6),
)

case(
    F,
    "syn-sto-002",
    "warning",
    "storage",
    """
~2
! nvme nvme1: I/O 0 QID 0 timeout, reset controller
+1.2
nvme nvme1: Shutdown timeout set to 10 seconds
nvme nvme1: 64/0/0 default/read/poll queues
~4
""",
    "One admin-queue timeout escalated to a controller reset, and the reset came back (queues re-created); nothing recurs in the window: a single recovered timeout, warning.",
    "kafka-r6525-15",
    start=1309923.4,
)

case(
    F,
    "syn-sto-003",
    "warning",
    "storage",
    """
~2
ata4.00: exception Emask 0x0 SAct 0x40000 SErr 0x0 action 0x6 frozen
! ata4.00: failed command: WRITE FPDMA QUEUED
ata4.00: cmd 61/08:90:18:2e:a1/00:00:2b:00:00/40 tag 18 ncq dma 4096 out
!          res 40/00:00:00:00:00/00:00:00:00:00/00 Emask 0x4 (timeout)
ata4.00: status: { DRDY }
ata4: hard resetting link
ata4: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
ata4.00: configured for UDMA/133
ata4.00: device reported invalid CHS sector 0
! ata4: EH complete
~3
""",
    "One NCQ write timed out, libata reset the link, the disk came back at full speed and EH completed: a single timeout that recovered, warning.",
    "backup-r540-03",
    start=83221.7,
)

case(
    F,
    "syn-sto-004",
    "warning",
    "storage",
    """
~2
ata2: SError: { 10B8B Dispar BadCRC }
ata2.00: exception Emask 0x10 SAct 0x200 SErr 0x280100 action 0x6 frozen
ata2.00: irq_stat 0x08000000, interface fatal error
! ata2.00: failed command: READ FPDMA QUEUED
ata2.00: cmd 60/00:48:00:1c:a3/01:00:05:00:00/40 tag 9 ncq dma 131072 in
!          res 40/00:48:00:1c:a3/00:00:05:00:00/40 Emask 0x10 (ATA bus error)
ata2.00: status: { DRDY }
ata2: hard resetting link
ata2: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
ata2.00: configured for UDMA/133
ata2: EH complete
~3
""",
    "Link-level CRC/disparity error (cable or backplane) caused an ATA bus error; reset recovered at 6.0 Gbps. Single episode, recovered: warning.",
    "nas-x10sdv-01",
    start=441203.2,
)

case(
    F,
    "syn-sto-005",
    "warning",
    "storage",
    """
~1
ata6.00: exception Emask 0x10 SAct 0x0 SErr 0x400100 action 0x6 frozen
ata6.00: irq_stat 0x08000000, interface fatal error
ata6: SError: { UnrecovData Handshk }
ata6: hard resetting link
! ata6: limiting SATA link speed to 3.0 Gbps
ata6: SATA link up 3.0 Gbps (SStatus 123 SControl 320)
ata6.00: configured for UDMA/133
ata6: EH complete
~3
""",
    "After an interface error libata lowered the link from 6.0 to 3.0 Gbps and recovered: the transport is degraded but working, warning.",
    "ceph-osd-r740xd-22",
    start=2019332.0,
)

case(
    F,
    "syn-sto-006",
    "warning",
    "storage",
    """
~2
ata1.00: exception Emask 0x0 SAct 0x1 SErr 0x0 action 0x6 frozen
ata1.00: failed command: READ FPDMA QUEUED
ata1.00: cmd 60/08:00:88:41:22/00:00:01:00:00/40 tag 0 ncq dma 4096 in
         res 40/00:00:00:00:00/00:00:00:00:00/00 Emask 0x4 (timeout)
ata1: hard resetting link
ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
! ata1.00: NCQ disabled due to excessive errors
ata1.00: configured for UDMA/133
ata1: EH complete
~2
""",
    "Repeated NCQ timeouts made libata turn NCQ off on ata1; the drive recovered and works without NCQ: degraded, warning.",
    "logs-r430-06",
    start=5033.9,
    pool="run",
)

case(
    F,
    "syn-sto-007",
    "warning",
    "storage",
    """
~3
! md/raid1:md2: read error corrected (8 sectors at 1219002368 on sdb3)
~3
""",
    "md rewrote a bad sector from the mirror: the member has a weak sector but redundancy handled it. Warning.",
    "files-r530-02",
    start=930012.2,
)

case(
    F,
    "syn-sto-008",
    "warning",
    "storage",
    """
~3
! nvme0n1: Read(0x2) @ LBA 1839211520, 8 blocks, Unrecovered Read Error (sct 0x2 / sc 0x81) DNR
I/O error, dev nvme0n1, sector 1839211520 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0
~4
""",
    "A single media error returned by the NVMe drive for one LBA (6.x wording with the decoded status), nothing else in the window: warning (critical would need repeats on the device).",
    "ml-xe8545-03",
    start=702221.1,
)

case(
    F,
    "syn-sto-009",
    "warning",
    "storage",
    """
~2
mpt3sas_cm0: log_info(0x31120303): originator(PL), code(0x12), sub_code(0x0303)
! sd 0:0:7:0: [sdh] tag#2201 FAILED Result: hostbyte=DID_SOFT_ERROR driverbyte=DRIVER_OK cmd_age=0s
sd 0:0:7:0: [sdh] tag#2201 CDB: Write(16) 8a 00 00 00 00 01 5c 2e 10 00 00 00 01 00 00 00
~4
""",
    "A SAS protocol-layer event and one soft error on sdh; SCSI retries a soft error and no I/O error follows: single transport hiccup, warning.",
    "hdfs-r740xd-31",
    start=1550990.0,
)

case(
    F,
    "syn-sto-010",
    "warning",
    "storage",
    """
~3
! XFS (sdc1): metadata I/O error in "xfs_buf_ioend+0x1a1/0x540 [xfs]" at daddr 0x1d41c8 len 8 error 5
~4
""",
    "One XFS metadata I/O error with no forced shutdown and no further errors in the window: the precursor of a shutdown, warning.",
    "minio-r740xd-08",
    start=301233.1,
)

case(
    F,
    "syn-sto-011",
    "warning",
    "storage",
    """
~2
ata3.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen
! ata3.00: failed command: FLUSH CACHE EXT
ata3.00: cmd ea/00:00:00:00:00/00:00:00:00:00/a0 tag 14
         res 40/00:00:00:00:00/00:00:00:00:00/00 Emask 0x4 (timeout)
ata3.00: status: { DRDY }
ata3: hard resetting link
ata3: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
ata3.00: configured for UDMA/133
ata3.00: retrying FLUSH 0xea Emask 0x4
! ata3: EH complete
~2
""",
    "Syslog form: a cache flush timed out, the link reset and the flush was retried, EH completed: single recovered timeout, warning.",
    "git-r440-01",
    fmt="syslog",
    start=412290.0,
)

case(
    F,
    "syn-sto-012",
    "warning",
    "storage",
    """
~2
! nvme nvme2: I/O 411 QID 31 timeout, completion polled
~4
""",
    "Newer kernels (5.x+) report a timeout whose completion was found by polling (a missed interrupt): single, recovered, warning.",
    "trino-r6525-10",
    start=870033.3,
)

case(
    F,
    "syn-sto-013",
    "warning",
    "storage",
    """
~1
! nvme 0000:5e:00.0: AER: Corrected error message received from 0000:5e:00.0
nvme 0000:5e:00.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)
nvme 0000:5e:00.0:   device [144d:a824] error status/mask=00000001/0000e000
nvme 0000:5e:00.0:    [ 0] RxErr                  (First)
~2
nvme 0000:5e:00.0: AER: Corrected error message received from 0000:5e:00.0
nvme 0000:5e:00.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)
nvme 0000:5e:00.0:   device [144d:a824] error status/mask=00000001/0000e000
nvme 0000:5e:00.0:    [ 0] RxErr                  (First)
~1
nvme 0000:5e:00.0: AER: Corrected error message received from 0000:5e:00.0
nvme 0000:5e:00.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)
nvme 0000:5e:00.0:   device [144d:a824] error status/mask=00000001/0000e000
nvme 0000:5e:00.0:    [ 0] RxErr                  (First)
~2
""",
    "Corrected PCIe receiver errors recurring on an NVMe SSD (Samsung PM1733): the device behind the link is clearly a disk, so storage; corrected and recurring, warning.",
    "db-r7525-12",
    start=2033122.5,
)

case(
    F,
    "syn-sto-014",
    "warning",
    "storage",
    """
~2
! nvme nvme3: I/O 212 QID 4 timeout, aborting
nvme nvme3: Abort status: 0x0
~4
""",
    "journalctl -k form: one NVMe timeout whose abort completed; no reset or repeat: warning.",
    "vault-r650-02",
    fmt="journal",
    start=99012.0,
)

# ---------------------------------------------------------------- critical

case(
    F,
    "syn-sto-101",
    "critical",
    "storage",
    """
~2
! nvme nvme1: controller is down; will reset: CSTS=0xffffffff, PCI_STATUS=0xffff
nvme nvme1: Does your device have a faulty power saving mode enabled?
nvme nvme1: Try "nvme_core.default_ps_max_latency_us=0 pcie_aspm=off" and report a bug
+2.1
! nvme nvme1: Device not ready; aborting reset, CSTS=0x1
! nvme nvme1: Removing after probe failure status: -19
nvme1n1: detected capacity change from 3840755982336 to 0
Buffer I/O error on dev nvme1n1p1, logical block 0, async page read
~2
""",
    "CSTS=0xffffffff (device unreadable over PCIe), reset aborted, controller removed, namespace capacity 0: the NVMe drive is gone. Critical.",
    "ceph-osd-r7525-04",
    start=1440231.2,
)

case(
    F,
    "syn-sto-102",
    "critical",
    "storage",
    """
~2
! nvme nvme0: I/O 12 QID 5 timeout, reset controller
+31.2
! nvme nvme0: I/O 880 QID 11 timeout, reset controller
+30.9
! nvme nvme0: I/O 14 QID 5 timeout, reset controller
+31.4
nvme nvme0: I/O 0 QID 0 timeout, reset controller
+30.6
nvme nvme0: I/O 1022 QID 3 timeout, reset controller
~1
""",
    "Reset loop: the same NVMe controller times out and resets every ~30 s, five times in a row. Reset loops are critical.",
    "es-hot-r650-06",
    start=302331.8,
)

case(
    F,
    "syn-sto-103",
    "critical",
    "storage",
    """
ata3.00: exception Emask 0x0 SAct 0x8 SErr 0x0 action 0x0
ata3.00: irq_stat 0x40000008
ata3.00: failed command: READ FPDMA QUEUED
ata3.00: cmd 60/08:18:a8:c2:4e/00:00:3a:00:00/40 tag 3 ncq dma 4096 in
!          res 41/40:00:a8:c2:4e/00:00:3a:00:00/40 Emask 0x409 (media error) <F>
ata3.00: status: { DRDY ERR }
! ata3.00: error: { UNC }
ata3.00: configured for UDMA/133
sd 2:0:0:0: [sdc] tag#3 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK cmd_age=3s
sd 2:0:0:0: [sdc] tag#3 Sense Key : Medium Error [current]
sd 2:0:0:0: [sdc] tag#3 Add. Sense: Unrecovered read error - auto reallocate failed
! I/O error, dev sdc, sector 978240168 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
ata3: EH complete
+4.2
ata3.00: exception Emask 0x0 SAct 0x100 SErr 0x0 action 0x0
ata3.00: irq_stat 0x40000008
ata3.00: failed command: READ FPDMA QUEUED
ata3.00: cmd 60/08:40:b0:c2:4e/00:00:3a:00:00/40 tag 8 ncq dma 4096 in
         res 41/40:00:b0:c2:4e/00:00:3a:00:00/40 Emask 0x409 (media error) <F>
ata3.00: status: { DRDY ERR }
ata3.00: error: { UNC }
ata3.00: configured for UDMA/133
! I/O error, dev sdc, sector 978240176 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
ata3: EH complete
""",
    "Repeated uncorrectable (UNC) media errors on neighbouring sectors of sdc, 'auto reallocate failed', each ending in an I/O error: the disk is failing. Critical.",
    "archive-r730xd-14",
    start=7720344.0,
    gap=(0.000003, 0.004),
)

case(
    F,
    "syn-sto-104",
    "critical",
    "storage",
    """
~1
sd 0:0:5:0: [sdf] tag#118 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE cmd_age=2s
sd 0:0:5:0: [sdf] tag#118 Sense Key : Medium Error [current] [descriptor]
sd 0:0:5:0: [sdf] tag#118 Add. Sense: Unrecovered read error
sd 0:0:5:0: [sdf] tag#118 CDB: Read(16) 88 00 00 00 00 00 8a 1c 00 00 00 00 00 08 00 00
! blk_update_request: critical medium error, dev sdf, sector 2317090816 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
+0.8
sd 0:0:5:0: [sdf] tag#121 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE cmd_age=2s
sd 0:0:5:0: [sdf] tag#121 Sense Key : Medium Error [current] [descriptor]
sd 0:0:5:0: [sdf] tag#121 Add. Sense: Unrecovered read error
sd 0:0:5:0: [sdf] tag#121 CDB: Read(16) 88 00 00 00 00 00 8a 1c 00 08 00 00 00 08 00 00
! blk_update_request: critical medium error, dev sdf, sector 2317090824 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
blk_update_request: 14 callbacks suppressed
~1
""",
    "SAS disk behind an HBA returns unrecovered read errors (sense key Medium Error) on consecutive sectors, with more suppressed: repeated medium errors on one disk, critical.",
    "hdfs-r740xd-19",
    start=3401922.1,
)

case(
    F,
    "syn-sto-105",
    "critical",
    "storage",
    """
~1
I/O error, dev sdb, sector 41951232 op 0x1:(WRITE) flags 0x800 phys_seg 16 prio class 0
Buffer I/O error on dev sdb1, logical block 5242624, lost async page write
! EXT4-fs error (device sdb1): ext4_journal_check_start:83: comm kworker/u96:2: Detected aborted journal
! EXT4-fs (sdb1): Remounting filesystem read-only
EXT4-fs (sdb1): ext4_writepages: jbd2_start: 9223372036854775805 pages, ino 2883612; err -30
~2
""",
    "Write errors on sdb aborted the ext4 journal and the filesystem was forced read-only (errors=remount-ro): critical.",
    "build-r640-27",
    start=1203301.4,
)

case(
    F,
    "syn-sto-106",
    "critical",
    "storage",
    """
~1
XFS (xvdb): metadata I/O error in "xlog_iodone" at daddr 0x3e9a80 len 64 error 5
! XFS (xvdb): Log I/O Error Detected.  Shutting down filesystem
XFS (xvdb): Please umount the filesystem and rectify the problem(s)
XFS (xvdb): xfs_log_force: error -5 returned.
~2
""",
    "Older XFS wording (4.x): log I/O error forced a filesystem shutdown. Storage on a virtual disk still counts as storage: critical.",
    "vm-elastic-41",
    start=504012.2,
)

case(
    F,
    "syn-sto-107",
    "critical",
    "storage",
    """
~2
XFS (sdb6): log I/O error -5
! XFS (sdb6): Filesystem has been shut down due to log error (0x2).
XFS (sdb6): Please unmount the filesystem and rectify the problem(s).
~2
""",
    "6.x XFS wording of a forced shutdown after a log I/O error: critical.",
    "talos-w-r6515-03",
    start=190223.3,
)

case(
    F,
    "syn-sto-108",
    "critical",
    "storage",
    """
~2
XFS (dm-3): Internal error xfs_trans_cancel at line 1097 of file fs/xfs/xfs_trans.c.  Caller xfs_create+0x3f9/0x6a0 [xfs]
! XFS (dm-3): Corruption of in-memory data (0x8) detected at xfs_trans_cancel+0x12a/0x150 [xfs] (fs/xfs/xfs_trans.c:1097).  Shutting down filesystem.
XFS (dm-3): Please unmount the filesystem and rectify the problem(s)
~2
""",
    "6.1-style XFS forced shutdown ('... detected at ...  Shutting down filesystem.'): the filesystem is unusable, critical.",
    "nfs-r750-05",
    start=2301112.0,
)

case(
    F,
    "syn-sto-109",
    "critical",
    "storage",
    """
~1
I/O error, dev sdb, sector 1953520128 op 0x1:(WRITE) flags 0x0 phys_seg 1 prio class 0
! md/raid1:md0: Disk failure on sdb1, disabling device.
! md/raid1:md0: Operation continuing on 1 devices.
md: recovery of RAID array md0
~3
""",
    "A mirror member failed with write errors and md kicked it: the 2-way RAID1 is running on one disk, redundancy lost. Critical.",
    "web-r240-09",
    start=2001931.7,
)

case(
    F,
    "syn-sto-110",
    "critical",
    "storage",
    """
~1
md/raid:md127: read error not correctable (sector 884731904 on sdd).
md/raid:md127: read error not correctable (sector 884731912 on sdd).
! md/raid:md127: read error not correctable (sector 884731920 on sdd).
! md/raid:md127: Too many read errors, failing device sdd.
md/raid:md127: Disk failure on sdd, disabling device.
md/raid:md127: Operation continuing on 5 devices.
~2
""",
    "RAID6 member sdd returns uncorrectable read errors until md fails it: a disk has failed, critical.",
    "backup-sr650-02",
    start=3210044.2,
)

case(
    F,
    "syn-sto-111",
    "critical",
    "storage",
    """
~2
! mpt3sas_cm0: fault_state(0x2651)!
mpt3sas_cm0: sending diag reset !!
mpt3sas_cm0: diag reset: FAILED
sd 0:0:2:0: rejecting I/O to offline device
sd 0:0:3:0: rejecting I/O to offline device
~2
""",
    "The SAS HBA firmware faulted and the diagnostic reset failed; disks behind it go offline. Every disk on the controller is at risk: critical.",
    "hdfs-r740xd-44",
    start=830123.3,
)

case(
    F,
    "syn-sto-112",
    "critical",
    "driver storage",
    """
~1
! INFO: task jbd2/sda3-8:1121 blocked for more than 120 seconds.
      Not tainted 5.15.0-91-generic #101-Ubuntu
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
task:jbd2/sda3-8     state:D stack:    0 pid: 1121 ppid:     2 flags:0x00004000
Call Trace:
 <TASK>
 __schedule+0x24e/0x590
 schedule+0x69/0x110
 io_schedule+0x46/0x80
 bit_wait_io+0x11/0x70
 __wait_on_bit+0x31/0xa0
 out_of_line_wait_on_bit+0x94/0xb0
 jbd2_journal_commit_transaction+0x16ef/0x1ad0
 kjournald2+0xab/0x280
 kthread+0x127/0x150
 ret_from_fork+0x1f/0x30
 </TASK>
+120.4
! INFO: task mysqld:40221 blocked for more than 120 seconds.
      Not tainted 5.15.0-91-generic #101-Ubuntu
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
""",
    "The ext4 journal thread and then mysqld are stuck in D state in io_schedule for over 120 s: writes to the filesystem are hung. Hung tasks in the I/O path: critical, driver + storage.",
    "mysql-r640-16",
    start=4408233.0,
)

case(
    F,
    "syn-sto-113",
    "critical",
    "driver storage",
    """
~1
! INFO: task xfsaild/dm-2:1893 blocked for more than 122 seconds.
      Tainted: G           OE     --------- -  - 4.18.0-513.5.1.el8_9.x86_64 #1
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
xfsaild/dm-2    D    0  1893      2 0x80004000
Call Trace:
 __schedule+0x2d1/0x870
 schedule+0x55/0xf0
 xfs_log_force+0x1a2/0x2e0 [xfs]
 xfsaild+0x1a8/0x840 [xfs]
 kthread+0x134/0x150
 ret_from_fork+0x1f/0x40
! INFO: task kworker/u130:1:331201 blocked for more than 122 seconds.
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
kworker/u130:1  D    0 331201      2 0x80004080
Workqueue: writeback wb_workfn (flush-253:2)
Call Trace:
 __schedule+0x2d1/0x870
 io_schedule+0x12/0x40
 blk_mq_get_tag+0x16f/0x280
""",
    "Syslog form, RHEL 8 kernel: xfsaild and a writeback worker blocked on dm-2 for over 2 minutes, the second waiting for a block-layer tag: I/O is hung. Critical, driver + storage.",
    "oracle-r740-03",
    fmt="syslog",
    start=1200444.5,
)

case(
    F,
    "syn-sto-114",
    "critical",
    "storage",
    """
~1
! I/O error, dev sdc, sector 7814036992 op 0x1:(WRITE) flags 0x4800 phys_seg 32 prio class 0
! I/O error, dev sdc, sector 7814037248 op 0x1:(WRITE) flags 0x4800 phys_seg 32 prio class 0
I/O error, dev sdc, sector 7814037504 op 0x1:(WRITE) flags 0x4800 phys_seg 32 prio class 0
buffer_io_error: 211 callbacks suppressed
Buffer I/O error on dev sdc1, logical block 976754368, lost async page write
Buffer I/O error on dev sdc1, logical block 976754369, lost async page write
I/O error, dev sdc, sector 7814037760 op 0x1:(WRITE) flags 0x4800 phys_seg 32 prio class 0
~1
""",
    "6.x 'I/O error' wording repeated on one disk with lost async page writes (data lost) and 211 suppressed repeats: critical.",
    "media-r740xd-02",
    start=1822001.0,
)

case(
    F,
    "syn-sto-115",
    "critical",
    "storage",
    """
~1
! blk_update_request: I/O error, dev vda, sector 20979712 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0
! blk_update_request: I/O error, dev vda, sector 20979720 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0
Buffer I/O error on dev vda1, logical block 2622208, lost async page write
EXT4-fs warning (device vda1): ext4_end_bio:342: I/O error 10 writing to inode 1049021 starting block 2622209)
! EXT4-fs (vda1): Remounting filesystem read-only
~1
""",
    "A VM's virtio disk returns repeated write errors and ext4 remounts read-only. Storage on virtual disks still counts as storage: critical.",
    "vm-gitlab-runner-07",
    start=880221.9,
)

case(
    F,
    "syn-sto-116",
    "critical",
    "storage",
    """
~2
ata5.00: exception Emask 0x10 SAct 0x0 SErr 0x4050000 action 0xe frozen
ata5: SError: { PHYRdyChg CommWake DevExch }
ata5: hard resetting link
! ata5: COMRESET failed (errno=-16)
ata5: hard resetting link
! ata5: COMRESET failed (errno=-16)
ata5: limiting SATA link speed to 1.5 Gbps
ata5: hard resetting link
ata5: COMRESET failed (errno=-16)
! ata5.00: disabled
ata5: EH complete
sd 4:0:0:0: rejecting I/O to offline device
""",
    "The link to ata5 dropped and every COMRESET failed; libata disabled the device and I/O is rejected: the disk is gone. Note 'EH complete' here does not mean recovery. Critical.",
    "nas-c246-04",
    start=601.2,
    pool="run",
    gap=(0.5, 10.0),
)

case(
    F,
    "syn-sto-117",
    "critical",
    "storage",
    """
~1
pcieport 0000:c0:03.1: DPC: containment event, status:0x1f01 source:0x0000
! pcieport 0000:c0:03.1: DPC: unmasked uncorrectable error detected
pcieport 0000:c0:03.1: PCIe Bus Error: severity=Uncorrected (Non-Fatal), type=Transaction Layer, (Receiver ID)
pcieport 0000:c0:03.1:   device [1022:1483] error status/mask=00004000/04400000
pcieport 0000:c0:03.1:    [14] CmpltTO                (First)
nvme nvme4: frozen state error detected, reset controller
! nvme 0000:c1:00.0: AER: can't recover (no error_detected callback)
! pcieport 0000:c0:03.1: AER: device recovery failed
nvme4n1: detected capacity change from 7681501126656 to 0
~1
""",
    "DPC contained an uncorrected completion timeout on the root port of an NVMe drive, recovery failed and the namespace vanished: the device behind the link is a disk, so storage; critical.",
    "scylla-r7525-09",
    start=2044003.5,
)

case(
    F,
    "syn-sto-119",
    "critical",
    "storage",
    """
~1
! connection1:0: detected conn error (1020)
+5.0
connection1:0: detected conn error (1020)
+5.1
session1: session recovery timed out after 120 secs
! sd 7:0:0:1: rejecting I/O to offline device
blk_update_request: I/O error, dev sdk, sector 88080384 op 0x1:(WRITE) flags 0x8800 phys_seg 1 prio class 0
! blk_update_request: I/O error, dev sdk, sector 88080392 op 0x1:(WRITE) flags 0x8800 phys_seg 1 prio class 0
EXT4-fs warning (device sdk): ext4_end_bio:343: I/O error 10 writing to inode 655362 starting block 11010049)
~1
""",
    "An iSCSI session dropped and did not recover within 120 s; the LUN went offline and writes fail. Network-backed disks still count as storage: critical.",
    "db-standby-r640-30",
    start=303012.8,
)

case(
    F,
    "syn-sto-120",
    "critical",
    "storage",
    """
~1
! nvme nvme0: I/O 488 QID 2 timeout, aborting
nvme nvme0: I/O 489 QID 2 timeout, aborting
nvme nvme0: I/O 490 QID 2 timeout, aborting
! nvme nvme0: I/O 488 QID 2 timeout, reset controller
+32.0
! nvme nvme0: Device not ready; aborting reset, CSTS=0x3
nvme nvme0: Removing after probe failure status: -19
~1
""",
    "journalctl -k form: aborts fail, the reset fails (CSTS=0x3, fatal status bit) and the controller is removed: critical.",
    "kvm-r650-12",
    fmt="journal",
    start=77123.3,
)
