"""The deterministic signal catalogue: kernel lines that show hardware degradation.

The catalogue is data (``tasseograph/data/signals.toml`` and ``noise.toml``), validated here
with pydantic. Two paths use it:

- ``detect(lines)`` judges one delta: it classifies lines, groups multi-line records and
  repeats into one episode per (signal, device), counts ``N callbacks suppressed`` as repeats,
  escalates by count or by decoded content, and closes episodes on recovery lines.
- ``scan(messages)`` is the bulk path for millions of lines: one RE2 pass (pyarrow) with the
  alternation of every pattern finds candidate lines; only those are then classified, by
  bisecting the entry list with RE2 passes over the candidates.

Each hit names the device it is about (``SignalHit.device``, keys from ``tasseograph.devices``),
and episodes of one signal on different devices are kept apart.

A line belongs to the first catalogue entry whose pattern matches it (``classify`` is the
one-message Python form of the same rule). ``detect`` takes its line classes from ``scan``,
so the per-delta and the bulk paths agree on which lines are signal lines by construction;
the tests also check the Python and RE2 engines agree on every example and the dev set.

Every path matches text folded by ``textnorm.fold`` (look-alike letters, zero-width and other
invisible characters folded away), so a disguised ``ЕDAC`` line is still a signal; evidence keeps
the line as received and ``SignalHit.normalized`` says when folding was needed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tasseograph import devices
from tasseograph.schema import Category, KernelLine, Severity
from tasseograph.textnorm import fold, fold_array

CONTEXT_BEFORE = 3
"""How many lines before a signal line may belong to its record (headers printed first)."""
SUPPRESSED_REACH = 2
"""A ``N callbacks suppressed`` line counts for a signal line at most this many lines later."""
MAX_EVIDENCE = 5

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_SUPPRESSED = re.compile(r"\b(\d+) callbacks suppressed")
_UPTIME = re.compile(r"\[\s*(\d+\.\d+)\]")


# --- the data-file contract -------------------------------------------------------------


def _check_patterns(patterns: list[str]) -> list[str]:
    for p in patterns:
        if p.startswith("(?i)"):
            raise ValueError(f"use a scoped flag (?i:...), not a leading (?i): {p!r}")
        re.compile(p)
    return patterns


class SignalSpec(BaseModel):
    """One catalogue entry (a table ``[[signal]]`` in ``signals.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: Category
    severity: Severity
    """Severity of one occurrence; grouping, rate, decoding and recovery may change it."""
    summary: str
    """Short operator-facing description."""
    patterns: list[str] = Field(min_length=1)
    """RE2-compatible regexes, searched (not anchored) in the message."""
    examples: list[str] = Field(min_length=1)
    """Real-looking lines that must match."""
    ref: str = ""
    """Research catalogue id(s) this entry implements."""
    escalate_at: int | None = Field(default=None, ge=2)
    """Episode count (lines plus suppressed repeats) at which it becomes critical."""
    window_s: float | None = Field(default=None, gt=0)
    """With ``escalate_at``: only repeats within this many seconds count (when uptimes are known)."""
    critical_if: list[str] = Field(default_factory=list)
    """Any episode line (context included) matching one of these makes it critical."""
    decode: Literal["mci_status"] | None = None
    """Decoder applied to the named group ``status`` of the matching pattern."""
    resolve: list[str] = Field(default_factory=list)
    """Recovery lines that close an open episode."""
    resolved_severity: Severity | None = None
    """Severity once a recovery line closed the episode (None: unchanged)."""
    context: list[str] = Field(default_factory=list)
    """Continuation lines of the record (register dumps, call traces, sense data); named groups
    that are device keys fill those keys when the signal line itself does not name them."""
    fields: list[str] = Field(default_factory=list)
    """Device keys found by the vocabulary's generic extractors (``devices.toml``), beside the
    patterns' named groups; together they make the hit's ``device`` dict."""
    example_device: dict[str, str] = Field(default_factory=dict)
    """The device dict the first example must yield (tested)."""
    group: Literal["device", "signal"] = "device"
    """One episode per device, or one per delta for the whole signal."""
    absorbs: list[str] = Field(default_factory=list)
    """Ids whose episodes on the same device are merged into this one."""
    min_uptime_s: float | None = None
    """Episodes wholly earlier than this (seconds since boot, when known) are boot noise."""
    critical_with: list[str] = Field(default_factory=list)
    """Ids whose presence in the same delta makes this episode critical (co-occurrence)."""
    critical_also: list[Category] = Field(default_factory=list)
    """Further categories a critical episode belongs to (a hung task in the I/O path is storage too)."""
    min_count: int = Field(default=1, ge=1)
    """Episodes with a smaller count are not reported (e.g. one corrected error is not recurring)."""

    @field_validator("patterns", "critical_if", "resolve", "context")
    @classmethod
    def _valid_patterns(cls, v: list[str]) -> list[str]:
        return _check_patterns(v)

    @model_validator(mode="after")
    def _decoder_has_group(self) -> SignalSpec:
        if self.decode and not any("(?P<status>" in p for p in self.patterns):
            raise ValueError(f"{self.id}: decode needs a pattern with a (?P<status>...) group")
        return self

    @model_validator(mode="after")
    def _device_keys_known(self) -> SignalSpec:
        known = set(devices.device_key_names())
        groups = {g for p in self.patterns + self.context for g in re.compile(p).groupindex} - {"status"}
        unknown = sorted((groups | set(self.fields) | set(self.example_device)) - known)
        if unknown:
            raise ValueError(f"{self.id}: unknown device key(s) {unknown}; the vocabulary is {sorted(known)}")
        undeclared = sorted(set(self.example_device) - devices.declared_keys(self.patterns, self.fields))
        if undeclared:
            raise ValueError(f"{self.id}: example_device names {undeclared}, which no named group or field fills")
        devices.extractor(tuple(self.fields))  # every field has a generic extractor
        return self


class NoiseSpec(BaseModel):
    """One known-boring entry (a table ``[[noise]]`` in ``noise.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    summary: str
    """Why it is benign."""
    patterns: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)
    ref: str = ""

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, v: list[str]) -> list[str]:
        return _check_patterns(v)


class _SignalFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signal: list[SignalSpec]


class _NoiseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    noise: list[NoiseSpec]


DATA_DIR = Path(__file__).resolve().parent / "data"
"""Where the catalogue files live (package data)."""


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def load_signals() -> tuple[SignalSpec, ...]:
    """The signal catalogue, in match order (validated; cached)."""
    specs = tuple(_SignalFile.model_validate(_read_toml("signals.toml")).signal)
    ids = [s.id for s in specs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"signals.toml: duplicate ids {dupes}")
    unknown = sorted({a for s in specs for a in s.absorbs + s.critical_with} - set(ids))
    if unknown:
        raise ValueError(f"signals.toml: absorbs / critical_with name unknown ids {unknown}")
    return specs


@cache
def load_noise() -> tuple[NoiseSpec, ...]:
    """The known-boring catalogue (validated; cached)."""
    return tuple(_NoiseFile.model_validate(_read_toml("noise.toml")).noise)


# --- compiled matchers --------------------------------------------------------------------


def _alternation(patterns: Sequence[str]) -> str:
    # Named groups would clash across entries; the combined pattern only answers "any?".
    return "|".join("(?:" + _NAMED_GROUP.sub("(?:", p) + ")" for p in patterns)


RE2_GROUP_SIZE = 100
"""Patterns per RE2 alternation pass. One alternation of all 200 noise patterns overflows RE2's
DFA budget on boot-log text and falls back to the NFA (measured: 0.99 s vs 0.07 s for two
passes of 100 on 200 k boot-log lines), so large alternations are split and their masks OR-ed."""


def _alternations(patterns: Sequence[str]) -> tuple[str, ...]:
    return tuple(_alternation(patterns[i : i + RE2_GROUP_SIZE]) for i in range(0, len(patterns), RE2_GROUP_SIZE))


def _any(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile(_alternation(patterns), re.ASCII) if patterns else None


@dataclass(frozen=True)
class _Entry:
    spec: SignalSpec
    patterns: tuple[re.Pattern[str], ...]
    context: re.Pattern[str] | None
    context_device: tuple[re.Pattern[str], ...]
    """Context patterns with device-key named groups."""
    resolve: re.Pattern[str] | None
    critical_if: re.Pattern[str] | None
    device: devices.DeviceExtractor


@dataclass(frozen=True)
class _Matcher:
    entries: tuple[_Entry, ...]
    by_id: dict[str, _Entry]
    signal_re2: str
    """Alternation of every signal pattern (RE2 and Python both accept it)."""
    signal_any: re.Pattern[str]
    resolve_any: re.Pattern[str] | None
    noise_re2: tuple[str, ...]
    noise_any: re.Pattern[str]


@cache
def _matcher() -> _Matcher:
    entries = tuple(
        _Entry(
            spec=s,
            patterns=tuple(re.compile(p, re.ASCII) for p in s.patterns),
            context=_any(s.context),
            context_device=tuple(re.compile(p, re.ASCII) for p in s.context if _NAMED_GROUP.search(p)),
            resolve=_any(s.resolve),
            critical_if=_any(s.critical_if),
            device=devices.extractor(tuple(s.fields)),
        )
        for s in load_signals()
    )
    signal_re2 = _alternation([p for s in load_signals() for p in s.patterns])
    noise_patterns = [p for n in load_noise() for p in n.patterns]
    return _Matcher(
        entries=entries,
        by_id={e.spec.id: e for e in entries},
        signal_re2=signal_re2,
        signal_any=re.compile(signal_re2, re.ASCII),
        resolve_any=_any([p for s in load_signals() for p in s.resolve]),
        noise_re2=_alternations(noise_patterns),
        noise_any=re.compile(_alternation(noise_patterns), re.ASCII),
    )


CLASSIFY_MEMO = 1 << 16
"""Messages whose catalogue entry is remembered: a delta's lines are classified by several
stages (detect, the pre-filter, the baseline, novelty), and hosts repeat their messages."""


@lru_cache(maxsize=CLASSIFY_MEMO)
def _classify(message: str) -> tuple[_Entry, re.Match[str]] | None:
    """The first catalogue entry whose pattern matches, with the match."""
    m = _matcher()
    if not m.signal_any.search(message):
        return None
    return _classify_candidate(message)


def _classify_candidate(message: str) -> tuple[_Entry, re.Match[str]] | None:
    for entry in _matcher().entries:
        for pattern in entry.patterns:
            found = pattern.search(message)
            if found:
                return entry, found
    return None


def classify(message: str) -> str | None:
    """The id of the catalogue signal ``message`` shows (matched as ``textnorm.fold`` folds it), or None."""
    hit = _classify(fold(message))
    return hit[0].spec.id if hit else None


def classify_unfolded(message: str) -> str | None:
    """Like ``classify``, on the text exactly as given (no ``textnorm.fold``)."""
    hit = _classify(message)
    return hit[0].spec.id if hit else None


@lru_cache(maxsize=CLASSIFY_MEMO)
def is_boring(message: str) -> bool:
    """True when the message is known-boring noise (ACPI chatter, systemd, USB, init).

    A message that also matches a signal is never boring. Matched as ``textnorm.fold`` folds it.
    """
    message = fold(message)
    return bool(_matcher().noise_any.search(message)) and _classify(message) is None


# --- decoders -----------------------------------------------------------------------------

MCI_STATUS_UC = 1 << 61
"""MCi_STATUS bit 61: the error was not corrected (arch/x86/include/asm/mce.h)."""


def _mci_status_critical(found: re.Match[str]) -> bool:
    return bool(int(found.group("status"), 16) & MCI_STATUS_UC)


_DECODERS: dict[str, Callable[[re.Match[str]], bool]] = {"mci_status": _mci_status_critical}


def _decoded_critical(entry: _Entry, message: str) -> bool:
    decoder = _DECODERS[entry.spec.decode] if entry.spec.decode else None
    for pattern in entry.patterns:
        found = pattern.search(message)
        if found and decoder and "status" in pattern.groupindex:
            return decoder(found)
    return False


# --- per-delta detection -------------------------------------------------------------------


@dataclass(frozen=True)
class SignalHit:
    """One episode of a catalogue signal in a delta (after grouping and rate escalation)."""

    signal_id: str
    category: Category
    severity: Severity
    summary: str
    evidence: tuple[str, ...]
    """Up to a few lines, verbatim (``KernelLine.evidence``), that show it."""
    line_indices: tuple[int, ...]
    """Indices into the delta's lines of every line of the episode."""
    count: int = 1
    resolved: bool = False
    """True when a recovery line closed the episode."""
    also: tuple[Category, ...] = ()
    """Further categories it belongs to (each becomes a finding of its own)."""
    normalized: bool = False
    """True when a signal line matched only once folded (``textnorm.fold``): look-alike or
    invisible characters were hiding it, which a real kernel seldom prints."""
    device: dict[str, str] = field(default_factory=dict, hash=False)
    """Which device it is about (keys from ``devices.toml``: ``dimm``, ``nvme``, ``pci``...);
    empty when the lines name none. Episodes of one signal on different devices are separate hits."""


@dataclass
class _Episode:
    entry: _Entry
    device: dict[str, str]
    """The fields every signal line of the episode agrees on (identity fields all do)."""
    lines: list[int] = field(default_factory=list)
    signal_lines: list[int] = field(default_factory=list)
    count: int = 0
    resolved: bool = False
    decoded_critical: bool = False
    absorbed_critical: bool = False
    """Critical because of a merged episode or a ``critical_with`` signal in the delta."""
    context_device: dict[str, str] = field(default_factory=dict)
    """Device keys named only by context lines (a CPER record's ``DIMM location:``)."""
    context_conflicts: set[str] = field(default_factory=set)
    """Keys whose context lines disagreed: they name no single device."""

    def hit_device(self) -> dict[str, str]:
        """The signal lines' fields, completed by the context lines' where those agree."""
        return {**self.context_device, **self.device}

    def note_context_fields(self, found: dict[str, str]) -> None:
        """Keep the device keys a context line names; a key two lines disagree on is dropped."""
        for key, value in found.items():
            if key in self.context_conflicts:
                continue
            if self.context_device.setdefault(key, value) != value:
                del self.context_device[key]
                self.context_conflicts.add(key)


def _device(entry: _Entry, message: str) -> dict[str, str]:
    found = next((m for m in (p.search(message) for p in entry.patterns) if m), None)
    return entry.device.extract(found, message)


def _uptime(line: KernelLine) -> float | None:
    # The parser fills ``monotonic``; raw text handed straight in still carries "[  12.3]".
    if line.monotonic is not None:
        return line.monotonic
    found = _UPTIME.search(line.raw)
    return float(found.group(1)) if found else None


class _Detector:
    """Walks a delta once, building episodes."""

    def __init__(self, lines: Sequence[KernelLine], entry_of: dict[int, _Entry]) -> None:
        self.lines = lines
        self.entry_of = entry_of
        self.episodes: dict[tuple[str, tuple[tuple[str, str], ...]], _Episode] = {}
        self.assigned: set[int] = set()
        self.record: _Episode | None = None
        self.suppressed: tuple[int, int] | None = None  # (line index, hidden repeats)

    def run(self) -> list[_Episode]:
        for i, line in enumerate(self.lines):
            self._line(i, line.message)
        return list(self.episodes.values())

    def _line(self, i: int, message: str) -> None:
        entry = self.entry_of.get(i)
        if entry is not None:
            self._signal(i, message, entry)
            return
        if self.record is not None and self.record.entry.context and self.record.entry.context.search(message):
            self._attach_context(self.record, i, message)
            return
        self.record = None
        found = _SUPPRESSED.search(message)
        if found:
            self.suppressed = (i, int(found.group(1)))
            return
        self._maybe_resolve(i, message)

    def _signal(self, i: int, message: str, entry: _Entry) -> None:
        spec = entry.spec
        device = _device(entry, message)
        if not device and self.record is not None and self.record.entry.spec.group == "device":
            device = dict(self.record.device)  # e.g. an ATA "res ..." line names no port
        episode = self._episode_for(entry, device)
        episode.device = devices.common(episode.device, device)
        episode.resolved = False
        episode.count += 1 + self._take_suppressed(i, episode)
        episode.signal_lines.append(i)
        if spec.decode and _decoded_critical(entry, message):
            episode.decoded_critical = True
        self._attach(episode, i)
        self._attach_before(episode, i)
        self.record = episode

    def _episode_for(self, entry: _Entry, device: dict[str, str]) -> _Episode:
        """The open episode of this signal on this device, or a new one.

        A line that names the device partly (``mlx5_core 0000:5e:00.0:`` before the netdev has a
        name, ``... 0000:5e:00.0 eth0:`` after) joins the episode it agrees with on every key
        they share; one that names another device (a different DIMM label) starts its own.
        """
        spec = entry.spec
        key = (spec.id, devices.identity(device) if spec.group == "device" else ())
        episode = self.episodes.get(key)
        if episode is None and key[1]:
            same = (e for (sid, _), e in self.episodes.items() if sid == spec.id and devices.same_device(e.device, device))
            episode = next(same, None)
        if episode is None:
            episode = self.episodes[key] = _Episode(entry, device)
        return episode

    def _take_suppressed(self, i: int, episode: _Episode) -> int:
        if self.suppressed is None or i - self.suppressed[0] > SUPPRESSED_REACH:
            return 0
        (where, hidden), self.suppressed = self.suppressed, None
        self._attach(episode, where)
        return hidden

    def _attach(self, episode: _Episode, i: int) -> None:
        episode.lines.append(i)
        self.assigned.add(i)

    def _attach_before(self, episode: _Episode, i: int) -> None:
        context = episode.entry.context
        for j in range(i - 1, max(-1, i - 1 - CONTEXT_BEFORE), -1):
            if j in self.assigned or context is None or not context.search(self.lines[j].message):
                return
            self._attach_context(episode, j, self.lines[j].message)

    def _attach_context(self, episode: _Episode, i: int, message: str) -> None:
        self._attach(episode, i)
        for pattern in episode.entry.context_device:
            found = pattern.search(message)
            if found:
                episode.note_context_fields(devices.named_fields(found))

    def _maybe_resolve(self, i: int, message: str) -> None:
        resolve_any = _matcher().resolve_any
        if resolve_any is None or not resolve_any.search(message):
            return
        open_eps = [e for e in self.episodes.values() if not e.resolved and e.entry.resolve]
        matching = [e for e in open_eps if e.entry.resolve and e.entry.resolve.search(message)]
        same_device = [e for e in matching if any(_names_in(name, message) for name in devices.names(e.device))]
        for episode in same_device or matching:
            episode.resolved = True
            self._attach(episode, i)


def _names_in(name: str, message: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) is not None


def _merge_absorbed(episodes: list[_Episode], lines: Sequence[KernelLine]) -> list[_Episode]:
    """Fold episodes named in another's ``absorbs`` (same device) into it."""
    gone: set[int] = set()
    for owner in episodes:
        for other in episodes:
            if other is owner or id(other) in gone or id(owner) in gone:
                continue
            same_device = devices.compatible(owner.device, other.device)
            if other.entry.spec.id in owner.entry.spec.absorbs and same_device:
                owner.lines.extend(other.lines)
                owner.signal_lines = sorted(owner.signal_lines + other.signal_lines)
                owner.absorbed_critical |= _severity(other, lines) == "critical"
                gone.add(id(other))
    return [e for e in episodes if id(e) not in gone]


def _repeats(episode: _Episode, lines: Sequence[KernelLine]) -> int:
    """The episode count, or with ``window_s`` the most signal lines within one window."""
    window = episode.entry.spec.window_s
    if window is None:
        return episode.count
    uptimes = [_uptime(lines[i]) for i in episode.signal_lines]
    if any(u is None for u in uptimes):
        return episode.count  # no clock to judge the rate by: the count alone
    known = sorted(u for u in uptimes if u is not None)
    start, best = 0, 0
    for end, t in enumerate(known):
        while t - known[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _escalated(episode: _Episode, lines: Sequence[KernelLine]) -> bool:
    spec, critical_if = episode.entry.spec, episode.entry.critical_if
    if episode.decoded_critical or episode.absorbed_critical:
        return True
    if spec.escalate_at and _repeats(episode, lines) >= spec.escalate_at:
        return True
    return critical_if is not None and any(critical_if.search(lines[i].message) for i in episode.lines)


def _severity(episode: _Episode, lines: Sequence[KernelLine]) -> Severity:
    spec = episode.entry.spec
    if episode.resolved and spec.resolved_severity:
        return spec.resolved_severity
    return "critical" if _escalated(episode, lines) else spec.severity


def _is_boot_noise(episode: _Episode, lines: Sequence[KernelLine]) -> bool:
    limit = episode.entry.spec.min_uptime_s
    if limit is None:
        return False
    uptimes = [_uptime(lines[i]) for i in episode.signal_lines]
    return all(u is not None and u < limit for u in uptimes)


def _evidence(episode: _Episode, lines: Sequence[KernelLine]) -> tuple[str, ...]:
    picked = episode.signal_lines[: MAX_EVIDENCE - 1]
    if episode.signal_lines[-1] not in picked:
        picked.append(episode.signal_lines[-1])
    return tuple(lines[i].evidence for i in picked)


def _summary(episode: _Episode) -> str:
    named = devices.describe(episode.hit_device())
    parts = [named] if named else []
    if episode.count > 1:
        parts.append(f"{episode.count}x")
    if episode.resolved:
        parts.append("recovered")
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"{episode.entry.spec.summary}{detail}"


def _hit(episode: _Episode, lines: Sequence[KernelLine], disguised: set[int]) -> SignalHit:
    severity = _severity(episode, lines)
    return SignalHit(
        signal_id=episode.entry.spec.id,
        category=episode.entry.spec.category,
        also=tuple(episode.entry.spec.critical_also) if severity == "critical" else (),
        severity=severity,
        summary=_summary(episode),
        evidence=_evidence(episode, lines),
        line_indices=tuple(sorted(set(episode.lines))),
        count=episode.count,
        resolved=episode.resolved,
        normalized=not disguised.isdisjoint(episode.signal_lines),
        device=episode.hit_device(),
    )


def detect(lines: Sequence[KernelLine]) -> list[SignalHit]:
    """Find catalogue signals in ``lines``: one hit per (signal, device) episode.

    Args:
        lines: the delta's records, in order.

    Returns:
        Hits in order of first appearance, each with its final severity (after grouping,
        rate escalation, decoding and recovery) and its raw evidence lines (as received, not
        folded).
    """
    lines, disguised = _folded(lines)
    entry_of = _line_entries([line.message for line in lines])
    episodes = _merge_absorbed(_Detector(lines, entry_of).run(), lines)
    kept = [e for e in episodes if e.count >= e.entry.spec.min_count and not _is_boot_noise(e, lines)]
    present = {e.entry.spec.id for e in kept}
    for episode in kept:
        episode.absorbed_critical |= bool(present.intersection(episode.entry.spec.critical_with))
    kept.sort(key=lambda e: min(e.lines))
    return [_hit(e, lines, disguised) for e in kept]


def _folded(lines: Sequence[KernelLine]) -> tuple[Sequence[KernelLine], set[int]]:
    """The lines with folded messages (``raw`` untouched), and which of them matched only once folded."""
    folded = [fold(line.message) for line in lines]
    changed = [i for i, (line, text) in enumerate(zip(lines, folded, strict=True)) if text != line.message]
    if not changed:
        return lines, set()
    view = list(lines)
    for i in changed:
        view[i] = lines[i].model_copy(update={"message": folded[i]})
    disguised = {i for i in changed if classify_unfolded(lines[i].message) != classify_unfolded(folded[i])}
    return view, disguised


SMALL_DELTA_LINES = 2_000
"""Below this many lines, Python's regex classifies line by line: cheaper than starting
pyarrow (whose first array conversion also imports pandas, ~0.25 s a process) for the typical
few-line delta of a cron run. Both paths give the same classes (a test checks it)."""


def _line_entries(messages: Sequence[str]) -> dict[int, _Entry]:
    """Catalogue entry of every signal line, by position."""
    if len(messages) < SMALL_DELTA_LINES:
        found = ((i, _classify(m)) for i, m in enumerate(messages))
        return {i: hit[0] for i, hit in found if hit is not None}
    result = scan(messages)
    by_id = _matcher().by_id
    return {i: by_id[sid] for i, sid in zip(result.indices, result.signal_ids, strict=True)}


# --- bulk path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """Signal lines found by ``scan`` in a bulk array of messages."""

    total: int
    """Number of messages scanned."""
    indices: tuple[int, ...]
    """Positions of the signal lines, ascending."""
    signal_ids: tuple[str, ...]
    """Catalogue id of each signal line (parallel to ``indices``)."""
    candidates: int = 0
    """Lines the RE2 pre-pass passed on to classification."""

    def mask(self) -> list[bool]:
        """One bool per scanned message: True for signal lines."""
        out = [False] * self.total
        for i in self.indices:
            out[i] = True
        return out

    def counts(self) -> dict[str, int]:
        """Signal lines per catalogue id."""
        counts: dict[str, int] = {}
        for sid in self.signal_ids:
            counts[sid] = counts.get(sid, 0) + 1
        return counts


def _as_arrow(messages: Any) -> Any:
    import pyarrow as pa

    if isinstance(messages, pa.ChunkedArray):
        return messages.combine_chunks()
    if isinstance(messages, pa.Array):
        return messages
    return pa.array(list(messages), type=pa.string())


def _regex_mask(arr: Any, pattern: str | Sequence[str]) -> Any:
    import pyarrow.compute as pc

    patterns = (pattern,) if isinstance(pattern, str) else pattern
    mask = None
    for p in patterns:
        part = pc.fill_null(pc.match_substring_regex(arr, pattern=p), False)
        mask = part if mask is None else pc.or_(mask, part)
    return mask


def _distinct(arr: Any) -> tuple[Any, Any]:
    """The texts to match and, for a dictionary-encoded array, each row's index into them.

    Matching a dictionary's values once stands for every row that repeats them.
    """
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_dictionary(arr.type):
        return arr, None
    if arr.null_count:  # a null row has no value to point at: match the rows themselves
        return arr.dictionary_decode(), None
    return arr.dictionary, np.asarray(arr.indices, dtype=np.int64)


def scan(messages: Any) -> ScanResult:
    """Classify millions of messages fast: RE2 passes only, no per-line Python regex.

    One pass with the alternation of every pattern finds the candidate lines. Each candidate
    then goes to the first catalogue entry that matches it (the same rule as ``classify``), found
    by bisecting the entry list with one RE2 pass per half over the lines still undecided.

    Args:
        messages: a ``pyarrow`` string array (or chunked array) or any sequence of str. A
            dictionary-encoded array (``arr.dictionary_encode()``) is matched one distinct
            message at a time: much faster on repetitive logs, same result.

    Returns:
        The signal lines with their catalogue ids.
    """
    import numpy as np
    import pyarrow.compute as pc

    arr = _as_arrow(messages)
    texts, rows_of = _distinct(arr)
    texts = fold_array(texts)
    hits = np.asarray(pc.indices_nonzero(_regex_mask(texts, _matcher().signal_re2)), dtype=np.int64)
    if rows_of is None:
        candidates, owner = hits, _owners_of_rows(texts, hits)
    else:
        by_text = np.full(len(texts), -1, dtype=np.int64)
        _bisect(texts.take(hits), hits, 0, len(_matcher().entries), by_text)
        owner = by_text[rows_of]
        candidates = np.flatnonzero(owner >= 0)  # every candidate text matches some entry (see _bisect)
        owner = owner[candidates]
    entries = _matcher().entries
    keep = owner >= 0
    return ScanResult(
        total=len(arr),
        indices=tuple(candidates[keep].tolist()),
        signal_ids=tuple(entries[k].spec.id for k in owner[keep].tolist()),
        candidates=len(candidates),
    )


def _owners_of_rows(arr: Any, candidates: Any) -> Any:
    """The first matching entry of each candidate row; repeated texts are classified once."""
    import numpy as np

    owner = np.full(len(candidates), -1, dtype=np.int64)
    if len(candidates):
        encoded = arr.take(candidates).dictionary_encode()
        unique_owner = np.full(len(encoded.dictionary), -1, dtype=np.int64)
        _bisect(encoded.dictionary, np.arange(len(unique_owner)), 0, len(_matcher().entries), unique_owner)
        owner = unique_owner[np.asarray(encoded.indices, dtype=np.int64)]
    return owner


def _bisect(texts: Any, rows: Any, lo: int, hi: int, owner: Any) -> None:
    """Set ``owner[rows]`` to the first entry in ``[lo, hi)`` matching each text.

    Every text given matches some entry in ``[lo, hi)``: the candidates matched the whole
    alternation, and a text sent right matched no entry of the left half.
    """
    if len(rows) == 0:
        return
    if hi - lo == 1:
        owner[rows] = lo
        return
    mid = (lo + hi) // 2
    left = _regex_mask(texts, _entries_re2(lo, mid)).to_numpy(zero_copy_only=False)
    _bisect(texts.filter(left), rows[left], lo, mid, owner)
    # a row matching no entry of the left half can still match the right half
    _bisect(texts.filter(~left), rows[~left], mid, hi, owner)


@cache
def _entries_re2(lo: int, hi: int) -> str:
    return _alternation([p for e in _matcher().entries[lo:hi] for p in e.spec.patterns])


def signal_mask(messages: Any) -> list[bool]:
    """One bool per message: does it match any catalogue signal (bulk path)."""
    return scan(messages).mask()


def boring_mask(messages: Any, *, scanned: ScanResult | None = None) -> list[bool]:
    """One bool per message: is it known-boring noise (and no signal) (bulk path).

    Pass ``scanned`` (``scan`` of the same messages) when you have it, to skip a second scan.
    A dictionary-encoded array is matched one distinct message at a time, as in ``scan``.
    """
    import numpy as np

    arr = _as_arrow(messages)
    texts, rows_of = _distinct(arr)
    texts = fold_array(texts)
    noise = np.asarray(_regex_mask(texts, _matcher().noise_re2).to_numpy(zero_copy_only=False), dtype=bool)
    if rows_of is not None:
        noise = noise[rows_of]
    signals = (scanned if scanned is not None else scan(arr)).indices
    noise[np.asarray(signals, dtype=np.int64)] = False
    return noise.tolist()
