"""The invented part of the replay: the fleet, its hosts' activity, and when each incident happens.

Everything here is schedule: which host sits in which rack, how chatty each host is, when it
booted, and when the real lines of ``sources.py`` are laid down. Only volatile numbers inside
a line change (``freshen``: page addresses, PIDs, counters, machine-check TIME fields);
device names, drivers and wording stay as captured.

The fleet (defaults for 240 hosts x 30 days; ``--small`` scales them down):

* Rows of 4 racks of 10 hosts; each rack has a top-of-rack switch, every third rack two
  (hosts split in halves), two PDUs (hosts alternate), and the last row holds blade chassis of
  five hosts. Three server models (each row mostly one), two firmware versions per model, three
  kernels.
* Activity mix: 70% quiet (a burst of 1-3 benign lines every ~2 days), 22% moderate (one burst
  an hour), 8% chatty (12 bursts an hour). 80% of hosts booted 1-120 days before the replay
  starts (no boot log in it); 20% reboot once during it (their whole real boot log is laid
  down at that time, and their monotonic clock restarts).
* Incidents (ground truth): rack-wide link events (every host on one switch, or every other
  time on one rack with two switches, loses link within 90 s and regains it 20 s-10 min later), corrected-error ramps ending in an uncorrected error
  (3-6 days, the rate growing exponentially from ~1 to 40-120 a day), recurring NVMe
  controller resets (every 4, 6 or 8 h +-10% for 3-7 days), and noise that is not an incident:
  one-off real warnings on single hosts, link flaps of K-1 hosts of one switch, and DIMMs that
  log corrected errors at a steady 0.5-3 a day all month (common in real fleets; not a ramp).
"""

from __future__ import annotations

import bisect
import math
import random
import re
from dataclasses import dataclass, field

from datasets.fleet.sources import Pools
from tasseograph.eval.fleetscore import GroundTruth, TruthIncident, TruthNoise

DAY = 86_400.0
HOUR = 3_600.0
MODELS = ("PowerEdge R750", "ProLiant DL380 Gen10", "SYS-1029U-TRT")
FIRMWARE = {"PowerEdge R750": ("1.9.2", "1.10.2"), "ProLiant DL380 Gen10": ("U30 2.80", "U30 3.00"),
            "SYS-1029U-TRT": ("3.4", "3.6")}
KERNELS = ("5.15.0-91-generic", "6.1.0-18-amd64", "6.8.0-45-generic")
ROLES = ("web", "db", "cache", "batch", "kafka", "api")
PROFILES: tuple[tuple[str, float, float], ...] = (("quiet", 0.70, 1 / (2 * DAY)), ("moderate", 0.22, 1 / HOUR),
                                                 ("chatty", 0.08, 12 / HOUR))
"""Activity profile, share of hosts, benign bursts per second."""
BENIGN_FLAVOURS = {"server": {"boot": 0.5, "dev": 0.4, "linux": 0.1}, "hpc": {"bgl": 0.8, "dev": 0.2}}
"""Which benign pools a host draws from: most are servers; a few run the Blue Gene style stack."""
REBOOT_SHARE = 0.2


@dataclass(frozen=True)
class Scale:
    """Sizes of one replay."""

    hosts: int = 240
    days: float = 30.0
    rack_size: int = 10
    rack_links: int = 4
    ramps: int = 4
    resets: int = 3
    one_offs: int = 24
    pair_flaps: int = 4
    chronic: int = 6

    def check(self) -> None:
        """Raise ``ValueError`` (one line) when the incidents cannot fit this fleet and span."""
        if self.days < 4:
            raise ValueError(f"--days {self.days:g}: a replay needs at least 4 days (a ramp lasts 3 to 6)")
        if self.hosts < 4 * self.rack_size:
            raise ValueError(f"--hosts {self.hosts}: a replay needs at least {4 * self.rack_size} hosts (4 racks)")

    @classmethod
    def small(cls) -> Scale:
        """The ``--small`` replay for tests: 24 hosts x 4 days, one incident of each kind."""
        return cls(hosts=24, days=4.0, rack_size=6, rack_links=1, ramps=1, resets=1, one_offs=3, pair_flaps=1,
                   chronic=1)


@dataclass
class Host:
    """One host of the fleet and what the schedule gave it."""

    name: str
    labels: dict[str, str]
    profile: str
    flavour: str
    boots: list[float]
    """Boot times, ascending (the first is before the replay starts)."""
    boot_log: int
    link: tuple[str, str]
    lines: list[tuple[float, str]] = field(default_factory=list)

    def monotonic(self, at: float) -> float:
        """Seconds since the boot that ``at`` falls in."""
        return at - self.boots[bisect.bisect_right(self.boots, at) - 1]


# --- fresh numbers -------------------------------------------------------------------------------

_Rng = random.Random


def _hex(rng: _Rng, digits: int) -> str:
    return f"{rng.randrange(16 ** max(1, digits)):0{max(1, digits)}x}"


def _digits(rng: _Rng, digits: int) -> str:
    return str(rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10**digits))


_FRESH: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (r"(page:0x)([0-9a-f]+)()", "hex"),
    (r"(offset:0x)([0-9a-f]+)()", "offset"),
    (r"(\b(?:ADDR|MISC|TSC) )([0-9a-f]{2,})()", "hex"),
    (r"(\bTIME )(\d{9,})()", "time"),
    (r"(total events = )(\d+)()", "digits"),
    (r"(\[[\w./-]+:)(\d+)(\])", "digits"),
    (r"(\b(?:ID|SPT|DPT)=)(\d+)()", "digits"),
    (r"(\bcore\.)(\d+)()", "digits"),
    (r"(^RAS KERNEL INFO )(\d+)( )", "digits"),
    (r"(device number )(\d+)()", "small"),
    (r"(kvm \[)(\d+)(\])", "digits"),
))
"""Volatile numbers: (prefix)(number)(suffix), and how the number is redrawn."""


def _redraw(kind: str, number: str, rng: _Rng, at: float) -> str:
    if kind == "hex":
        return _hex(rng, len(number))
    if kind == "offset":
        return f"{rng.randrange(64) * 0x40:x}"
    if kind == "time":
        return str(int(at))
    if kind == "small":
        return str(rng.randrange(2, 40))
    return _digits(rng, len(number))


def freshen(message: str, rng: _Rng, at: float) -> str:
    """``message`` with its volatile numbers redrawn (addresses, PIDs, counters, event times)."""
    for pattern, kind in _FRESH:
        message = pattern.sub(lambda m, kind=kind: m.group(1) + _redraw(kind, m.group(2), rng, at) + m.group(3),
                              message)
    return message


# --- the fleet -----------------------------------------------------------------------------------


def build_fleet(pools: Pools, scale: Scale, seed: int, start: float) -> list[Host]:
    """Hosts with their inventory labels, activity profile and boot times."""
    rng = random.Random(f"{seed}/fleet")
    hosts: list[Host] = []
    racks = math.ceil(scale.hosts / scale.rack_size)
    rows = math.ceil(racks / 4)
    profiles = _profiles(rng, scale.hosts)
    for i in range(scale.hosts):
        rack_i, slot = divmod(i, scale.rack_size)
        row = "abcdefghijklmnopqrstuvwxyz"[rack_i // 4]
        rack = f"{row}{rack_i % 4 + 1:02d}"
        split = rack_i % 3 == 2
        switch = f"sw-{rack}" + (("a" if slot < scale.rack_size // 2 else "b") if split else "")
        model = MODELS[(rack_i // 4) % len(MODELS)] if rng.random() < 0.8 else rng.choice(MODELS)
        labels = {"rack": rack, "row": row.upper(), "switch": switch, "pdu": f"pdu-{rack}-{slot % 2 + 1}",
                  "chassis": f"enc-{rack}-{slot // 5 + 1}" if rack_i // 4 == rows - 1 and rows > 1 else "",
                  "model": model, "firmware": rng.choice(FIRMWARE[model]), "kernel": rng.choice(KERNELS)}
        boots = [start - rng.uniform(1, 120) * DAY]
        if rng.random() < REBOOT_SHARE:
            boots.append(start + rng.uniform(0.05, 0.95) * scale.days * DAY)
        hosts.append(Host(
            name=f"{ROLES[i % len(ROLES)]}-{i + 1:03d}", labels=labels, profile=profiles[i],
            flavour="hpc" if rng.random() < 0.05 else "server", boots=boots,
            boot_log=rng.randrange(len(pools.boots)), link=pools.link[MODELS.index(model) % len(pools.link)],
        ))
    return hosts


def _profiles(rng: _Rng, n: int) -> list[str]:
    names = [name for name, share, _ in PROFILES for _ in range(round(share * n))]
    names = (names + ["quiet"] * n)[:n]
    rng.shuffle(names)
    return names


def lay_background(hosts: list[Host], pools: Pools, scale: Scale, seed: int, start: float) -> None:
    """Benign bursts per activity profile, and each reboot's whole boot log."""
    rates = {name: rate for name, _, rate in PROFILES}
    end = start + scale.days * DAY
    for host in hosts:
        rng = random.Random(f"{seed}/background/{host.name}")
        weights = BENIGN_FLAVOURS[host.flavour]
        sources = [s for s in weights if pools.benign.get(s)]
        t = start
        while True:
            t += rng.expovariate(rates[host.profile])
            if t >= end:
                break
            pool = pools.benign[rng.choices(sources, [weights[s] for s in sources])[0]]
            for k in range(rng.randint(1, 3)):
                at = t + k * rng.uniform(0.001, 2.0)
                host.lines.append((at, freshen(rng.choice(pool), rng, at)))
        for boot in host.boots[1:]:
            host.lines.extend((boot + mono, msg) for mono, msg in pools.boots[host.boot_log])


# --- incidents -----------------------------------------------------------------------------------


class _Picker:
    """Hands out hosts so that no host carries two incidents."""

    def __init__(self, hosts: list[Host], rng: _Rng) -> None:
        self.free = {h.name: h for h in hosts}
        self.rng = rng

    def one(self) -> Host:
        name = self.rng.choice(sorted(self.free))
        return self.free.pop(name)

    def switch(self, min_hosts: int, taken: int | None = None, label: str = "switch") -> tuple[str, list[Host]]:
        by_value: dict[str, list[Host]] = {}
        for h in self.free.values():
            by_value.setdefault(h.labels[label], []).append(h)
        fits = sorted(v for v, hs in by_value.items() if len(hs) >= min_hosts
                      and (label != "rack" or len({h.labels["switch"] for h in hs}) > 1))
        if not fits:
            raise ValueError(f"the fleet is too small for another {label}-wide event")
        value = self.rng.choice(fits)
        members = sorted(by_value[value], key=lambda h: h.name)
        if taken is not None:
            members = self.rng.sample(members, taken)
        for h in members:
            del self.free[h.name]
        return value, members


def lay_incidents(hosts: list[Host], pools: Pools, scale: Scale, seed: int, start: float,
                  min_hosts: int) -> tuple[list[TruthIncident], list[TruthNoise]]:
    """Lay every incident and noise event onto the hosts; return the ground truth."""
    rng = random.Random(f"{seed}/incidents")
    pick = _Picker(hosts, rng)
    end = start + scale.days * DAY
    incidents: list[TruthIncident] = []
    noise: list[TruthNoise] = []
    for n in range(scale.rack_links):
        label = "rack" if n % 2 else "switch"  # every other one takes a two-switch rack whole
        incidents.append(_rack_link(f"INC-LINK-{n + 1}", pick, rng, start, end, min_hosts, label))
    for n in range(scale.ramps):
        incidents.append(_ramp(f"INC-RAMP-{n + 1}", pick.one(), pools, rng, start, end))
    for n in range(scale.resets):
        incidents.append(_resets(f"INC-RESET-{n + 1}", pick.one(), pools, rng, start, end))
    for n in range(scale.pair_flaps):
        noise.append(_pair_flap(f"NOISE-FLAP-{n + 1}", pick, rng, start, end, min_hosts))
    for n in range(scale.one_offs):
        noise.append(_one_off(f"NOISE-ONE-{n + 1}", pick.one(), pools, rng, start, end))
    for n in range(scale.chronic):
        noise.append(_chronic(f"NOISE-CHRONIC-{n + 1}", pick.one(), pools, rng, start, end))
    return incidents, noise


def _flap(host: Host, at: float, rng: _Rng) -> int:
    down, up = host.link
    host.lines.append((at, down))
    host.lines.append((at + rng.uniform(20.0, 600.0), up))
    return 2


def _rack_link(ident: str, pick: _Picker, rng: _Rng, start: float, end: float, k: int,
               label: str) -> TruthIncident:
    value, members = pick.switch(k + 1, label=label)
    t0 = rng.uniform(start + 0.1 * (end - start), end - HOUR)
    times = [t0 + rng.uniform(0, 90.0) for _ in members]
    lines = sum(_flap(h, t, rng) for h, t in zip(members, times, strict=True))
    return TruthIncident(id=ident, kind="rack_link", category="network", hosts=[h.name for h in members],
                         start=min(times), end=max(times), group={"label": label, "value": value},
                         occurrences=sorted(times), lines=lines)


def _pair_flap(ident: str, pick: _Picker, rng: _Rng, start: float, end: float, k: int) -> TruthNoise:
    _, members = pick.switch(k, taken=k - 1)
    t0 = rng.uniform(start + HOUR, end - HOUR)
    lines = sum(_flap(h, t0 + rng.uniform(0, 60.0), rng) for h in members)
    return TruthNoise(id=ident, kind="pair_link_flap", category="network", hosts=[h.name for h in members],
                      at=t0, lines=lines)


def _ramp(ident: str, host: Host, pools: Pools, rng: _Rng, start: float, end: float) -> TruthIncident:
    days = rng.uniform(3.0, min(6.0, (end - start) / DAY - 0.5))
    ue_at = rng.uniform(start + days * DAY + 0.25 * DAY, end - HOUR)
    r0, r1 = rng.uniform(0.5, 2.0) / DAY, rng.uniform(40.0, 120.0) / DAY
    b = math.log(r1 / r0) / (days * DAY)
    ramp_start = ue_at - days * DAY
    block = rng.choice(pools.ce_blocks)
    times, t = [], ramp_start
    while True:  # thinning: candidates at the peak rate, kept with probability rate(t) / peak
        t += rng.expovariate(r1)
        if t >= ue_at:
            break
        if rng.random() < r0 * math.exp(b * (t - ramp_start)) / r1:
            times.append(t)
    lines = sum(_ce(host, block, at, rng) for at in times)
    ue = freshen(rng.choice(pools.ue_lines), rng, ue_at)
    host.lines.append((ue_at, ue))
    return TruthIncident(id=ident, kind="dimm_ramp", category="memory", hosts=[host.name], start=times[0] if times
                         else ue_at, end=ue_at, ue_at=ue_at, device=_dimm(block[-1]), occurrences=times,
                         lines=lines + 1)


def _ce(host: Host, block: list[str], at: float, rng: _Rng) -> int:
    for j, msg in enumerate(block):
        host.lines.append((at + j * 1e-5, freshen(msg, rng, at)))
    return len(block)


def _chronic(ident: str, host: Host, pools: Pools, rng: _Rng, start: float, end: float) -> TruthNoise:
    """A DIMM with a steady low rate of corrected errors all along: common, and not a ramp."""
    rate = rng.uniform(0.5, 3.0) / DAY
    block = rng.choice(pools.ce_blocks)
    times, t = [], start
    while (t := t + rng.expovariate(rate)) < end:
        times.append(t)
    lines = sum(_ce(host, block, at, rng) for at in times)
    return TruthNoise(id=ident, kind="chronic_ce", category="memory", hosts=[host.name],
                      at=times[0] if times else start, until=times[-1] if times else start, lines=lines)


def _dimm(message: str) -> dict[str, str]:
    m = re.search(r" on (\S+) \(channel:(\d+) slot:(\d+)", message)
    return {"dimm": m.group(1), "channel": m.group(2), "slot": m.group(3)} if m else {}


def _resets(ident: str, host: Host, pools: Pools, rng: _Rng, start: float, end: float) -> TruthIncident:
    period = rng.choice((4.0, 6.0, 8.0)) * HOUR
    span = rng.uniform(3.0, min(7.0, (end - start) / DAY - 0.5)) * DAY
    first = rng.uniform(start + HOUR, end - span - HOUR)
    times, t = [], first
    while t < first + span:
        times.append(t)
        t += period * rng.uniform(0.9, 1.1)
    for at in times:
        offset = 0.0
        for msg in pools.reset_block:
            host.lines.append((at + offset, msg))
            offset += rng.uniform(0.0005, 0.3)
    nvme = re.search(r"\b(nvme\d+)\b", pools.reset_block[0])
    return TruthIncident(id=ident, kind="recurring_reset", category="storage", hosts=[host.name], start=times[0],
                         end=times[-1], period_s=period, occurrences=times,
                         device={"nvme": nvme.group(1)} if nvme else {}, lines=len(times) * len(pools.reset_block))


def _one_off(ident: str, host: Host, pools: Pools, rng: _Rng, start: float, end: float) -> TruthNoise:
    category, block = rng.choice(pools.one_off)
    at = rng.uniform(start + HOUR, end - HOUR)
    for j, msg in enumerate(block):
        host.lines.append((at + j * 0.01, freshen(msg, rng, at)))
    return TruthNoise(id=ident, kind="one_off", category=category, hosts=[host.name], at=at,
                      lines=len(block))


def build(pools: Pools, scale: Scale, *, seed: int, start: float, interval_s: float,
          min_hosts: int = 3) -> tuple[list[Host], GroundTruth]:
    """The whole replay: hosts with their time-stamped lines, and the ground truth."""
    hosts = build_fleet(pools, scale, seed, start)
    lay_background(hosts, pools, scale, seed, start)
    incidents, noise = lay_incidents(hosts, pools, scale, seed, start, min_hosts)
    end = start + scale.days * DAY
    for host in hosts:
        # Stable on time alone: lines logged in the same microsecond keep their order.
        host.lines = sorted(((at, msg) for at, msg in host.lines if start <= at < end), key=lambda line: line[0])
    mix = {name: sum(h.profile == name for h in hosts) for name, _, _ in PROFILES}
    truth = GroundTruth(seed=seed, hosts=len(hosts), days=scale.days, start=start, end=end, interval_s=interval_s,
                        mix=mix, min_hosts=min_hosts, incidents=incidents, noise=noise, sources=pools.files)
    return hosts, truth
