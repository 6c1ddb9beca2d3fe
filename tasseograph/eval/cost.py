"""Cost per host-month on your own logs: a replay's calls priced, per host, with every input stated.

``cost_report`` prices the calls ``eval.costreplay`` recorded with ``tasseograph/data/prices.toml``:

* **Tokens** are estimates (characters / 4): the prefix (system prompt and the reply schema the
  runner's Anthropic backend sends as a forced tool) and the user part, as rendered.
* **Replies**: the contract's ok reply (``{"status": "ok", "issues": []}``) for a call whose
  deltas were all ok, ``issue_tokens`` (the plan's ~100) per delta judged warning or critical;
  one lever row prices every call at the plan's flat ~100 instead.
* **Cache**: the prefix is read from the cache when a real-time call with the same prefix
  came within the cache's lifetime, written otherwise; a prefix below the model's minimum
  (``min_cache_tokens``) is never cached, as the API silently does.
* **Message Batches** (a lever the runner does not pull today): calls without a catalogue
  signal go through the Batches API at its discount, uncached, answered up to 24 h late.
* **Per host-month**: each host pays its share of every call it was in (by its share of the
  call's log lines); the sum over the host's period is scaled to a 30-day month. Hosts whose
  lines carry wall time share one period (the folder's first to last line); a host with
  monotonic stamps only (a ``dmesg`` dump) is observed from its boot to its last line. When a
  host's log begins at a boot, the calls of its first ``boot_window`` are priced apart as the
  cost of one boot (counted ``boots_per_month`` times) and the month is scaled from the rest;
  a host seen for less than ``min_steady`` after its boot has no month figure (it is listed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.compress import estimate_tokens
from tasseograph.eval.costreplay import Call, EvidenceTest, Replay, ReplaySettings, run_replay
from tasseograph.eval.logdir import HostLines, LogDir, read_logdir
from tasseograph.eval.metrics import percentile
from tasseograph.pricing import Price, get_price

SCHEMA_VERSION = 1
DAY_S = 86_400.0
MONTH_DAYS = 30.0
"""A billing month, as the plan counts it."""
OK_REPLY = '{"status": "ok", "issues": []}'
ISSUE_TOKENS = 100
"""Output tokens per delta judged warning or critical (the plan's ~100 per call)."""
FLAT_TOKENS = 100
"""The plan's flat output tokens per call."""
CACHE_TTL_S = 300.0
"""The 5-minute cache lifetime (refreshed on each hit)."""
LEVER_BATCH_HOSTS = 10
"""Hosts per call in the batching lever rows."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Spread(_Model):
    """A figure over hosts: its median, 90th percentile, maximum and mean."""

    hosts: int
    median: float | None
    p90: float | None
    max: float | None
    mean: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (all None when empty)."""
        return cls(hosts=len(values), median=percentile(values, 50), p90=percentile(values, 90),
                   max=max(values) if values else None, mean=sum(values) / len(values) if values else None)


class CostInputs(_Model):
    """Every input the figures rest on."""

    model: str
    prices: str
    """Where the prices come from and when they were read."""
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_read_usd_per_mtok: float
    cache_write_usd_per_mtok: float
    batch_discount: float
    min_cache_tokens: int | None
    interval_s: float
    """How often a collector delivers each host's new lines."""
    cycle_s: float
    polling: str
    prefilter: bool
    compress: bool
    baseline: str
    fold: bool
    max_lines: int
    redact: bool
    prompt: str
    prompt_tokens: int
    """Prefix of a one-host call: system prompt and reply schema (estimated tokens)."""
    batch_prompt: str | None
    batch_prompt_tokens: int | None
    batch_hosts: int
    """Hosts per call in the headline (the config's ``model.batch_size``)."""
    ok_reply_tokens: int
    issue_tokens: int
    judge: str
    hosts: int
    """Hosts found in the folder."""
    fleet_hosts: int
    """Hosts the fleet's monthly total is stated for."""
    boot_window_s: float
    boots_per_month: float
    min_steady_s: float


class HostCost(_Model):
    """One host's replay and bill."""

    host: str
    files: int
    lines: int
    clock: str
    """``wall`` (syslog, journal) or ``monotonic`` (a dump counted from its boot)."""
    period_days: float
    """The time the month figure is scaled from (after the boot window when it is priced apart)."""
    activity: float
    """Share of delivery intervals in that period holding at least one line."""
    deltas: int
    calls: int
    skipped: int
    nonok: int
    raw_tokens: int
    sent_tokens: int
    folded_lines: int
    usd: float
    """Over the whole replay, at the headline's levers."""
    boot_usd: float | None
    """Calls of the first ``boot_window`` after the boot its log begins at (None: it begins later)."""
    usd_per_month: float | None
    """None when the host was seen too briefly after its boot to scale a month."""


class LeverRow(_Model):
    """The fleet's cost per host-month under one set of levers, and what they assume."""

    label: str
    assumes: str
    batch_hosts: int
    message_batches: bool
    flat_replies: bool
    calls_per_host_month: float
    batched_share: float
    """Share of calls sent through Message Batches."""
    cache_hit_share: float
    """Share of calls whose prefix was read from the cache."""
    usd_per_host_month: Spread
    fleet_usd_per_month: float | None


class TokenFigures(_Model):
    """Log tokens: as received, and as sent in the prompts (estimates; prompts' own text excluded)."""

    raw: int
    sent: int
    reduction: float | None
    """raw / sent."""
    deltas: int
    calls: int
    skipped_prefilter: int
    skipped_baseline: int
    folded_lines: int
    evidence_lines: int | None = None
    evidence_retention: float | None = None
    """Share of evidence lines that reached the prompt or a catalogue signal (when measured)."""
    evidence_in_prompt: float | None = None
    evidence_lost: list[str] = Field(default_factory=list)


class CostReport(_Model):
    """``tasseograph-eval cost``'s result."""

    schema_version: int = SCHEMA_VERSION
    logdir: str
    inputs: CostInputs
    skipped_files: dict[str, str]
    activity: Spread
    """Share of intervals with a line, over the priced hosts."""
    cost: Spread
    """USD per host-month at the headline's levers, over the priced hosts."""
    unpriced: list[str]
    """Hosts seen too briefly to scale a month (listed with their boot cost)."""
    levers: list[LeverRow]
    tokens: TokenFigures
    hosts: list[HostCost]
    notes: list[str]


@dataclass(frozen=True)
class Pricing:
    """How replies and months are counted (the module docstring says why)."""

    model: str = "claude-haiku-4-5"
    issue_tokens: int = ISSUE_TOKENS
    fleet_hosts: int | None = None
    boot_window_s: float = 600.0
    boots_per_month: float = 1.0
    min_steady_s: float = 3_600.0


@dataclass(frozen=True)
class _Lever:
    label: str
    assumes: str
    batch_hosts: int
    message_batches: bool = False
    flat_replies: bool = False


@dataclass
class _Priced:
    per_host: dict[str, list[tuple[float, float]]]
    """Host -> (call time, its share of the call's USD)."""
    calls: int
    batched: int
    cache_hits: int


def cost_report(logs: LogDir, replay: Replay, pricing: Pricing | None = None) -> CostReport:
    """Price ``replay`` (recorded on ``logs``) per host-month, with every input stated."""
    pricing = pricing or Pricing()
    price = get_price(pricing.model)
    headline_k = min(replay.settings.batch_sizes)
    levers = _levers(replay, headline_k)
    priced = {lever: _price(replay.calls[lever.batch_hosts], price, pricing, lever) for lever in levers}
    periods = _periods(logs, pricing, replay.settings.interval_s)
    head = priced[levers[0]]
    hosts = [_host_cost(logs.hosts[name], replay, head, periods[name], pricing) for name in sorted(logs.hosts)]
    months = {h.host: h.usd_per_month for h in hosts}
    fleet = pricing.fleet_hosts or len(hosts)
    rows = [_lever_row(lever, priced[lever], periods, pricing, fleet) for lever in levers]
    priced_hosts = [h for h in hosts if h.usd_per_month is not None]
    return CostReport(
        logdir=str(logs.root), inputs=_inputs(replay, price, pricing, len(hosts), fleet, headline_k),
        skipped_files=logs.skipped, activity=Spread.of([h.activity for h in priced_hosts]),
        cost=Spread.of([m for m in months.values() if m is not None]),
        unpriced=[h.host for h in hosts if h.usd_per_month is None], levers=rows,
        tokens=_tokens(replay), hosts=hosts, notes=_notes(replay, price),
    )


def cost_of_logdir(root: Path | str, settings: ReplaySettings | None = None, pricing: Pricing | None = None, *,
                   evidence: EvidenceTest | None = None) -> CostReport:
    """Read, replay and price a folder of per-host kernel logs (``tasseograph-eval cost``'s work).

    ``settings`` defaults to the runner's defaults with the baseline and folding on, every 5
    minutes; ``cost_keys`` of the result gives the two figures ``fleet.json`` carries.
    """
    logs = read_logdir(root)
    return cost_report(logs, run_replay(logs, settings or ReplaySettings(), evidence=evidence), pricing)


def cost_keys(report: CostReport) -> dict[str, float | None]:
    """The two figures ``benchmarks/results/fleet.json`` carries: median and p90 USD per host-month."""
    return {"cost_per_host_month_median_usd": report.cost.median, "cost_per_host_month_p90_usd": report.cost.p90}


# --- pricing -----------------------------------------------------------------------------------


def _levers(replay: Replay, k: int) -> list[_Lever]:
    """The headline (the runner as configured, real-time API), then each lever and both."""
    realtime = "answers within the runner's cycle (real-time API)"
    late = "calls without a catalogue signal answered up to 24 h late (Message Batches, not in the runner today)"
    rows = [_Lever(f"the runner as configured ({k} host{'s' if k > 1 else ''} per call, real-time API)", realtime, k)]
    big = max(replay.settings.batch_sizes)
    if big > k:
        rows.append(_Lever(f"{big} hosts per call", f"model.batch_size = {big}: one prompt for the hosts due in "
                           f"the same cycle; {realtime}", big))
    rows.append(_Lever("Message Batches for calls without a signal", late, k, message_batches=True))
    if big > k:
        rows.append(_Lever(f"{big} hosts per call + Message Batches", f"both of the above: {late}", big,
                           message_batches=True))
    rows.append(_Lever("replies at the plan's flat 100 output tokens", "every reply ~100 tokens, ok or not "
                       "(the plan's figure; the headline sizes ok replies by the contract)", k, flat_replies=True))
    return rows


def _price(calls: Sequence[Call], price: Price, pricing: Pricing, lever: _Lever) -> _Priced:
    ok_tokens = estimate_tokens(OK_REPLY)
    out = _Priced({}, len(calls), 0, 0)
    cached_until: dict[int, float] = {}
    cacheable = price.min_cache_tokens is not None
    for call in calls:
        batched = lever.message_batches and not call.signal
        reply = FLAT_TOKENS if lever.flat_replies else (call.nonok * pricing.issue_tokens or ok_tokens)
        prefix_usd = call.system_tokens * price.input
        if cacheable and not batched and call.system_tokens >= (price.min_cache_tokens or 0):
            # One prefix per prompt size fleet-wide; a hit refreshes the lifetime.
            hit = cached_until.get(call.system_tokens, -math.inf) >= call.at
            prefix_usd = call.system_tokens * (price.cache_read if hit else price.cache_write_5m)
            cached_until[call.system_tokens] = call.at + CACHE_TTL_S
            out.cache_hits += hit
        usd = (prefix_usd + call.user_tokens * price.input + reply * price.output) / 1e6
        if batched:
            usd *= price.batch_discount
            out.batched += 1
        for host, share in zip(call.hosts, call.shares, strict=True):
            out.per_host.setdefault(host, []).append((call.at, usd * share))
    return out


@dataclass(frozen=True)
class _Period:
    start: float
    end: float
    boot_end: float | None
    """End of the boot window priced apart, when the log begins at a boot."""
    wall: bool

    @property
    def steady_s(self) -> float:
        return self.end - (self.boot_end if self.boot_end is not None else self.start)


def _periods(logs: LogDir, pricing: Pricing, interval_s: float) -> dict[str, _Period]:
    walls = [h for h in logs.hosts.values() if h.wall]
    w_start = min((h.first for h in walls), default=0.0)
    w_end = max((h.last for h in walls), default=0.0)
    out = {}
    for name, h in logs.hosts.items():
        start, end = (w_start, w_end) if h.wall else (logs.origin, h.last)
        end = max(end, start + interval_s)
        begins_at_boot = h.boot is not None and h.first - h.boot <= pricing.boot_window_s
        boot_end = (h.boot or 0.0) + pricing.boot_window_s if begins_at_boot else None
        out[name] = _Period(start, end, boot_end, h.wall)
    return out


def _month(spent: list[tuple[float, float]], period: _Period, pricing: Pricing) -> tuple[float | None, float | None]:
    """USD per month, and the boot's USD when priced apart."""
    if period.boot_end is None:
        return sum(u for _, u in spent) * MONTH_DAYS * DAY_S / (period.end - period.start), None
    boot = sum(u for t, u in spent if t <= period.boot_end)
    if period.steady_s < pricing.min_steady_s:
        return None, boot
    steady = sum(u for t, u in spent if t > period.boot_end)
    return steady * MONTH_DAYS * DAY_S / period.steady_s + boot * pricing.boots_per_month, boot


def _host_cost(h: HostLines, replay: Replay, priced: _Priced, period: _Period, pricing: Pricing) -> HostCost:
    tally = replay.hosts[h.host]
    spent = priced.per_host.get(h.host, [])
    month, boot = _month(spent, period, pricing)
    begin = period.boot_end if period.boot_end is not None else period.start
    interval = replay.settings.interval_s
    slots = {math.floor(t / interval) for t, _ in h.lines if t > begin or period.boot_end is None}
    total_slots = max(1, math.ceil((period.end - begin) / interval))
    return HostCost(
        host=h.host, files=len(h.files), lines=len(h.lines), clock="wall" if h.wall else "monotonic",
        period_days=max(period.steady_s, 0.0) / DAY_S, activity=min(1.0, len(slots) / total_slots),
        deltas=tally.deltas, calls=tally.calls, skipped=sum(tally.skipped.values()), nonok=tally.nonok,
        raw_tokens=tally.raw_tokens, sent_tokens=tally.sent_tokens, folded_lines=tally.folded_lines,
        usd=sum(u for _, u in spent), boot_usd=boot, usd_per_month=month,
    )


def _lever_row(lever: _Lever, priced: _Priced, periods: dict[str, _Period], pricing: Pricing, fleet: int) -> LeverRow:
    months = [m for name, p in periods.items() if (m := _month(priced.per_host.get(name, []), p, pricing)[0]) is not None]
    spread = Spread.of(months)
    host_months = sum(p.end - p.start for p in periods.values()) / DAY_S / MONTH_DAYS
    return LeverRow(
        label=lever.label, assumes=lever.assumes, batch_hosts=lever.batch_hosts,
        message_batches=lever.message_batches, flat_replies=lever.flat_replies,
        calls_per_host_month=priced.calls / host_months if host_months else 0.0, batched_share=priced.batched / priced.calls if priced.calls else 0.0,
        cache_hit_share=priced.cache_hits / priced.calls if priced.calls else 0.0, usd_per_host_month=spread,
        fleet_usd_per_month=spread.mean * fleet if spread.mean is not None else None,
    )


# --- what the report states ----------------------------------------------------------------------


def _inputs(replay: Replay, price: Price, pricing: Pricing, hosts: int, fleet: int, k: int) -> CostInputs:
    s = replay.settings
    p = s.policy
    polling = (f"adaptive: healthy hosts every {p.healthy_min / 60:g}-{p.healthy_max / 60:g} min, "
               f"{p.anomaly / 60:g} min for {p.anomaly_hold / 60:g} min after a warning or critical verdict, "
               "at once for a catalogue signal" if p.adaptive else "every delivery analysed at once")
    b = s.baseline
    baseline = (f"on: warm-up {b.warmup_deltas} ok deltas, {b.max_templates} templates, expiry "
                f"{b.expiry_s / DAY_S:g} d, rate factor {b.rate_factor:g}" if b is not None else "off")
    calls = replay.calls[k]
    single = next((c.system_tokens for c in calls if len(c.hosts) == 1), None)
    batch = next((c.system_tokens for size in s.batch_sizes if size > 1 for c in replay.calls[size]
                  if len(c.hosts) > 1), None)
    return CostInputs(
        model=price.id, prices=f"tasseograph/data/prices.toml, read {price.read_on}",
        input_usd_per_mtok=price.input, output_usd_per_mtok=price.output,
        cache_read_usd_per_mtok=price.cache_read, cache_write_usd_per_mtok=price.cache_write_5m,
        batch_discount=price.batch_discount, min_cache_tokens=price.min_cache_tokens, interval_s=s.interval_s,
        cycle_s=s.cycle_s, polling=polling, prefilter=s.opts.prefilter, compress=s.opts.compress, baseline=baseline,
        fold=s.opts.fold and b is not None, max_lines=s.opts.max_lines, redact=bool(s.opts.redact),
        prompt=replay.prompt_refs.get("single", s.prompt), prompt_tokens=single or 0,
        batch_prompt=replay.prompt_refs.get("batch"), batch_prompt_tokens=batch, batch_hosts=k,
        ok_reply_tokens=estimate_tokens(OK_REPLY), issue_tokens=pricing.issue_tokens,
        judge="the signal catalogue (rules) stands in for the LLM: its verdicts drive polling and what baselines learn",
        hosts=hosts, fleet_hosts=fleet, boot_window_s=pricing.boot_window_s,
        boots_per_month=pricing.boots_per_month, min_steady_s=pricing.min_steady_s,
    )


def _tokens(replay: Replay) -> TokenFigures:
    tallies = replay.hosts.values()
    raw = sum(t.raw_tokens for t in tallies)
    sent = sum(t.sent_tokens for t in tallies)
    baseline = sum(n for t in tallies for reason, n in t.skipped.items() if "baseline" in reason)
    ev = replay.evidence
    return TokenFigures(
        raw=raw, sent=sent, reduction=raw / sent if sent else None, deltas=sum(t.deltas for t in tallies),
        calls=sum(t.calls for t in tallies), skipped_prefilter=sum(sum(t.skipped.values()) for t in tallies) - baseline,
        skipped_baseline=baseline, folded_lines=sum(t.folded_lines for t in tallies),
        evidence_lines=ev.lines if ev else None, evidence_retention=ev.retention if ev else None,
        evidence_in_prompt=ev.prompt_retention if ev else None, evidence_lost=ev.lost[:20] if ev else [],
    )


def _notes(replay: Replay, price: Price) -> list[str]:
    notes = ["tokens are estimates (characters / 4), not tokenizer counts; the tool-use framing the API adds "
             "around a forced tool is not counted"]
    prefix = max((c.system_tokens for calls in replay.calls.values() for c in calls), default=0)
    if price.min_cache_tokens is not None and prefix < price.min_cache_tokens:
        notes.append(f"no cache hits: the longest prefix ({prefix} tokens) is below {price.id}'s minimum of "
                     f"{price.min_cache_tokens} cacheable tokens")
    notes.append("call caps and spend caps are not applied (they only lower the bill)")
    return notes
