"""What following findings costs the runner.

Two figures, each a ratio or a scaling measured in one process:

* **Overhead**: the runner's CPU time over the same spool with findings tracking and with its
  hooks (``FindingTracker.verdict`` and ``sweep``) replaced by no-ops. The spool is a simulated
  fleet on a simulated clock: each host's delta per pass is the next slice of a real healthy boot
  log from ``../shared`` (``dmesg-real/noise``, lines in order, uptime rewritten to the pass), and a
  third of the hosts also log signal lines with fresh numbers on every line: corrected errors on
  the host's own DIMM at a new page, NVMe timeouts with new command ids, NIC link flaps, and an
  uncorrected error on a few. The two runs alternate twice; the lower CPU time of each counts.
* **Sweep**: the cycle's findings upkeep (snoozes, reminders, suppressions, alerts, retention)
  against the number of open findings, median of several sweeps.

``python -m benchmarks.findings [--tiny] [--out DIR]``
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._common import fmt, md_table, parse_args, shared_dir, write_result
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import Sighting
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.sources import build_sources
from tasseograph.runner.state import State
from tasseograph.runner.tracking import FindingTracker
from tasseograph.runner.worker import Runner

SEED = 20261207
T0 = 1_796_600_000.0
PASS_S = 300.0
NOISE_LINES = 40
"""Healthy boot-log lines per host per pass."""
FULL = {"hosts": 200, "passes": 12, "sweep_sizes": (100, 1_000, 5_000), "sweeps": 5, "repeats": 2}
TINY = {"hosts": 8, "passes": 3, "sweep_sizes": (10, 50), "sweeps": 2, "repeats": 1}


def noise_lines() -> list[str]:
    """The messages of the real healthy boot logs, in order (their stamps are rewritten per pass)."""
    out = []
    for path in sorted((shared_dir() / "datasets" / "dmesg-real" / "noise").glob("*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            message = line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line
            if message.strip():
                out.append(message)
    return out


def signal_lines(rng: random.Random, host: int, kind: str) -> list[str]:
    """Fresh signal lines of one kind for one host (new page, command id, count on every line)."""
    dimm = f"CPU_SrcID#{host % 2}_Ha#0_Chan#{host % 4}_DIMM#{host % 3}"
    if kind == "ce":
        return [f"EDAC MC{host % 2}: 1 CE memory read error on {dimm} (channel:{host % 4} slot:{host % 3} "
                f"page:0x{rng.randrange(1 << 20):x} offset:0x{rng.randrange(4096):x} grain:32 syndrome:0x0)"
                for _ in range(rng.randint(1, 4))]
    if kind == "nvme":
        return [f"nvme nvme{host % 4}: I/O {rng.randrange(1024)} QID {rng.randrange(1, 64)} timeout, aborting"]
    if kind == "link":
        nic = f"ixgbe 0000:{host % 256:02x}:00.{host % 2} eth{host % 2}"
        return [f"{nic}: NIC Link is Down", f"{nic}: NIC Link is Up 10 Gbps, Flow Control: RX/TX"]
    return [f"EDAC MC0: 1 UE memory read error on {dimm} (channel:0 slot:0 page:0x{rng.randrange(1 << 20):x} "
            "offset:0x0 grain:32 syndrome:0x0)"]


def spool_plan(hosts: int, passes: int) -> list[list[tuple[str, str]]]:
    """Per pass, (host, text) of every host's delta (the same plan for both runs)."""
    rng = random.Random(SEED)
    noise = noise_lines()
    plan = []
    for p in range(passes):
        files = []
        for h in range(hosts):
            start = (h * 997 + p * NOISE_LINES) % max(1, len(noise) - NOISE_LINES)
            messages = noise[start:start + NOISE_LINES]
            if h % 3 == 0:
                kind = "ue" if h % 30 == 0 and p == passes // 2 else rng.choice(["ce", "ce", "nvme", "link"])
                messages = messages[:20] + signal_lines(rng, h, kind) + messages[20:]
            uptime = 1000.0 + p * PASS_S
            files.append((f"host-{h:04d}", "".join(f"[{uptime + i * 0.01:12.6f}] {m}\n" for i, m in enumerate(messages))))
        plan.append(files)
    return plan


def config(root: Path) -> RunnerConfig:
    return RunnerConfig().with_overrides({
        "state": str(root / "state.db"), "sources.spool.dir": str(root / "spool"), "sources.spool.settle": 0,
        "polling.adaptive": False, "retry.base": 0.0, "retry.max": 0.0, "retention": "30d"})


def replay(plan: list[list[tuple[str, str]]], *, tracking: bool) -> tuple[float, int, int]:
    """CPU seconds of the runner's cycles over ``plan``, verdicts stored, findings at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = config(root)
        clock = {"now": T0}
        runner = Runner(cfg, State(cfg.state), build_sources(cfg), clock=lambda: clock["now"])
        if not tracking:
            runner.tracker.verdict = lambda *_args, **_kwargs: []  # type: ignore[method-assign]
            runner.tracker.sweep = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
        cpu, verdicts = 0.0, 0
        for files in plan:
            clock["now"] += PASS_S
            for host, text in files:
                folder = root / "spool" / host
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{int(clock['now'])}.log").write_text(text, encoding="utf-8")
            started = time.process_time()
            report = asyncio.run(runner.cycle())
            cpu += time.process_time() - started
            verdicts += report.analysed
        (findings,) = runner.state.conn.execute("SELECT COUNT(*) FROM findings").fetchone()
        runner.state.close()
    return cpu, verdicts, int(findings)


def sweep_ms(open_findings: int, sweeps: int) -> float:
    """Median milliseconds of one sweep over ``open_findings`` open findings (a tenth of them firing)."""
    with tempfile.TemporaryDirectory() as tmp:
        state = State(Path(tmp) / "state.db")
        tracker = FindingTracker(config(Path(tmp)).alerts.rules())
        with state.transaction() as conn:
            tracker.sightings(conn, list(_sightings(open_findings)), T0)
        times = []
        for i in range(sweeps):
            with state.transaction() as conn:
                started = time.process_time()
                tracker.sweep(conn, T0 + 60 * (i + 1))
                times.append(time.process_time() - started)
        state.close()
    return statistics.median(times) * 1000


def _sightings(n: int) -> Iterator[Sighting]:
    for i in range(n):
        key = FindingKey.make(f"host-{i // 5:04d}", "storage", "nvme.timeout", device={"nvme": f"nvme{i % 5}"})
        yield Sighting(key, "critical" if i % 10 == 0 else "warning", "NVMe command timeout",
                       f"nvme nvme{i % 5}: I/O {i} QID 3 timeout, aborting", T0)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    size: dict[str, Any] = TINY if args.tiny else FULL
    plan = spool_plan(size["hosts"], size["passes"])
    runs: dict[bool, list[float]] = {True: [], False: []}
    verdicts = findings = 0
    for _ in range(size["repeats"]):
        for tracking in (True, False):
            cpu, verdicts, found = replay(plan, tracking=tracking)
            runs[tracking].append(cpu)
            findings = found if tracking else findings
    with_s, without_s = min(runs[True]), min(runs[False])
    sweeps = {n: sweep_ms(n, size["sweeps"]) for n in size["sweep_sizes"]}
    payload = {
        "tiny": args.tiny, "input": f"{size['hosts']} hosts x {size['passes']} passes of {NOISE_LINES} real healthy "
                                    "boot-log lines each, signal lines with fresh numbers on a third of the hosts",
        "hosts": size["hosts"], "passes": size["passes"], "verdicts": verdicts, "findings": findings,
        "cpu_s_with_tracking": round(with_s, 3), "cpu_s_without_tracking": round(without_s, 3),
        "overhead_ratio": round(with_s / without_s, 3) if without_s else None,
        "tracking_ms_per_verdict": round((with_s - without_s) / verdicts * 1000, 3) if verdicts else None,
        "sweep_ms_by_open_findings": {str(n): round(ms, 2) for n, ms in sweeps.items()},
    }
    rows = [["runner CPU s, findings tracked", fmt(with_s)], ["runner CPU s, tracking off", fmt(without_s)],
            ["ratio (with / without)", fmt(payload["overhead_ratio"])],
            ["tracking ms per verdict", fmt(payload["tracking_ms_per_verdict"])],
            ["verdicts / findings at the end", f"{verdicts} / {findings}"]]
    rows += [[f"sweep ms, {n:,} open findings", fmt(ms)] for n, ms in sweeps.items()]
    markdown = (f"# Findings: what tracking costs the runner\n\nInput: {payload['input']} "
                f"(`benchmarks/findings.py`). CPU time (`time.process_time`) of the same process, the lower of "
                f"{size['repeats']} alternating runs each.\n\n" + md_table(["figure", "value"], rows))
    write_result(args.out, "findings", payload, markdown)


if __name__ == "__main__":
    main()
