"""Memory: EDAC, MCE (raw and decoded), APEI/GHES, memory-failure."""

from kit import case

F = "memory"

case(
    F,
    "syn-mem-001",
    "warning",
    "memory",
    """
~3
! EDAC MC2: 1 CE memory read error on CPU_SrcID#1_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x3a12f offset:0x340 grain:32 syndrome:0x0 -  err_code:0x0000:0x009f socket:1 imc:0 rank:0 bg:1 ba:2 row:3a12 col:1a8)
~4
""",
    "One corrected DRAM error (i10nm EDAC wording) on a single DIMM between container churn: corrected memory errors are warning.",
    "db-r750-14",
    start=1184213.2,
)

case(
    F,
    "syn-mem-002",
    "warning",
    "memory",
    """
~2
! EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#1 (channel:0 slot:1 page:0x91c0e offset:0x780 grain:32 syndrome:0x0 -  err_code:0x0000:0x0090 socket:0 imc:1 rank:2 bg:0 ba:1 row:91c0 col:3c0)
~2
! EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#1 (channel:0 slot:1 page:0x91c0e offset:0x7c0 grain:32 syndrome:0x0 -  err_code:0x0000:0x0090 socket:0 imc:1 rank:2 bg:0 ba:1 row:91c0 col:3e0)
~1
EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#1 (channel:0 slot:1 page:0x91c0f offset:0x40 grain:32 syndrome:0x0 -  err_code:0x0000:0x0090 socket:0 imc:1 rank:2 bg:0 ba:1 row:91c0 col:20)
~2
EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#1 (channel:0 slot:1 page:0x91c0e offset:0x780 grain:32 syndrome:0x0 -  err_code:0x0000:0x0090 socket:0 imc:1 rank:2 bg:0 ba:1 row:91c0 col:3c0)
~1
EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#1 (channel:0 slot:1 page:0x91c10 offset:0x100 grain:32 syndrome:0x0 -  err_code:0x0000:0x0090 socket:0 imc:1 rank:2 bg:0 ba:1 row:91c1 col:80)
~2
""",
    "Five corrected errors on the same DIMM (same row) within minutes. The DIMM is degrading and worth replacing at the next window, but corrected errors are warning at any rate per FORMAT.md.",
    "kvm-r650-03",
    start=2419930.5,
)

case(
    F,
    "syn-mem-003",
    "warning",
    "memory",
    """
~2
EDAC sbridge MC0: HANDLING MCE MEMORY ERROR
EDAC sbridge MC0: CPU 0: Machine Check Event: 0 Bank 7: 8c00004000010092
EDAC sbridge MC0: TSC 3a8f1e9c21b4
EDAC sbridge MC0: ADDR 849923380
EDAC sbridge MC0: MISC 140426886
EDAC sbridge MC0: PROCESSOR 0:306f2 TIME 1763902211 SOCKET 0 APIC 0
! EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849923 offset:0x380 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0092 socket:0 ha:0 channel_mask:4 rank:0)
~3
""",
    "Older sb_edac (Haswell) wording: the MCE status 8c00... has bit 61 (UC) clear and EDAC reports 1 CE on one DIMM: corrected memory error, warning.",
    "hv-r630-21",
    start=883422.7,
)

case(
    F,
    "syn-mem-004",
    "warning",
    "memory",
    """
~2
! mce: CMCI storm detected: switching to poll mode
~3
+1860
! mce: CMCI storm subsided: switching to interrupt mode
~2
""",
    "A CMCI storm (more than 15 corrected-error interrupts a second on a CPU) that subsided half an hour later: a burst of corrected errors, warning.",
    "ceph-osd-r740-09",
    start=96412.0,
)

case(
    F,
    "syn-mem-005",
    "warning",
    "memory",
    """
~2
! [Hardware Error]: Corrected error, no action required.
[Hardware Error]: CPU:12 (19:1:1) MC17_STATUS[-|CE|MiscV|AddrV|-|-|SyndV|CECC|-|-|-]: 0x9c2040000000011b
[Hardware Error]: Error Addr: 0x0000000321ab4c40
[Hardware Error]: IPID: 0x0000009600150f00, Syndrome: 0x4d8c04110a800503
! [Hardware Error]: Unified Memory Controller Ext. Error Code: 0, DRAM ECC error.
EDAC MC0: 1 CE on mc#0csrow#2channel#1 (csrow:2 channel:1 page:0x321ab4 offset:0xc40 grain:64 syndrome:0x4d8c)
[Hardware Error]: cache level: L3/GEN, tx: GEN, mem-tx: RD
~3
""",
    "AMD EPYC (Milan) decoded MCE: 'Corrected error, no action required', DRAM ECC error in the Unified Memory Controller, EDAC counts 1 CE: corrected memory error, warning.",
    "ml-sr665-02",
    start=501223.9,
)

case(
    F,
    "syn-mem-006",
    "warning",
    "memory",
    """
~2
{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0
{1}[Hardware Error]: It has been corrected by h/w and requires no further action
! {1}[Hardware Error]: event severity: corrected
{1}[Hardware Error]:  Error 0, type: corrected
{1}[Hardware Error]:  fru_text: B6
{1}[Hardware Error]:   section_type: memory error
{1}[Hardware Error]:   physical_address: 0x0000005f1e2c8000
{1}[Hardware Error]:   node: 1 card: 3 module: 0 rank: 1 bank: 9 device: 0 row: 45321 column: 880
{1}[Hardware Error]:   error_type: 2, single-bit ECC
! {1}[Hardware Error]:   DIMM location: CPU2 DIMM B6
~2
""",
    "Firmware-first (GHES/CPER) record of a single-bit ECC error, severity corrected, on DIMM B6: warning.",
    "app-dl380-31",
    start=3120544.1,
)

case(
    F,
    "syn-mem-007",
    "warning",
    "memory",
    """
~3
! mce: [Hardware Error]: CPU 3: Machine Check: 0 Bank 7: 8c000040000800c0
mce: [Hardware Error]: TSC 0 ADDR 1e9c4f5c0 MISC 140010086
mce: [Hardware Error]: PROCESSOR 0:50657 TIME 1764129003 SOCKET 0 APIC 6 microcode 5003604
mce: [Hardware Error]: Run the above through 'mcelog --ascii'
mce: [Hardware Error]: Machine check events logged
~2
""",
    "Raw machine check, no decoder loaded: MCi_STATUS 0x8c000040000800c0 has bit 61 (UC) clear (first hex digit 8 = VAL only), bank 7 memory controller: a corrected error, warning (MCE counts as memory).",
    "batch-s2600-44",
    start=711932.4,
)

case(
    F,
    "syn-mem-008",
    "warning",
    "memory",
    """
~2
! mce: [Hardware Error]: CPU 17: Machine Check: 0 Bank 13: cc0003c000010090
mce: [Hardware Error]: TSC 0 ADDR 3f81aa000 MISC 9000400a0a8e086
mce: [Hardware Error]: PROCESSOR 0:606a6 TIME 1764300122 SOCKET 0 APIC 22 microcode d0003b9
mce: [Hardware Error]: Run the above through 'mcelog --ascii'
mce: [Hardware Error]: Machine check events logged
~1
mce: [Hardware Error]: Machine check events logged
~2
""",
    "Raw MCi_STATUS 0xcc0003c000010090: first digit c = VAL|OVER, bit 61 (UC) clear. The overflow bit means more corrected errors were lost, but none was uncorrected: warning, memory.",
    "k8s-node-r6525-07",
    start=1403112.6,
)

case(
    F,
    "syn-mem-009",
    "warning",
    "memory",
    """
~2
EDAC MC1: 1 CE memory read error on CPU_SrcID#1_MC#2_Chan#1_DIMM#0 (channel:1 slot:0 page:0x2b4e11 offset:0x0 grain:32 syndrome:0x0 -  err_code:0x0000:0x0091 socket:1 imc:2 rank:1 bg:3 ba:0 row:b4e1 col:0)
~1
EDAC MC1: 1 CE memory read error on CPU_SrcID#1_MC#2_Chan#1_DIMM#0 (channel:1 slot:0 page:0x2b4e11 offset:0x0 grain:32 syndrome:0x0 -  err_code:0x0000:0x0091 socket:1 imc:2 rank:1 bg:3 ba:0 row:b4e1 col:0)
~1
! RAS: Soft-offlining pfn: 0x2b4e11
~3
""",
    "Corrected errors repeat on one page until the RAS correctable-errors collector soft-offlines (retires) the page: the DIMM is degrading but everything was corrected, warning.",
    "pg-r740xd-05",
    start=4109223.3,
)

case(
    F,
    "syn-mem-010",
    "warning",
    "memory",
    """
~2
! [Hardware Error]: Deferred error, no action required.
[Hardware Error]: CPU:40 (17:31:0) MC15_STATUS[-|-|MiscV|AddrV|-|-|SyndV|UECC|Deferred|-|-]: 0x9c0060000f040800
[Hardware Error]: Error Addr: 0x00000009a1c72200
[Hardware Error]: IPID: 0x0000009600350f00, Syndrome: 0x000000005a020001
! [Hardware Error]: Unified Memory Controller Ext. Error Code: 0, DRAM ECC error.
[Hardware Error]: cache level: L3/GEN, tx: GEN, mem-tx: RD
~3
""",
    "AMD deferred DRAM ECC error: the bad data was marked poisoned instead of being consumed; nothing crashed yet but the location is bad. Catalogue M10 rates deferred as warning; status 0x9c... has UC (bit 61) clear.",
    "ci-runner-h11-12",
    start=288201.0,
)

case(
    F,
    "syn-mem-011",
    "warning",
    "memory",
    """
~2
! mce: [Hardware Error]: Machine check events logged
! EDAC MC0: 4 CE error on CPU#0Channel#2_DIMM#0 (channel:2 slot:0 page:0x0 offset:0x0 grain:8 syndrome:0x0)
~2
EDAC MC0: 1 CE error on CPU#0Channel#2_DIMM#0 (channel:2 slot:0 page:0x0 offset:0x0 grain:8 syndrome:0x0)
~2
""",
    "Older i7core_edac wording (no 'memory read', count field 4): corrected errors on CPU0 channel 2 DIMM 0 reported in batches. Corrected, so warning regardless of count.",
    "legacy-r710-02",
    start=610022.3,
)

case(
    F,
    "syn-mem-012",
    "warning",
    "memory",
    """
~2
! EDAC MC3: 1 CE memory read error on CPU_SrcID#1_MC#1_Chan#0_DIMM#0 (channel:0 slot:0 page:0x6fe331 offset:0xa80 grain:32 syndrome:0x0 -  err_code:0x0000:0x009f socket:1 imc:1 rank:0 bg:2 ba:3 row:fe33 col:150)
~3
""",
    "Syslog form of a single corrected DRAM error (skx_edac): warning, memory.",
    "web-r640-88",
    fmt="syslog",
    start=350122.1,
)

# ---------------------------------------------------------------- critical

case(
    F,
    "syn-mem-101",
    "critical",
    "memory",
    """
~2
! EDAC MC1: 1 UE memory read error on CPU_SrcID#0_MC#1_Chan#0_DIMM#0 (channel:0 slot:0 page:0xe16677 offset:0x0 grain:32 -  err_code:0x0000:0x009f socket:0 imc:1 rank:0 bg:0 ba:3 row:dad3 col:3c0)
Memory failure: 0xe16677: recovery action for dirty LRU page: Recovered
~3
""",
    "EDAC reports an uncorrected (UE) DRAM error; the kernel had to run memory-failure recovery on the page. Uncorrected memory error: critical.",
    "db-r750-02",
    start=822104.5,
)

case(
    F,
    "syn-mem-102",
    "critical",
    "memory",
    """
~1
! mce: [Hardware Error]: CPU 12: Machine Check Exception: 5 Bank 7: be00000000800090
mce: [Hardware Error]: RIP !INEXACT! 10:<ffffffff81b0e3a2> {intel_idle+0xc2/0x120}
mce: [Hardware Error]: TSC 1f2e3d4c5b6a ADDR 4b18c8000 MISC 86
mce: [Hardware Error]: PROCESSOR 0:50657 TIME 1764233301 SOCKET 0 APIC 18 microcode 5003604
! mce: [Hardware Error]: Machine check: Processor context corrupt
! Kernel panic - not syncing: Fatal machine check
Kernel Offset: 0x1c000000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)
""",
    "Fatal machine check recovered from pstore after a reboot: status 0xbe00000000800090 has UC (bit 61) and PCC (bit 57) set, processor context corrupt, kernel panicked: critical, memory (MCE).",
    "hpc-c6420-17",
    start=1933002.1,
)

case(
    F,
    "syn-mem-103",
    "critical",
    "memory",
    """
~2
! mce: [Hardware Error]: CPU 21: Machine Check: 0 Bank 1: fd800000001c0134
mce: [Hardware Error]: TSC 0 ADDR 7b2c41080 MISC 86
mce: [Hardware Error]: PROCESSOR 0:606a6 TIME 1764011287 SOCKET 1 APIC 43 microcode d0003b9
mce: [Hardware Error]: Run the above through 'mcelog --ascii'
! Memory failure: 0x7b2c41: Sending SIGBUS to postgres:48213 due to hardware memory corruption
Memory failure: 0x7b2c41: recovery action for dirty LRU page: Recovered
~2
""",
    "Raw MCi_STATUS 0xfd800000001c0134: first digit f has the UC bit (61) set (and OVER); the kernel sent SIGBUS to postgres for corrupted memory. Uncorrected, data lost: critical.",
    "pg-r750-11",
    start=2201334.9,
)

case(
    F,
    "syn-mem-104",
    "critical",
    "memory",
    """
~2
! [Hardware Error]: Uncorrected, software containable error.
[Hardware Error]: CPU:2 (19:11:1) MC16_STATUS[-|UE|MiscV|AddrV|-|-|SyndV|UECC|Poison|-|Scrub]: 0xbc00080001010135
[Hardware Error]: Error Addr: 0x00000011e9b0c000
[Hardware Error]: IPID: 0x0000009601150f00, Syndrome: 0x00000000fb410a01
! [Hardware Error]: Unified Memory Controller Ext. Error Code: 0, DRAM ECC error.
[Hardware Error]: cache level: L3/GEN, tx: GEN, mem-tx: RD
Memory failure: 0x11e9b0c: Sending SIGBUS to java:3310 due to hardware memory corruption
~2
""",
    "AMD Genoa decoded uncorrected DRAM ECC error (UE, poison), contained by killing the process: uncorrected memory error, critical.",
    "analytics-r7625-04",
    start=630811.7,
)

case(
    F,
    "syn-mem-105",
    "critical",
    "memory",
    """
~2
{2}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1
! {2}[Hardware Error]: event severity: recoverable
{2}[Hardware Error]:  Error 0, type: recoverable
{2}[Hardware Error]:  fru_text: A3
{2}[Hardware Error]:   section_type: memory error
{2}[Hardware Error]:   error_status: 0x0000000000000400
{2}[Hardware Error]:   physical_address: 0x0000003c9d2a1000
{2}[Hardware Error]:   node: 0 card: 0 module: 2 rank: 0 bank: 4 device: 7 row: 19722 column: 264
{2}[Hardware Error]:   error_type: 3, multi-bit ECC
{2}[Hardware Error]:   DIMM location: CPU1 DIMM A3
Memory failure: 0x3c9d2a1: recovery action for clean LRU page: Recovered
~2
""",
    "Firmware-first (GHES) record, severity recoverable, multi-bit ECC on DIMM A3: an uncorrected error the OS had to handle. FORMAT: firmware-reported recoverable error is critical.",
    "app-dl360-09",
    start=1700004.2,
)

case(
    F,
    "syn-mem-106",
    "critical",
    "memory",
    """
~2
{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0
! {1}[Hardware Error]: event severity: fatal
{1}[Hardware Error]:  Error 0, type: fatal
{1}[Hardware Error]:   section_type: memory error
{1}[Hardware Error]:   physical_address: 0x00000017e4410000
{1}[Hardware Error]:   DIMM location: P2-DIMMF1
! Kernel panic - not syncing: Fatal hardware error!
""",
    "GHES fatal memory error followed by a kernel panic (captured via serial console): critical.",
    "stor-x11dpu-06",
    start=93221.4,
)

case(
    F,
    "syn-mem-107",
    "critical",
    "memory",
    """
~2
! mce: Uncorrected hardware memory error in user-access at 2b71c8d400
Memory failure: 0x2b71c8d: Sending SIGBUS to redis-server:20117 due to hardware memory corruption
Memory failure: 0x2b71c8d: recovery action for dirty LRU page: Recovered
~2
""",
    "The kernel consumed an uncorrected memory error while copying user data (machine check in user access); the owning process got SIGBUS. Uncorrected: critical.",
    "cache-r650-23",
    start=402992.8,
)

case(
    F,
    "syn-mem-108",
    "critical",
    "memory",
    """
~1
EDAC sbridge MC1: HANDLING MCE MEMORY ERROR
EDAC sbridge MC1: CPU 8: Machine Check Event: 0 Bank 9: be00000000800090
EDAC sbridge MC1: TSC 29d0c0f7a91e
EDAC sbridge MC1: ADDR 12f6a7c000
EDAC sbridge MC1: MISC 9005080086
EDAC sbridge MC1: PROCESSOR 0:406f1 TIME 1764012443 SOCKET 1 APIC 20
! EDAC MC1: 1 UE memory read error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#1 (channel:0 slot:1 page:0x12f6a7c offset:0x0 grain:32 -  area:DRAM err_code:0001:0090 socket:1 ha:0 channel_mask:1 rank:4)
~2
""",
    "Broadwell sb_edac: status be00... (UC bit 61 set) and EDAC reports 1 UE on CPU1 DIMM 1: uncorrected memory error, critical.",
    "hv-r730-40",
    start=1500123.0,
)

case(
    F,
    "syn-mem-109",
    "critical",
    "memory",
    """
~1
! <4>mce: [Hardware Error]: CPU 5: Machine Check: 0 Bank 8: a200000000010091
<4>mce: [Hardware Error]: TSC 0 ADDR 1a22fc1c0 MISC 0
<4>mce: [Hardware Error]: PROCESSOR 0:50654 TIME 1764321200 SOCKET 0 APIC 10 microcode 2007006
<4>mce: [Hardware Error]: Run the above through 'mcelog --ascii'
<4>mce: [Hardware Error]: Machine check events logged
~2
""",
    "/dev/kmsg records of a raw machine check: MCi_STATUS 0xa200000000010091 has first digit a = VAL|UC, so bit 61 (UC) is set: uncorrected, critical even though the host kept running.",
    "k8s-node-r640-52",
    fmt="kmsg",
    start=80922.3,
)

case(
    F,
    "syn-mem-110",
    "critical",
    "memory",
    """
~1
EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x4410a2 offset:0x200 grain:32 syndrome:0x0 -  err_code:0x0000:0x009f socket:0 imc:0 rank:1 bg:0 ba:2 row:4410 col:100)
~1
EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x4410a2 offset:0x240 grain:32 syndrome:0x0 -  err_code:0x0000:0x009f socket:0 imc:0 rank:1 bg:0 ba:2 row:4410 col:120)
mce: CMCI storm detected: switching to poll mode
~2
! EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x4410a3 offset:0x0 grain:32 -  err_code:0x0000:0x009f socket:0 imc:0 rank:1 bg:0 ba:2 row:4410 col:180)
~1
""",
    "Corrected errors and a CMCI storm on one DIMM end in an uncorrected (UE) read error on the same row: the DIMM has failed, critical.",
    "es-data-r740-13",
    start=1207733.9,
)
