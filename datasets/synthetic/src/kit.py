"""Tiny authoring kit for the synthetic cases: timestamps, filler lines, output formats.

A case body is plain text, one kernel message a line, with a few markers:

    ! msg      the line is evidence (copied verbatim, as rendered, into ``evidence``)
    <N>msg     printk level/priority N (used by the /dev/kmsg format; default 6)
    ~N         N ordinary filler lines from the case's pool ("boot" or "run")
    +S         advance the clock S seconds
    @S         set the clock to S seconds since boot (never backwards)

Everything is seeded from the case id, so a rebuild is byte-identical.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SOURCE = "synthetic:tasseograph"
STATUSES = ("ok", "warning", "critical")
CATEGORIES = ("memory", "storage", "network", "thermal", "driver")
FORMATS = ("dmesg", "dmesg-T", "syslog", "kmsg", "journal")

BOOT_POOL = [
    "pci 0000:{b2}:00.0: [8086:{h4}] type 00 class 0x088000",
    "pci_bus 0000:{b2}: root bus resource [bus {b2}-{b2}]",
    "ACPI: Added _OSI(Module Device)",
    "ACPI: Added _OSI(Processor Aggregator Device)",
    "NET: Registered PF_INET6 protocol family",
    "Freeing unused kernel image (initmem) memory: 2740K",
    "Write protecting the kernel read-only data: 26624k",
    "x86/mm: Checked W+X mappings: passed, no W+X pages found.",
    "Run /init as init process",
    "SCSI subsystem initialized",
    "libata version 3.00 loaded.",
    "input: Power Button as /devices/LNXSYSTM:00/LNXPWRBN:00/input/input{n1}",
    "ACPI: button: Power Button [PWRF]",
    "Serial: 8250/16550 driver, 32 ports, IRQ sharing enabled",
    "rtc_cmos 00:01: RTC can wake from S4",
    "ledtrig-cpu: registered to indicate activity on CPUs",
    "hid: raw HID events driver (C) Jiri Kosina",
    "usbcore: registered new interface driver usbhid",
    "Key type asymmetric registered",
    "Asymmetric key parser 'x509' registered",
    "Block layer SCSI generic (bsg) driver version 0.4 loaded (major 243)",
    "io scheduler mq-deadline registered",
    "Loading compiled-in X.509 certificates",
    "zswap: loaded using pool lzo/zbud",
    "registered taskstats version 1",
    "tun: Universal TUN/TAP device driver, 1.6",
    "device-mapper: uevent: version 1.0.3",
    "raid6: avx2x4   gen() {n5} MB/s",
    "async_tx: api initialized (async)",
    "systemd[1]: Detected architecture x86-64.",
    "systemd[1]: Set hostname to <{host}>.",
    "random: crng init done",
    "clocksource: Switched to clocksource tsc",
    "PCI: Using ACPI for IRQ routing",
    "iommu: Default domain type: Translated",
    "pps_core: LinuxPPS API ver. 1 registered",
    "PTP clock support registered",
    "NetLabel: Initializing",
    "Trying to unpack rootfs image as initramfs...",
    "Initialise system trusted keyrings",
    "audit: initializing netlink subsys (disabled)",
    "thermal_sys: Registered thermal governor 'step_wise'",
    "cpuidle: using governor menu",
    "HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages",
    "Adding {n5}k swap on /dev/mapper/vg0-swap.  Priority:-2 extents:1 across:{n5}k FS",
    "IPI shorthand broadcast: enabled",
    "smpboot: Total of {cpus} processors activated ({n5}.{n2} BogoMIPS)",
    "devtmpfs: initialized",
]

RUN_POOL = [
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{h7}: link becomes ready",
    "docker0: port {n1}(veth{h7}) entered blocking state",
    "docker0: port {n1}(veth{h7}) entered disabled state",
    "device veth{h7} entered promiscuous mode",
    "docker0: port {n1}(veth{h7}) entered forwarding state",
    "device veth{h7} left promiscuous mode",
    "IPv6: ADDRCONF(NETDEV_CHANGE): cali{h11}: link becomes ready",
    "loop{n1}: detected capacity change from 0 to {n6}",
    "cni0: port {n1}(veth{h8}) entered forwarding state",
    "kauditd_printk_skb: {n2} callbacks suppressed",
    'audit: type=1400 audit({epoch}.{n3}:{n3}): apparmor="STATUS" operation="profile_replace" info="same as current profile, skipping" profile="unconfined" name="docker-default" pid={pid} comm="apparmor_parser"',
    "xt_CT: netfilter: NOTRACK target is deprecated, use CT instead or upgrade iptables",
    "Initializing XFRM netlink socket",
    "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.",
    "Bridge firewalling registered",
    "Netfilter messages via NETLINK v0.30.",
    "ip_set: protocol 7",
    "IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)",
    "IPVS: ipvs loaded.",
    "Key type dns_resolver registered",
    "NFSD: Using nfsdcld client tracking operations.",
    "FS-Cache: Loaded",
    "RPC: Registered tcp transport module.",
    "8021q: 802.1Q VLAN Support v1.8",
    "br-{h12}: port {n1}(veth{h7}) entered blocking state",
    "br-{h12}: port {n1}(veth{h7}) entered forwarding state",
    "IPv6: ADDRCONF(NETDEV_UP): cali{h11}: link is not ready",
    "SELinux:  Converting {n3} SID table entries...",
    "overlayfs: fs on '/var/lib/containerd/tmpmounts/containerd-mount{n6}' does not support file handles, falling back to xino=off.",
    "IPVS: Connection hash table configured (size=4096, memory=32Kbytes)",
    "cgroup: cgroup: disabling cgroup2 socket matching due to net_prio or net_cls activation",
]


def _fill(template: str, rng: random.Random, host: str) -> str:
    def hexs(n: int) -> str:
        return "".join(rng.choice("0123456789abcdef") for _ in range(n))

    repl = {
        "b2": f"{rng.randrange(0, 0xFF):02x}",
        "h4": hexs(4),
        "h5": hexs(5),
        "h7": hexs(7),
        "h8": hexs(8),
        "h11": hexs(11),
        "h12": hexs(12),
        "n1": str(rng.randrange(1, 9)),
        "n2": str(rng.randrange(10, 99)),
        "n3": str(rng.randrange(100, 999)),
        "n5": str(rng.randrange(10000, 99999)),
        "n6": str(rng.randrange(100000, 999999)),
        "cpus": str(rng.choice([48, 64, 96, 128, 192])),
        "pid": str(rng.randrange(300, 60000)),
        "epoch": str(rng.randrange(1763700000, 1764500000)),
        "host": host,
    }
    return re.sub(r"\{(\w+)\}", lambda m: repl[m.group(1)], template)


@dataclass
class Case:
    file: str
    id: str
    status: str
    categories: list[str]
    body: str
    note: str
    host: str
    fmt: str = "dmesg"
    start: float = 0.0
    pool: str = "run"
    gap: tuple[float, float] = (0.000002, 0.0009)
    fgap: tuple[float, float] | None = None
    boot_wall: datetime | None = None
    seq0: int | None = None
    lines: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def render(self) -> dict:
        rng = random.Random(self.id)
        pool = BOOT_POOL if self.pool == "boot" else RUN_POOL
        fgap = self.fgap or ((0.0001, 0.09) if self.pool == "boot" else (0.3, 45.0))
        usec = int(round(self.start * 1e6)) + rng.randrange(0, 900_000)  # no round first stamps
        wall0 = self.boot_wall or datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 86400 * 9)
        )
        seq = self.seq0 if self.seq0 is not None else rng.randrange(400, 4000)
        out: list[str] = []
        ev: list[str] = []
        first = True
        recent_fill: list[str] = []
        for raw in self.body.strip("\n").split("\n"):
            if re.fullmatch(r"~\d+", raw):
                for _ in range(int(raw[1:])):
                    if first:
                        usec -= int(fgap[0] * 1e6)  # the first line of the case sits at `start`
                    tmpl = rng.choice([p for p in pool if p not in recent_fill] or pool)
                    recent_fill = (recent_fill + [tmpl])[-6:]
                    usec += int(rng.uniform(*fgap) * 1e6)
                    seq += 1
                    out.append(self._fmt(usec, seq, 6, _fill(tmpl, rng, self.host), wall0))
                    first = False
                continue
            if re.fullmatch(r"\+[\d.]+", raw):
                usec += int(float(raw[1:]) * 1e6)
                continue
            if re.fullmatch(r"@[\d.]+", raw):
                target = int(float(raw[1:]) * 1e6)
                if target < usec:
                    raise ValueError(f"{self.id}: clock would go backwards at {raw}")
                usec = target
                first = True
                continue
            is_ev = raw.startswith("! ")
            msg = raw[2:] if is_ev else raw
            level = 6
            m = re.match(r"<(\d+)>", msg)
            if m:
                level = int(m.group(1))
                msg = msg[m.end() :]
            if not first:
                usec += max(1, int(rng.uniform(*self.gap) * 1e6))
            first = False
            seq += 1
            line = self._fmt(usec, seq, level, msg, wall0)
            out.append(line)
            if is_ev:
                ev.append(line)
        return {
            "id": self.id,
            "text": "\n".join(out),
            "label": {"status": self.status, "categories": sorted(self.categories)},
            "evidence": ev,
            "host": self.host,
            "source": SOURCE,
            "note": self.note,
        }

    def _fmt(self, usec: int, seq: int, level: int, msg: str, wall0: datetime) -> str:
        ts = f"[{usec // 1_000_000:5d}.{usec % 1_000_000:06d}]"
        wall = wall0 + timedelta(microseconds=usec)
        if self.fmt == "dmesg":
            return f"{ts} {msg}"
        if self.fmt == "dmesg-T":
            return f"[{wall.strftime('%a %b %e %H:%M:%S %Y')}] {msg}"
        if self.fmt == "syslog":
            return f"{wall.strftime('%b %e %H:%M:%S')} {self.host} kernel: {ts} {msg}"
        if self.fmt == "journal":
            return f"{wall.strftime('%b %d %H:%M:%S')} {self.host} kernel: {msg}"
        if self.fmt == "kmsg":
            return f"{level},{seq},{usec},-;{msg}"
        raise ValueError(self.fmt)


CASES: list[Case] = []


def case(
    file: str, cid: str, status: str, cats: list[str] | str, body: str, note: str, host: str, **kw
) -> None:
    if isinstance(cats, str):
        cats = cats.split()
    CASES.append(Case(file, cid, status, list(cats), body, note, host, **kw))
