"""When an open finding resolves by itself, and when it does not.

Absence is not resolution: a kernel line that stops appearing only means nobody repeated it. At
every check of a host (a verdict on its new lines) each of its open findings is re-checked and
judged one of three ways (``FindingRecord.judgement``):

* ``present``: the check carried it again.
* ``resolved``: evidence says it cleared, either
  - a **recovery line**: the catalogue's own recovery line for its signal (``resolve`` in
    ``signals.toml``), naming its device, after its last sighting, for the signals
    ``data/resolution.toml`` lists with ``recovery = true`` (NIC or slot link up, temperature
    normal, path reinstated...); matched on the line as received, so look-alike characters
    cannot fake one; or
  - a **clean re-check**: a *warning* whose signal allows it, absent from ``clean_checks`` checks
    of its host that read new lines, and not seen for ``quiet`` seconds: the host is alive and
    its log is read, and the fault is gone from it.
* ``uncertain``: absent, without such evidence (a critical finding with no recovery line; too
  few clean checks; or a host that sent nothing for ``uncertain_after``). It stays open until
  the evidence comes or an operator resolves it (``findings resolve``).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tasseograph import devices
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.lifecycle import resolve
from tasseograph.findings.record import SYSTEM_ACTOR, FindingEvent, FindingRecord
from tasseograph.schema import KernelLine
from tasseograph.signals import load_signals

RESOLUTION_FILE = Path(__file__).resolve().parent.parent / "data" / "resolution.toml"
"""How findings of each catalogue signal resolve (package data)."""


class ResolutionRule(BaseModel):
    """One ``[[rule]]`` of ``resolution.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: list[str]
    """Signal ids or shell-style patterns."""
    recovery: bool = False
    """The signal's recovery lines resolve its findings."""
    clean_recheck: bool | None = None
    """False: never by a clean re-check; None: warnings only."""
    why: str
    example: tuple[str, str] | None = None
    """A signal line and the recovery line that resolves its finding (tested)."""


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: list[ResolutionRule]


@cache
def load_rules() -> tuple[ResolutionRule, ...]:
    """The rules of ``resolution.toml`` in file order (validated: recovery rules name signals that have recovery lines).

    Raises:
        ValueError: a rule names an unknown signal, or asks for recovery where the catalogue has no recovery line.
    """
    rules = tuple(_RuleFile.model_validate(tomllib.loads(RESOLUTION_FILE.read_text(encoding="utf-8"))).rule)
    specs = {s.id: s for s in load_signals()}
    for rule in rules:
        for pattern in rule.signals:
            matched = [sid for sid in specs if fnmatch.fnmatchcase(sid, pattern)]
            if not matched:
                raise ValueError(f"resolution.toml: {pattern!r} names no catalogue signal")
            if rule.recovery and not all(specs[sid].resolve for sid in matched):
                raise ValueError(f"resolution.toml: {pattern!r} has no recovery line in signals.toml")
    return rules


def rule_for(signal: str) -> ResolutionRule | None:
    """The first rule whose patterns match ``signal``, or None."""
    return next((r for r in load_rules() if any(fnmatch.fnmatchcase(signal, p) for p in r.signals)), None)


def recovers(key: FindingKey) -> bool:
    """True when a recovery line can resolve findings of this key's signal."""
    rule = rule_for(key.signal)
    return rule is not None and rule.recovery


def cleans(key: FindingKey, severity: str) -> bool:
    """True when a clean re-check can resolve a finding of this key at ``severity``."""
    rule = rule_for(key.signal)
    if rule is not None and rule.clean_recheck is not None:
        return rule.clean_recheck
    return severity == "warning"


@cache
def recovery_pattern(signal: str) -> re.Pattern[str] | None:
    """The catalogue's recovery lines of ``signal`` as one pattern (None: it has none)."""
    spec = next((s for s in load_signals() if s.id == signal), None)
    if spec is None or not spec.resolve:
        return None
    return re.compile("|".join(f"(?:{p})" for p in spec.resolve), re.ASCII)


@dataclass(frozen=True)
class ResolutionSettings:
    """The clean re-check's thresholds (the runner takes them from ``[alerts]``)."""

    clean_checks: int = 3
    """Clean checks of the host since the finding was last seen."""
    quiet: float = 1800.0
    """Seconds since the finding was last seen."""
    uncertain_after: float = 86400.0
    """An open finding not seen for this long is judged ``uncertain`` even without checks (0: never)."""


@dataclass(frozen=True)
class Check:
    """One check of a host's new lines, as the re-check of its open findings sees it."""

    at: float
    lines: int
    """Lines the check read (a check of nothing proves nothing)."""
    seen: frozenset[str] = frozenset()
    """Ids of the findings it carried."""
    recovered: frozenset[str] = field(default_factory=frozenset)
    """Ids of the findings whose recovery line came after their last sighting in it."""


def recheck(record: FindingRecord, check: Check, settings: ResolutionSettings) -> list[FindingEvent]:
    """Judge one open finding at a check of its host; the move it causes, if any."""
    if not record.is_open:
        return []
    if record.id in check.recovered and recovers(record.key):
        return [resolve(record, reason="recovery", by=SYSTEM_ACTOR, note="the kernel logged its recovery line",
                        now=check.at)]
    if record.id in check.seen:
        record.judgement, record.judged_at = "present", check.at
        return []
    if check.lines == 0:
        return []
    record.clean_checks += 1
    record.judgement, record.judged_at = "uncertain", check.at
    quiet_for = check.at - record.last_seen
    if cleans(record.key, record.severity) and record.clean_checks >= settings.clean_checks \
            and quiet_for >= settings.quiet:
        note = f"absent from {record.clean_checks} checks of its host over {quiet_for / 3600:.1f} h"
        return [resolve(record, reason="clean_recheck", by=SYSTEM_ACTOR, note=note, now=check.at)]
    return []


def recovered(lines: Sequence[KernelLine], records: Iterable[FindingRecord],
              last_sighting: Mapping[str, int]) -> frozenset[str]:
    """Ids of open findings whose recovery line, naming their device, follows their last sighting.

    Args:
        lines: the check's lines.
        records: the host's open findings.
        last_sighting: finding id to the index of its last line in ``lines`` (absent: not in them).
    """
    candidates = [(r, recovery_pattern(r.key.signal)) for r in records if r.is_open and recovers(r.key)]
    watched = [(r, p) for r, p in candidates if p is not None]
    if not watched:
        return frozenset()
    found: set[str] = set()
    for i, line in enumerate(lines):
        for record, pattern in watched:
            if i > last_sighting.get(record.id, -1) and pattern.search(line.message) \
                    and _names_device(line.message, record.key):
                found.add(record.id)
    return frozenset(found)


def _names_device(message: str, key: FindingKey) -> bool:
    names = devices.names(key.device_dict)
    return not names or any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", message) for n in names)
