"""The real kernel lines the replay is made of, read from ``../shared`` (nothing is copied here).

Every pool holds messages exactly as captured (the dmesg/syslog stamp removed); ``freshen``
later changes only volatile numbers in them (see ``schedule.py``). Which file feeds which pool:

* ``boots``: the healthy whole boot logs (``dmesg-real/noise/``, index says no hardware problem).
* ``benign``: lines judged ok: every line of the dev set's ok cases, the healthy boot logs'
  lines after their first minute, Loghub Linux's kernel lines and Loghub BGL's ``KERNEL INFO``
  lines labelled normal (corrected-memory and parity lines left out: the project's policy calls
  those warnings).
* ``link``: NIC ``Link is Down`` / ``Link is Up`` pairs of one interface, as one capture logged
  them (boot logs, dev set).
* ``ce_blocks`` / ``ue_lines``: EDAC corrected-error records (with their machine-check header
  lines when the capture has them) and the uncorrected-error line, from the dev set and the
  research catalogue.
* ``reset_block``: an NVMe controller reset and its re-initialisation (dev set).
* ``one_off``: single real warnings (a corrected AER error, a thermal throttle, an ATA exception
  that recovered, a soft lockup), from the dev set's evidence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tasseograph.parsing import parse_delta

_BGL_WARNING = re.compile(r"ddr|parity|CE sym|correctable|error", re.IGNORECASE)
_LINK_DOWN = re.compile(r"\b(?P<iface>(?:eth|eno|enp|ens)\w*):? (?:NIC )?Link is Down", re.IGNORECASE)
_LINK_UP = re.compile(r"\b(?P<iface>(?:eth|eno|enp|ens)\w*):? (?:igb: \w+ )?(?:NIC )?Link is Up", re.IGNORECASE)
_RESEARCH_CODE = re.compile(r"`([^`]+)`")
_BENIGN_AFTER_S = 60.0
_ONE_OFF_IDS = {"D-120": "network", "D-108": "thermal", "D-125": "storage", "D-126": "driver"}
_CE_IDS = ("D-101",)
_RESET_ID = "D-106"


class SourceError(Exception):
    """The shared data is missing something the replay needs."""


@dataclass
class Pools:
    """Real messages by role, and the shared files they came from."""

    boots: list[list[tuple[float, str]]] = field(default_factory=list)
    benign: dict[str, list[str]] = field(default_factory=dict)
    """Benign messages by source: ``boot``, ``dev``, ``linux``, ``bgl``."""
    link: list[tuple[str, str]] = field(default_factory=list)
    ce_blocks: list[list[str]] = field(default_factory=list)
    ue_lines: list[str] = field(default_factory=list)
    reset_block: list[str] = field(default_factory=list)
    one_off: list[tuple[str, list[str]]] = field(default_factory=list)
    """``(category, lines)``."""
    files: list[str] = field(default_factory=list)


def load_pools(shared: Path) -> Pools:
    """Read every pool from the shared data folder.

    Raises:
        SourceError: a file or a kind of line the replay needs is missing.
    """
    datasets = shared / "datasets"
    pools = Pools()
    cases = _dev_cases(datasets / "dmesg-real" / "dev.jsonl")
    _boot_logs(datasets / "dmesg-real" / "noise", pools)
    _from_cases(cases, pools)
    _loghub(datasets / "loghub", pools)
    _research(shared / "research" / "kernel_signals.md", pools)
    pools.files = sorted(set(pools.files))
    pools.benign = {k: sorted(set(v)) for k, v in sorted(pools.benign.items())}
    missing = [name for name in ("boots", "benign", "link", "ce_blocks", "ue_lines", "reset_block", "one_off")
               if not getattr(pools, name)]
    if missing:
        raise SourceError(f"{shared}: no lines found for {', '.join(missing)}")
    return pools


def _messages(text: str) -> list[tuple[float | None, str]]:
    return [(line.monotonic, line.message) for line in parse_delta(text).lines if line.message.strip()]


def _dev_cases(path: Path) -> dict[str, dict[str, object]]:
    if not path.is_file():
        raise SourceError(f"{path} not found")
    return {c["id"]: c for c in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def _boot_logs(folder: Path, pools: Pools) -> None:
    index = folder / "index.jsonl"
    if not index.is_file():
        raise SourceError(f"{index} not found")
    for entry in map(json.loads, index.read_text(encoding="utf-8").splitlines()):
        if entry["has_hardware_problem"]:
            continue
        path = folder / entry["file"]
        lines = _messages(path.read_text(encoding="utf-8", errors="surrogateescape"))
        boot = [(mono, msg) for mono, msg in lines if mono is not None]
        pools.boots.append(boot)
        pools.benign.setdefault("boot", []).extend(msg for mono, msg in boot if mono > _BENIGN_AFTER_S)
        _links([msg for _, msg in boot], pools)
        pools.files.append(str(path.relative_to(folder.parents[2])))


def _from_cases(cases: dict[str, dict[str, object]], pools: Pools) -> None:
    for case_id, case in cases.items():
        text = str(case["text"])
        label = case["label"]
        messages = [msg for _, msg in _messages(text)]
        if isinstance(label, dict) and label["status"] == "ok":
            pools.benign.setdefault("dev", []).extend(messages)
        _links(messages, pools)
        if case_id in _CE_IDS:
            pools.ce_blocks.append(messages)
        if case_id == _RESET_ID:
            start = next(i for i, m in enumerate(messages) if "controller is down" in m)
            pools.reset_block = messages[start:start + 6]
        if case_id in _ONE_OFF_IDS:
            evidence = [m for _, m in _messages("\n".join(str(e) for e in case["evidence"]))]
            pools.one_off.append((_ONE_OFF_IDS[case_id], evidence[:3]))
    pools.files.append("datasets/dmesg-real/dev.jsonl")


def _links(messages: list[str], pools: Pools) -> None:
    downs = {m.group("iface"): msg for msg in messages if (m := _LINK_DOWN.search(msg))}
    for msg in messages:
        m = _LINK_UP.search(msg)
        if m and m.group("iface") in downs and (downs[m.group("iface")], msg) not in pools.link:
            pools.link.append((downs[m.group("iface")], msg))


def _loghub(folder: Path, pools: Pools) -> None:
    linux = folder / "Linux" / "Linux_2k.log"
    bgl = folder / "BGL" / "BGL_2k.log"
    for path in (linux, bgl):
        if not path.is_file():
            raise SourceError(f"{path} not found")
    for raw in linux.read_text(encoding="utf-8").splitlines():
        if " kernel: " in raw:
            pools.benign.setdefault("linux", []).append(raw.split(" kernel: ", 1)[1].strip())
    for raw in bgl.read_text(encoding="utf-8").splitlines():
        fields = raw.split(maxsplit=9)
        if len(fields) == 10 and fields[0] == "-" and fields[7] == "KERNEL" and fields[8] == "INFO":
            message = f"RAS KERNEL INFO {fields[9].strip()}"
            if not _BGL_WARNING.search(message):
                pools.benign.setdefault("bgl", []).append(message)
    pools.files += ["datasets/loghub/Linux/Linux_2k.log", "datasets/loghub/BGL/BGL_2k.log"]


def _research(path: Path, pools: Pools) -> None:
    if not path.is_file():
        raise SourceError(f"{path} not found")
    for code in _RESEARCH_CODE.findall(path.read_text(encoding="utf-8")):
        if re.match(r"EDAC MC\d+: 1 UE memory read error on \S+ \(", code):
            pools.ue_lines.append(code)
        elif re.match(r"EDAC MC\d+: 1 CE memory read error on \S+ \(", code):
            pools.ce_blocks.append([code])
    pools.files.append("research/kernel_signals.md")
