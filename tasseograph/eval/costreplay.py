"""Replay per-host kernel logs through the runner's schedule on a simulated clock: who calls when.

The clock is the lines' own times (``eval.logdir``); nothing sleeps. What happens, as in
``tasseograph run`` (``runner/worker.py``), with the library's own stages:

1. **Delivery.** A collector hands over each host's lines once per ``interval`` (the spool's
   cadence): a line logged at ``t`` arrives at the end of its interval, cut to the runner's
   ``max_delta_bytes`` (``runner.sources.split_chunk``).
2. **Polling.** The runner's ``PollingPolicy`` sets when the host's queued lines are due: a
   healthy host every 15-30 minutes, 5 minutes for an hour after an anomaly, at once when a
   line carries a catalogue signal; lines arriving before the due time join the waiting delta.
   The runner's cycle (``polling.cycle``) rounds every decision up to its next tick.
3. **Prepare** (``stages.prepare``): signals, the pre-filter, the host's baseline (skip or
   not), lines new to the host, and with ``fold`` the host's usual lines.
4. **Calls.** The deltas of one cycle that need the model are grouped as the runner groups
   them (``batch.group_calls``) and rendered for real (``stages.render`` or
   ``batch.render_batch``: compression, folding, redaction, the prompt), once per batch size
   asked for; each call's estimated tokens are recorded (characters / 4).
5. **Judge (a stand-in).** No model is called. The verdict the runner would store is taken to
   be the catalogue's (the ``rules`` model through ``stages.run``: the runner's own fallback
   path): the LLM is assumed to flag what the catalogue flags and nothing else. That verdict
   drives adaptive polling and what the host's baseline learns (``HostBaseline.learn``, as the
   runner's ``learn_baseline``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tasseograph.baseline import BaselineSettings, HostBaseline
from tasseograph.batch import group_calls, render_batch
from tasseograph.compress import estimate_tokens, message_text, template
from tasseograph.eval.logdir import HostLines, LogDir
from tasseograph.models.rules import RulesModel
from tasseograph.parsing import parse_delta
from tasseograph.prompts import Prompt, get_prompt
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.polling import PollingPolicy
from tasseograph.runner.sources import split_chunk
from tasseograph.runner.state import Chunk
from tasseograph.signals import detect
from tasseograph.stages import Options, Prepared, Rendered, prepare, render, run

DAY_S = 86_400.0
EXPIRE_EVERY_S = DAY_S
"""How often a host's baseline drops expired templates (the runner does it on every load)."""
_DECORATION = re.compile(r"(?:  \[(?:x\d+ similar[^\]]*|new to [^\]]+|unknown to the classifier)\])+$")

EvidenceTest = Callable[[str], bool]
"""Is this message (timestamp stripped) evidence the model must read? (benchmarks only)."""


@dataclass(frozen=True)
class ReplaySettings:
    """What the replay runs: the runner's schedule and the stages' options."""

    interval_s: float = 300.0
    """How often a collector delivers each host's new lines."""
    cycle_s: float = 60.0
    """The runner's cycle: decisions happen on its ticks."""
    policy: PollingPolicy = field(default_factory=PollingPolicy)
    baseline: BaselineSettings | None = field(default_factory=BaselineSettings)
    """Per-host baselines (None: off)."""
    opts: Options = field(default_factory=lambda: Options(redact=True, fold=True))
    """Pre-filter, compression, folding, ``max_lines`` and redaction, as the runner sets them."""
    prompt: str = "triage-v1"
    batch_prompt: str = "triage-batch-v1"
    batch_sizes: tuple[int, ...] = (1,)
    """Each call list is rendered at every one of these batch sizes (hosts per call)."""
    max_delta_bytes: int = 512 * 1024

    @classmethod
    def from_config(cls, config: RunnerConfig, *, interval_s: float, baseline: bool | None = None,
                    fold: bool | None = None, batch_sizes: Sequence[int] = ()) -> ReplaySettings:
        """The runner's settings from its config; ``baseline``/``fold`` override ``[baseline]``."""
        p, m, b = config.polling, config.model, config.baseline
        use_baseline = b.enabled if baseline is None else baseline
        opts = Options(prefilter=m.prefilter, compress=m.compress, redact=m.redact, max_lines=m.max_lines,
                       fold=use_baseline and (b.fold if fold is None else fold))
        sizes = tuple(sorted({m.batch_size, *batch_sizes}))
        return cls(interval_s=interval_s, cycle_s=p.cycle or interval_s,
                   policy=PollingPolicy(p.adaptive, p.healthy_min, p.healthy_max, p.anomaly, p.anomaly_hold),
                   baseline=b.settings() if use_baseline else None, opts=opts, prompt=m.prompt,
                   batch_prompt=m.batch_prompt, batch_sizes=sizes, max_delta_bytes=config.sources.max_delta_bytes)


@dataclass(frozen=True)
class Call:
    """One model call the runner would make."""

    at: float
    hosts: tuple[str, ...]
    shares: tuple[float, ...]
    """Each host's part of the call (by its share of the prompt's log lines)."""
    system_tokens: int
    """The prefix sent with every call: the system prompt and the reply schema (a forced tool)."""
    user_tokens: int
    signal: bool
    """A catalogue signal fired in one of its deltas (such a call stays on the real-time API)."""
    nonok: int
    """Deltas of the call the stand-in judged warning or critical."""


@dataclass
class HostTally:
    """What the replay did for one host."""

    lines: int = 0
    deltas: int = 0
    calls: int = 0
    """Deltas that needed the model (one call each at batch size 1)."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Deltas answered without a call, by reason."""
    nonok: int = 0
    raw_tokens: int = 0
    """Estimated tokens of every delta as received."""
    sent_tokens: int = 0
    """Estimated tokens of the log lines in its prompts (batch size 1; 0 for skipped deltas)."""
    folded_lines: int = 0


@dataclass
class EvidenceTally:
    """Evidence lines (``EvidenceTest``) and where they went."""

    lines: int = 0
    in_prompt: int = 0
    """Reached the model: verbatim, or as the first line of its collapsed template."""
    signal_only: int = 0
    """Not in a prompt but behind a catalogue hit (merged into the verdict whatever a model says)."""
    lost: list[str] = field(default_factory=list)
    """Neither: skipped or folded away (a retention failure), as ``host: message``."""

    @property
    def retention(self) -> float | None:
        """Share of evidence lines that reached the prompt or a signal (None: no evidence)."""
        return (self.in_prompt + self.signal_only) / self.lines if self.lines else None

    @property
    def prompt_retention(self) -> float | None:
        """Share of evidence lines that reached the prompt itself."""
        return self.in_prompt / self.lines if self.lines else None


@dataclass
class Replay:
    """Everything the replay recorded."""

    settings: ReplaySettings
    calls: dict[int, list[Call]]
    """Batch size -> the calls, in time order."""
    hosts: dict[str, HostTally]
    evidence: EvidenceTally | None = None
    prompt_refs: dict[str, str] = field(default_factory=dict)
    """``single``/``batch`` -> the prompt ``id@version`` rendered."""


@dataclass
class _Waiting:
    """A host's queued lines not yet analysed (the runner's waiting delta)."""

    due: float
    data: bytes
    created: float


@dataclass
class _Host:
    """A host's runner-side state during the replay."""

    name: str
    waiting: list[_Waiting] = field(default_factory=list)
    last_check: float | None = None
    last_anomaly: float | None = None
    baseline: HostBaseline | None = None
    expired_at: float = -math.inf


@dataclass(frozen=True)
class _Sent:
    """A prepared delta that needs the model, with its stand-in verdict."""

    host: str
    prepared: Prepared
    nonok: bool


async def replay(logs: LogDir, settings: ReplaySettings, *, evidence: EvidenceTest | None = None) -> Replay:
    """Replay every host of ``logs`` under ``settings`` (see the module docstring)."""
    sim = _Simulation(settings, logs, evidence)
    await sim.run()
    return sim.result


class _Simulation:
    def __init__(self, settings: ReplaySettings, logs: LogDir, evidence: EvidenceTest | None) -> None:
        self.s = settings
        self.rules = RulesModel()
        self.prompt: Prompt = get_prompt(settings.prompt)
        self.batch_prompt: Prompt | None = (
            get_prompt(settings.batch_prompt) if any(k > 1 for k in settings.batch_sizes) else None
        )
        self.hosts = {name: _Host(name, baseline=_new_baseline(name, settings.baseline)) for name in logs.hosts}
        self.deliveries = sorted(d for h in logs.hosts.values() for d in _deliveries(h, settings.interval_s))
        refs = {"single": self.prompt.ref} | ({"batch": self.batch_prompt.ref} if self.batch_prompt else {})
        self.result = Replay(settings, {k: [] for k in settings.batch_sizes},
                             {name: HostTally(lines=len(h.lines)) for name, h in logs.hosts.items()},
                             EvidenceTally() if evidence else None, refs)
        self.evidence = evidence
        self.due: list[tuple[float, str]] = []

    async def run(self) -> None:
        pending = 0
        while pending < len(self.deliveries) or self.due:
            upcoming = self.deliveries[pending][0] if pending < len(self.deliveries) else math.inf
            soonest = self.due[0][0] if self.due else math.inf
            now = self._tick(min(upcoming, soonest))
            while pending < len(self.deliveries) and self.deliveries[pending][0] <= now:
                _, host, data = self.deliveries[pending]
                self._ingest(self.hosts[host], data, now)
                pending += 1
            await self._process(now)

    def _tick(self, t: float) -> float:
        """The runner's next cycle at or after ``t``."""
        return math.ceil(t / self.s.cycle_s - 1e-9) * self.s.cycle_s

    # --- ingest: the runner's schedule and appender ------------------------------------------

    def _ingest(self, host: _Host, data: bytes, now: float) -> None:
        policy = self.s.policy
        for piece in split_chunk(Chunk(host.name, "replay", "", data), self.s.max_delta_bytes):
            urgent = bool(policy.adaptive and detect(parse_delta(piece.data, host=host.name).lines))
            due = policy.due(host.name, host.last_check, host.last_anomaly, now, urgent=urgent)
            last = host.waiting[-1] if host.waiting else None
            if (policy.adaptive and last is not None and last.due > now
                    and len(last.data) + len(piece.data) <= self.s.max_delta_bytes):
                last.data += piece.data
                last.due = min(last.due, due)
            else:
                host.waiting.append(_Waiting(due, piece.data, now))
            heapq.heappush(self.due, (min(w.due for w in host.waiting), host.name))

    # --- analysis ----------------------------------------------------------------------------

    async def _process(self, now: float) -> None:
        names = set()
        while self.due and self.due[0][0] <= now:
            names.add(heapq.heappop(self.due)[1])
        sent: list[_Sent] = []
        for name in sorted(names):
            host = self.hosts[name]
            ready = [w for w in host.waiting if w.due <= now]
            host.waiting = [w for w in host.waiting if w.due > now]
            if host.waiting:
                heapq.heappush(self.due, (min(w.due for w in host.waiting), name))
            for w in ready:
                item = await self._analyse(host, w, now)
                if item is not None:
                    sent.append(item)
        if sent:
            self._calls(sent, now)

    async def _analyse(self, host: _Host, waiting: _Waiting, now: float) -> _Sent | None:
        delta = parse_delta(waiting.data, host=host.name)
        baseline = host.baseline
        if baseline is not None and now - host.expired_at >= EXPIRE_EVERY_S:
            baseline.expire(now)
            host.expired_at = now
        opts = dataclasses.replace(self.s.opts, baseline=baseline)
        prepared = prepare(delta, opts, now=now)
        verdict = await run(prepared, self.rules, None, opts)
        tally = self.result.hosts[host.name]
        tally.deltas += 1
        tally.raw_tokens += estimate_tokens("\n".join(line.raw for line in delta.lines))
        host.last_check = now
        if verdict.status != "ok":
            host.last_anomaly = now
            tally.nonok += 1
        if prepared.skip is not None:
            tally.skipped[prepared.skip] += 1
            self._score_evidence(prepared, None)
            return None
        if baseline is not None:
            baseline.learn(delta, verdict, now=now, hits=prepared.all_hits)
        tally.calls += 1
        return _Sent(host.name, prepared, verdict.status != "ok")

    def _calls(self, sent: list[_Sent], now: float) -> None:
        for size in self.s.batch_sizes:
            for group in group_calls(sent, size, lambda item: item.host) if size > 1 else [[x] for x in sent]:
                rendered = self._render(group)
                if size == min(self.s.batch_sizes):
                    self._tally_prompt(group, rendered)
                request = rendered.request
                weights = [max(rendered.stats(i).tokens_after, 1) for i in range(len(group))]  # type: ignore[union-attr]
                self.result.calls[size].append(Call(
                    at=now, hosts=tuple(x.host for x in group), shares=tuple(w / sum(weights) for w in weights),
                    system_tokens=estimate_tokens(request.system) + estimate_tokens(json.dumps(request.schema)),
                    user_tokens=estimate_tokens(request.user),
                    signal=any(x.prepared.hits for x in group), nonok=sum(x.nonok for x in group),
                ))

    def _render(self, group: list[_Sent]) -> Rendered:
        if len(group) > 1 and self.batch_prompt is not None:
            return render_batch([x.prepared for x in group], self.rules, self.batch_prompt, self.s.opts)
        # The rules model stands in for the API model here: only rendering, never a call.
        return render(group[0].prepared, self.rules, self.prompt, self.s.opts)

    def _tally_prompt(self, group: list[_Sent], rendered: Rendered) -> None:
        for i, item in enumerate(group):
            packed = rendered.packed[i]
            tally = self.result.hosts[item.host]
            tally.sent_tokens += packed.stats.tokens_after
            tally.folded_lines += packed.stats.folded_lines
            self._score_evidence(item.prepared, packed.lines)

    def _score_evidence(self, prepared: Prepared, prompt_lines: list[str] | None) -> None:
        if self.evidence is None or self.result.evidence is None:
            return
        tally = self.result.evidence
        caught = {i for hit in prepared.hits for i in hit.line_indices}
        shown = _shown(prompt_lines or [])
        for i, line in enumerate(prepared.delta.lines):
            message = message_text(line)
            if not self.evidence(message):
                continue
            tally.lines += 1
            if message in shown or template(message) in shown:
                tally.in_prompt += 1
            elif i in caught:
                tally.signal_only += 1
            else:
                tally.lost.append(f"{prepared.delta.host}: {message}")


def _new_baseline(host: str, settings: BaselineSettings | None) -> HostBaseline | None:
    return HostBaseline(host, settings) if settings is not None else None


def _deliveries(host: HostLines, interval_s: float) -> list[tuple[float, str, bytes]]:
    """``(arrival, host, bytes)`` per interval holding lines: each line arrives at its interval's end."""
    slots: dict[int, list[str]] = {}
    for t, raw in host.lines:
        slots.setdefault(math.floor(t / interval_s), []).append(raw)
    return [((slot + 1) * interval_s, host.host,
             ("\n".join(raws) + "\n").encode("utf-8", errors="surrogateescape")) for slot, raws in sorted(slots.items())]


def _shown(prompt_lines: Sequence[str]) -> set[str]:
    """Prompt lines without compression's decorations, and their templates."""
    bare = {_DECORATION.sub("", line) for line in prompt_lines}
    return bare | {template(line) for line in bare}


def run_replay(logs: LogDir, settings: ReplaySettings, *, evidence: EvidenceTest | None = None) -> Replay:
    """``replay`` from synchronous code."""
    return asyncio.run(replay(logs, settings, evidence=evidence))
