"""The fleet cost model: the plan's bill reproduced, corrected, then cut lever by lever.

Three layers, each a pure function of typed inputs:

1. ``plan_bill``: the arithmetic of ``DESIGN.md``'s cost table, from its stated inputs and with
   its slips made explicit (``PlanSlips``), so the model is checked against the plan's own
   ~$3,200 a month for 600 hosts before it says anything new.
2. ``correction_ladder``: the same assumptions with the slips fixed one at a time (output
   tokens, bytes per token, the system prompt sent with every call): the corrected naive bill.
3. ``host_month_cost``: the naive bill under any set of ``Levers`` (pre-filter, compression,
   prompt caching, multi-host batching, adaptive polling, the Message Batches discount, per-host
   template baselines), driven
   by ``Measured`` figures that a replay of real per-host deltas produces
   (``benchmarks/cost_per_host_month.py``). Each result carries the evidence retention measured
   for the same pipeline settings, so no saving is reported without its price in missed lines.

Token counts of log text here are estimates (bytes per token), never tokenizer counts.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SECONDS_PER_DAY = 86_400
PipelineKey = Literal["none", "prefilter", "compress", "both", "baseline", "baseline+compress"]
"""Which local pipeline steps ran before the call (pre-filter, compression, both, neither; the
per-host baseline, which includes the pre-filter, without or with compression)."""

HAIKU_MIN_CACHE_TOKENS = 4_096
"""Shortest cacheable prompt prefix on Claude Haiku 4.5 (shorter prefixes are silently not cached)."""


class Prices(BaseModel):
    """Per-million-token prices of one model and the discounts that apply to them."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = "claude-haiku-4-5"
    input_per_mtok: float = Field(1.0, ge=0)
    output_per_mtok: float = Field(5.0, ge=0)
    cache_write_mult: float = Field(1.25, ge=0)
    """5-minute cache write, as a multiple of the input price."""
    cache_read_mult: float = Field(0.1, ge=0)
    """Cache read, as a multiple of the input price."""
    min_cache_tokens: int = Field(HAIKU_MIN_CACHE_TOKENS, ge=0)
    """Shortest prefix the provider caches; below it nothing is cached and no error is raised."""
    cache_ttl_s: float = Field(300.0, gt=0)
    """Cache lifetime without a hit (refreshed on each hit)."""
    batch_factor: float = Field(0.5, ge=0, le=1)
    """Factor on input and output prices through the Message Batches API (0.5 = half price)."""
    source: str = "research/llm_api_facts.md (defaults)"
    """Where these figures were read."""


def prices_for(model_id: str = "claude-haiku-4-5") -> Prices:
    """Prices of ``model_id`` from the project's price file (``tasseograph/data/prices.toml``).

    Falls back to the documented Haiku 4.5 defaults when the price file cannot be read, so the
    cost model still runs (the result's ``source`` says which was used).
    """
    try:
        from tasseograph.pricing import get_price

        price = get_price(model_id)
    except Exception:
        # The loader is optional here: a missing or half-built pricing module must not stop the model.
        return Prices(model_id=model_id)
    return Prices(
        model_id=price.id,
        input_per_mtok=price.input,
        output_per_mtok=price.output,
        cache_write_mult=price.cache_write_5m / price.input if price.input else 1.25,
        cache_read_mult=price.cache_read / price.input if price.input else 0.1,
        min_cache_tokens=price.min_cache_tokens if price.min_cache_tokens is not None else 0,
        batch_factor=price.batch_discount,
        source=f"tasseograph/data/prices.toml ({price.id}, read {price.read_on})",
    )


# --- 1. The plan's own arithmetic ---------------------------------------------------------


class PlanInputs(BaseModel):
    """The assumptions ``DESIGN.md`` states for its cost table."""

    model_config = ConfigDict(extra="forbid")

    hosts: int = Field(600, gt=0)
    interval_s: float = Field(300.0, gt=0)
    """A delta every 5 minutes."""
    delta_bytes: float = Field(3_000.0, gt=0)
    """3 KB average delta (the plan's ~103 M input tokens a day imply 3,000 bytes, not 3,072)."""
    output_tokens: float = Field(100.0, ge=0)
    """~100 output tokens a call."""
    days_per_month: float = Field(30.0, gt=0)

    def calls_per_day(self) -> float:
        """API calls a day across the fleet (every host, every interval)."""
        return self.hosts * SECONDS_PER_DAY / self.interval_s


class PlanSlips(BaseModel):
    """The plan table's arithmetic, slips included, so it can be reproduced and then corrected."""

    model_config = ConfigDict(extra="forbid")

    bytes_per_token: float = 5.0
    """The plan counts ~5 bytes a token of log text (tokenizers give nearer 3.5-4)."""
    output_token_factor: float = 0.1
    """The table's 1.7 M output tokens a day is 600 x 288 x 100 / 10: off by 10x."""
    output_price_factor: float = 0.5
    """The table prices 1.7 M output tokens at ~$4.25, i.e. at half the $5/M it states."""
    system_prompt_tokens: float = 0.0
    """The plan sends no system prompt with its calls."""


class Bill(BaseModel):
    """A fleet's daily and monthly bill, line by line as the plan's table lays it out."""

    label: str
    hosts: int
    calls_per_day: float
    input_tokens_per_day: float
    output_tokens_per_day: float
    input_usd_per_day: float
    output_usd_per_day: float
    usd_per_day: float
    usd_per_month: float
    usd_per_host_month: float


def plan_bill(plan: PlanInputs, prices: Prices, slips: PlanSlips, *, label: str = "plan") -> Bill:
    """The naive bill (every delta sent whole, every interval) under ``slips``' arithmetic."""
    calls = plan.calls_per_day()
    input_tokens = calls * (plan.delta_bytes / slips.bytes_per_token + slips.system_prompt_tokens)
    output_tokens = calls * plan.output_tokens * slips.output_token_factor
    input_usd = input_tokens / 1e6 * prices.input_per_mtok
    output_usd = output_tokens / 1e6 * prices.output_per_mtok * slips.output_price_factor
    per_day = input_usd + output_usd
    per_month = per_day * plan.days_per_month
    return Bill(
        label=label,
        hosts=plan.hosts,
        calls_per_day=calls,
        input_tokens_per_day=input_tokens,
        output_tokens_per_day=output_tokens,
        input_usd_per_day=input_usd,
        output_usd_per_day=output_usd,
        usd_per_day=per_day,
        usd_per_month=per_month,
        usd_per_host_month=per_month / plan.hosts,
    )


def correction_ladder(
    plan: PlanInputs, prices: Prices, *, bytes_per_token: float, system_prompt_tokens: float
) -> list[Bill]:
    """The plan's bill, then each slip fixed in turn; the last row is the corrected naive bill.

    Args:
        plan: the plan's stated assumptions.
        prices: model prices.
        bytes_per_token: the corrected bytes per token of log text (3.5-4).
        system_prompt_tokens: tokens of the system prompt (and prompt wrapper) sent with every call.
    """
    as_planned = PlanSlips()
    output_fixed = as_planned.model_copy(update={"output_token_factor": 1.0, "output_price_factor": 1.0})
    tokens_fixed = output_fixed.model_copy(update={"bytes_per_token": bytes_per_token})
    prompt_added = tokens_fixed.model_copy(update={"system_prompt_tokens": system_prompt_tokens})
    steps = [
        ("plan, as its table computes it", as_planned),
        ("output tokens x10 and priced at $5/M", output_fixed),
        (f"+ {bytes_per_token:g} bytes/token instead of 5", tokens_fixed),
        (f"+ {system_prompt_tokens:g}-token prompt with every call (corrected naive)", prompt_added),
    ]
    return [plan_bill(plan, prices, slips, label=label) for label, slips in steps]


# --- 2. Levers, driven by measured data ------------------------------------------------------


class WindowStats(BaseModel):
    """What a replay of real per-host deltas measured at one polling interval.

    Deltas of ``multiple`` x the base interval are formed by concatenating that many
    consecutive base deltas of each host stream.
    """

    model_config = ConfigDict(extra="forbid")

    multiple: int = Field(1, ge=1)
    """Polling interval as a multiple of the plan's 5 minutes."""
    deltas: int = Field(0, ge=0)
    """Deltas replayed."""
    skip_share: float = Field(0.0, ge=0, le=1)
    """Share of deltas the pre-filter answers without a model call."""
    sent_ratio: dict[PipelineKey, float]
    """Estimated tokens sent / raw tokens, over all deltas (skipped ones send 0), per pipeline."""
    retention: dict[PipelineKey, float]
    """Evidence retention per pipeline: share of non-ok cases whose evidence reaches the model or a signal."""
    realtime_share: float = Field(1.0, ge=0, le=1)
    """Share of model calls that carry a catalogue signal (kept on the real-time API)."""
    nonok_share_of_calls: float = Field(0.0, ge=0, le=1)
    """Share of model calls whose delta is labelled non-ok (drives verdict-sized replies)."""
    baseline_skip_share: float = Field(0.0, ge=0, le=1)
    """Share of deltas answered without a call under the per-host baseline (pre-filter included)."""
    baseline_realtime_share: float | None = Field(None, ge=0, le=1)
    """``realtime_share`` of the calls left under the baseline (None: not measured, use ``realtime_share``)."""
    baseline_nonok_share_of_calls: float | None = Field(None, ge=0, le=1)
    """``nonok_share_of_calls`` of the calls left under the baseline (None: use ``nonok_share_of_calls``)."""

    def under_baseline(self) -> WindowStats:
        """These stats as the baseline lever sees them: its skips and the calls it leaves."""
        return self.model_copy(
            update={
                "skip_share": self.baseline_skip_share,
                "realtime_share": self.realtime_share
                if self.baseline_realtime_share is None
                else self.baseline_realtime_share,
                "nonok_share_of_calls": self.nonok_share_of_calls
                if self.baseline_nonok_share_of_calls is None
                else self.baseline_nonok_share_of_calls,
            }
        )


class Measured(BaseModel):
    """Everything the lever arithmetic takes from measurement rather than from the plan."""

    model_config = ConfigDict(extra="forbid")

    windows: dict[int, WindowStats]
    """Replay statistics by interval multiple (1 must be present)."""
    anomaly_share: float = Field(0.0, ge=0, le=1)
    """Share of base-interval deltas that are anomalous (labelled non-ok or flagged by a signal)."""
    system_tokens: int = Field(0, ge=0)
    """Estimated tokens of the rendered system prompt (identical on every call)."""
    batch_system_tokens: int | None = Field(None, ge=0)
    """Estimated tokens of the multi-host prompt's system part (None: the same as ``system_tokens``)."""
    wrapper_tokens: int = Field(0, ge=0)
    """Estimated tokens the user message adds around the log lines (host header, delimiters)."""
    ok_reply_tokens: int = Field(10, ge=0)
    """Estimated tokens of the contract's ok reply, ``{"status": "ok", "issues": []}``."""
    fewshot_prefix_tokens: int = Field(HAIKU_MIN_CACHE_TOKENS, ge=0)
    """Prefix size when the prompt carries enough few-shot examples to be cacheable."""
    source: str = ""
    """Which datasets and which pipeline code produced these figures."""

    def with_activity(self, active_share: float) -> Measured:
        """These figures for a fleet where only ``active_share`` of 5-minute intervals have new lines.

        The plan assumes a 3 KB delta every interval; real servers are mostly silent after boot.
        An active interval keeps the plan's 3 KB (conservative), so the log volume scales with
        ``active_share``; an empty delta sends nothing and is skipped by the pre-filter. A window
        of ``m`` intervals needs a call when any of them is active.
        """
        windows = {}
        for m, w in self.windows.items():
            active = 1 - (1 - active_share) ** m
            windows[m] = w.model_copy(
                update={
                    "skip_share": 1 - active * (1 - w.skip_share),
                    "baseline_skip_share": 1 - active * (1 - w.baseline_skip_share),
                    "sent_ratio": {p: active_share * r for p, r in w.sent_ratio.items()},
                }
            )
        return self.model_copy(
            update={"windows": windows, "anomaly_share": self.anomaly_share * active_share}
        )

    def window(self, multiple: int) -> WindowStats:
        """Stats for ``multiple``, or for the largest measured multiple below it."""
        usable = [m for m in self.windows if m <= multiple]
        return self.windows[max(usable) if usable else min(self.windows)]


class Levers(BaseModel):
    """Which cost levers are on, and their settings."""

    model_config = ConfigDict(extra="forbid")

    prefilter: bool = False
    """Skip the call when the delta holds only known-boring lines."""
    compression: bool = False
    """Template, dedupe and truncate the delta before the prompt."""
    caching: bool = False
    """Mark the prompt prefix for caching (pays only when the prefix reaches the provider's minimum)."""
    fewshot_prefix: bool = False
    """Carry few-shot examples up to ``Measured.fewshot_prefix_tokens`` (so the prefix is cacheable)."""
    batch_hosts: int = Field(1, ge=1)
    """Hosts per call (multi-host batching): the prefix is paid once per call."""
    adaptive: bool = False
    """Poll healthy hosts every ``healthy_multiple`` x 5 min, anomalous ones every 5 min."""
    healthy_multiple: int = Field(6, ge=1)
    """Healthy polling interval as a multiple of 5 minutes (3 = 15 min, 6 = 30 min)."""
    hold_s: float = Field(3_600.0, ge=0)
    """How long a host stays on 5-minute polling after an anomaly."""
    message_batches: bool = False
    """Send calls without a catalogue signal through the Message Batches API (50% off, up to 24 h)."""
    sized_replies: bool = False
    """Price ok replies at the contract's ok size instead of the plan's flat ~100 tokens."""
    baseline: bool = False
    """Skip deltas made only of noise and templates the host produced in ok deltas, at their
    usual rate (``tasseograph.baseline``); includes the pre-filter (noise is part of what it accepts)."""

    def pipeline(self) -> PipelineKey:
        """The local pipeline these levers run before the call."""
        if self.baseline:
            return "baseline+compress" if self.compression else "baseline"
        if self.prefilter and self.compression:
            return "both"
        return "prefilter" if self.prefilter else "compress" if self.compression else "none"


class HostMonthCost(BaseModel):
    """The bill of one host for one month under a set of levers, with its evidence retention."""

    label: str
    levers: Levers
    deltas: float
    """Deltas the host produces (all polls)."""
    calls: float
    """Deltas that reach the model."""
    input_tokens: float
    """Uncached input tokens billed (log lines, wrapper, uncached prefix)."""
    cache_read_tokens: float
    cache_write_tokens: float
    output_tokens: float
    usd: float
    """Cost per host-month."""
    usd_fleet_month: float
    """Cost per month for the whole fleet."""
    evidence_retention: float
    """The lowest retention among the pipelines this configuration runs (must be 1.0)."""
    prefix_cached: bool
    """True when the prefix was long enough to be cached."""


class _Regime(BaseModel):
    """Share of the month a host spends at one polling interval."""

    multiple: int
    time_share: float


def fast_polling_share(anomaly_share: float, interval_s: float, hold_s: float) -> float:
    """Share of time a host spends on fast polling: P(an anomaly in the last ``hold_s``).

    Anomalies are taken as a Poisson process at the measured per-delta rate, so holds that
    overlap are not double-counted.
    """
    rate_per_s = anomaly_share / interval_s
    return 1.0 - math.exp(-rate_per_s * hold_s)


def _regimes(plan: PlanInputs, measured: Measured, levers: Levers) -> list[_Regime]:
    if not levers.adaptive or levers.healthy_multiple == 1:
        return [_Regime(multiple=1, time_share=1.0)]
    fast = fast_polling_share(measured.anomaly_share, plan.interval_s, levers.hold_s)
    return [
        _Regime(multiple=1, time_share=fast),
        _Regime(multiple=levers.healthy_multiple, time_share=1 - fast),
    ]


def host_month_cost(
    plan: PlanInputs,
    prices: Prices,
    measured: Measured,
    levers: Levers,
    *,
    bytes_per_token: float,
    output_tokens: float | None = None,
    label: str = "",
) -> HostMonthCost:
    """Cost of one host-month under ``levers``, from the plan's assumptions and measured ratios.

    The plan's delta (``delta_bytes`` every ``interval_s``) fixes the raw log volume; the
    measured ``WindowStats`` say how much of it the local pipeline still sends, how many
    deltas skip the call, and how many calls could wait for a batch.

    Args:
        plan: fleet size, interval, delta size, output tokens per call.
        prices: model prices, cache and batch terms.
        measured: replay statistics and prompt sizes.
        levers: which levers are on.
        bytes_per_token: bytes of log text per token.
        output_tokens: output tokens of a non-ok reply (default: the plan's per-call figure).
        label: a name for the row.
    """
    month_s = plan.days_per_month * SECONDS_PER_DAY
    reply_tokens = plan.output_tokens if output_tokens is None else output_tokens
    prefix = _prefix_tokens(measured, levers)
    cached = levers.caching and prefix >= prices.min_cache_tokens
    pipeline = levers.pipeline()
    totals = {"deltas": 0.0, "calls": 0.0, "log": 0.0, "out": 0.0, "batched": 0.0}
    retention = 1.0
    for regime in _regimes(plan, measured, levers):
        stats = measured.window(regime.multiple)
        if levers.baseline:
            stats = stats.under_baseline()
        deltas = month_s / (plan.interval_s * regime.multiple) * regime.time_share
        calls = deltas * (1 - stats.skip_share) if levers.prefilter or levers.baseline else deltas
        raw_tokens = regime.multiple * plan.delta_bytes / bytes_per_token
        totals["deltas"] += deltas
        totals["calls"] += calls
        totals["log"] += deltas * raw_tokens * stats.sent_ratio[pipeline]
        totals["out"] += calls * _reply_tokens(
            stats, reply_tokens, measured.ok_reply_tokens, levers.sized_replies
        )
        totals["batched"] += calls * (1 - stats.realtime_share) if levers.message_batches else 0.0
        retention = min(retention, stats.retention[pipeline])
    return _price_host_month(plan, prices, measured, levers, totals, prefix, cached, retention, label)


def _prefix_tokens(measured: Measured, levers: Levers) -> int:
    """Tokens of the prompt prefix sent with every call under ``levers``."""
    if levers.fewshot_prefix:
        return measured.fewshot_prefix_tokens
    if levers.batch_hosts > 1 and measured.batch_system_tokens is not None:
        return measured.batch_system_tokens
    return measured.system_tokens


def _reply_tokens(stats: WindowStats, flat: float, ok_size: int, sized: bool) -> float:
    """Mean output tokens of a call: the plan's flat figure, or sized by verdict."""
    if not sized:
        return flat
    return stats.nonok_share_of_calls * flat + (1 - stats.nonok_share_of_calls) * ok_size


def _price_host_month(
    plan: PlanInputs,
    prices: Prices,
    measured: Measured,
    levers: Levers,
    totals: dict[str, float],
    prefix: int,
    cached: bool,
    retention: float,
    label: str,
) -> HostMonthCost:
    calls, batched = totals["calls"], totals["batched"]
    realtime_share = 1.0 - (batched / calls if calls else 0.0)
    prefix_per_host = calls * prefix / levers.batch_hosts
    # Batched requests are priced without cache hits: the Batches API makes them best-effort.
    cache_read = prefix_per_host * realtime_share if cached else 0.0
    uncached_prefix = prefix_per_host - cache_read
    # One fleet-wide write per cache lifetime keeps a shared prefix warm; each host bears 1/hosts.
    month_s = plan.days_per_month * SECONDS_PER_DAY
    cache_write = month_s / prices.cache_ttl_s * prefix / plan.hosts if cached else 0.0
    input_tokens = totals["log"] + calls * measured.wrapper_tokens + uncached_prefix
    input_price = prices.input_per_mtok / 1e6
    full = (
        input_tokens * input_price
        + cache_read * input_price * prices.cache_read_mult
        + cache_write * input_price * prices.cache_write_mult
        + totals["out"] * prices.output_per_mtok / 1e6
    )
    # The discount applies to the share of calls (and so of uncached tokens) sent as batches.
    batched_share = batched / calls if calls else 0.0
    discounted = (input_tokens * input_price + totals["out"] * prices.output_per_mtok / 1e6) * batched_share
    usd = full - discounted * (1 - prices.batch_factor)
    return HostMonthCost(
        label=label,
        levers=levers,
        deltas=totals["deltas"],
        calls=calls,
        input_tokens=input_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=totals["out"],
        usd=usd,
        usd_fleet_month=usd * plan.hosts,
        evidence_retention=retention,
        prefix_cached=cached,
    )


def lever_table(
    plan: PlanInputs,
    prices: Prices,
    measured: Measured,
    *,
    bytes_per_token: float,
    batch_hosts: int = 10,
    healthy_multiple: int = 6,
    active_share: float | None = None,
) -> list[HostMonthCost]:
    """Naive, each lever alone, and all levers together, in that order (the per-host baseline
    rows only when ``measured`` holds the baseline's replay figures).

    With ``active_share``, a last row prices all levers for a fleet whose hosts have new lines
    in only that share of intervals (``Measured.with_activity``), beside the plan's premise.

    "All levers" turns on prompt caching only when it pays (a prefix below the provider's
    minimum is never cached, and padding it with examples just to cache it costs more than
    it saves unless the examples are wanted anyway).
    """
    rows: list[tuple[str, Levers]] = [
        ("naive (corrected)", Levers()),
        ("pre-filter", Levers(prefilter=True)),
        ("compression", Levers(compression=True)),
        ("prompt caching (current prompt)", Levers(caching=True)),
        ("few-shot prefix, uncached", Levers(fewshot_prefix=True)),
        ("few-shot prefix, cached", Levers(fewshot_prefix=True, caching=True)),
        (f"multi-host batching (k={batch_hosts})", Levers(batch_hosts=batch_hosts)),
        (
            f"adaptive polling ({healthy_multiple * 5} min healthy)",
            Levers(adaptive=True, healthy_multiple=healthy_multiple),
        ),
        ("Message Batches (calls without a signal)", Levers(message_batches=True)),
    ]
    # The baseline rows need a replay that ran the baseline (its own skips, ratios and retention).
    measured_baseline = all(
        k in w.sent_ratio and k in w.retention for w in measured.windows.values() for k in ("baseline", "baseline+compress")
    )
    if measured_baseline:
        rows.append(("per-host baseline (includes the pre-filter)", Levers(prefilter=True, baseline=True)))
    all_on = Levers(
        prefilter=True,
        compression=True,
        caching=True,
        batch_hosts=batch_hosts,
        adaptive=True,
        healthy_multiple=healthy_multiple,
        message_batches=True,
    )
    sized = ("all levers + verdict-sized replies", all_on.model_copy(update={"sized_replies": True}))
    rows.append(("all levers", all_on))
    rows.append(sized)
    if measured_baseline:
        rows.append(("all levers + per-host baseline", all_on.model_copy(update={"baseline": True})))
    out = [
        host_month_cost(plan, prices, measured, levers, bytes_per_token=bytes_per_token, label=label)
        for label, levers in rows
    ]
    if active_share is not None:
        quiet = measured.with_activity(active_share)
        share = f"{active_share:.2%} of intervals active (measured, not the plan's premise)"
        for label, levers in ((f"all levers, {share}", all_on), (f"{sized[0]}, {share}", sized[1])):
            out.append(
                host_month_cost(plan, prices, quiet, levers, bytes_per_token=bytes_per_token, label=label)
            )
    return out
