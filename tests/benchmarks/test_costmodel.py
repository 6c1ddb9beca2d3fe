"""The fleet cost model: the plan reproduced, its slips corrected, each lever priced."""

from __future__ import annotations

import pytest

from benchmarks.costmodel import (
    HAIKU_MIN_CACHE_TOKENS,
    Levers,
    Measured,
    PlanInputs,
    PlanSlips,
    Prices,
    WindowStats,
    correction_ladder,
    fast_polling_share,
    host_month_cost,
    lever_table,
    plan_bill,
    prices_for,
)

PRICES = Prices()
PLAN = PlanInputs()


def _stats(
    multiple: int = 1, *, skip: float = 0.5, ratio: float = 0.4, retention: float = 1.0
) -> WindowStats:
    return WindowStats(
        multiple=multiple,
        deltas=100,
        skip_share=skip,
        sent_ratio={"none": 1.0, "prefilter": 1 - skip, "compress": ratio, "both": ratio * (1 - skip)},
        retention={"none": 1.0, "prefilter": retention, "compress": 1.0, "both": retention},
        realtime_share=0.2,
        nonok_share_of_calls=0.1,
    )


def _measured(**updates: object) -> Measured:
    base = Measured(
        windows={1: _stats(1), 6: _stats(6, skip=0.2)},
        anomaly_share=0.01,
        system_tokens=400,
        wrapper_tokens=20,
    )
    return base.model_copy(update=updates)


def test_plan_reproduces_the_design_table() -> None:
    bill = plan_bill(PLAN, PRICES, PlanSlips())
    assert bill.calls_per_day == 172_800
    assert bill.input_tokens_per_day == pytest.approx(103.68e6)
    assert bill.output_tokens_per_day == pytest.approx(1.728e6)
    assert bill.output_usd_per_day == pytest.approx(4.32)
    assert bill.usd_per_month == pytest.approx(3_200, rel=0.02)


def test_plan_at_1500_hosts_scales_linearly() -> None:
    big = plan_bill(PLAN.model_copy(update={"hosts": 1_500}), PRICES, PlanSlips())
    assert big.usd_per_month == pytest.approx(plan_bill(PLAN, PRICES, PlanSlips()).usd_per_month * 2.5)


def test_correction_ladder_fixes_output_first_then_tokens_then_prompt() -> None:
    plan, output_fixed, tokens_fixed, naive = correction_ladder(
        PLAN, PRICES, bytes_per_token=4.0, system_prompt_tokens=400
    )
    assert output_fixed.output_tokens_per_day == pytest.approx(17.28e6)
    assert output_fixed.usd_per_day == pytest.approx(190.08)  # DESIGN.md: "nearer $190 a day"
    assert tokens_fixed.input_tokens_per_day == pytest.approx(172_800 * 750)
    assert naive.input_tokens_per_day == pytest.approx(172_800 * 1_150)
    assert plan.usd_per_month < output_fixed.usd_per_month < tokens_fixed.usd_per_month < naive.usd_per_month


def test_naive_levers_match_the_corrected_ladder() -> None:
    measured = _measured()
    naive = correction_ladder(PLAN, PRICES, bytes_per_token=4.0, system_prompt_tokens=420)[-1]
    cost = host_month_cost(PLAN, PRICES, measured, Levers(), bytes_per_token=4.0)
    assert cost.usd == pytest.approx(naive.usd_per_host_month)
    assert cost.deltas == pytest.approx(8_640)


def test_prefilter_scales_calls_and_log_tokens() -> None:
    cost = host_month_cost(PLAN, PRICES, _measured(), Levers(prefilter=True), bytes_per_token=4.0)
    assert cost.calls == pytest.approx(8_640 * 0.5)
    assert cost.output_tokens == pytest.approx(8_640 * 0.5 * 100)


def test_short_prefix_is_never_cached() -> None:
    measured = _measured(system_tokens=HAIKU_MIN_CACHE_TOKENS - 1)
    plain = host_month_cost(PLAN, PRICES, measured, Levers(), bytes_per_token=4.0)
    cached = host_month_cost(PLAN, PRICES, measured, Levers(caching=True), bytes_per_token=4.0)
    assert not cached.prefix_cached
    assert cached.usd == pytest.approx(plain.usd)


def test_long_prefix_is_cached_at_a_tenth() -> None:
    measured = _measured(fewshot_prefix_tokens=5_000)
    plain = host_month_cost(PLAN, PRICES, measured, Levers(fewshot_prefix=True), bytes_per_token=4.0)
    cached = host_month_cost(
        PLAN, PRICES, measured, Levers(fewshot_prefix=True, caching=True), bytes_per_token=4.0
    )
    assert cached.prefix_cached
    assert cached.cache_read_tokens == pytest.approx(8_640 * 5_000)
    saved = (plain.input_tokens - cached.input_tokens) * 0.9 / 1e6
    writes = cached.cache_write_tokens * 1.25 / 1e6
    assert plain.usd - cached.usd == pytest.approx(saved - writes)


def test_multi_host_batching_amortises_the_prefix() -> None:
    one = host_month_cost(PLAN, PRICES, _measured(), Levers(), bytes_per_token=4.0)
    ten = host_month_cost(PLAN, PRICES, _measured(), Levers(batch_hosts=10), bytes_per_token=4.0)
    assert one.input_tokens - ten.input_tokens == pytest.approx(8_640 * 400 * 0.9)


def test_message_batches_halve_only_calls_without_a_signal() -> None:
    plain = host_month_cost(PLAN, PRICES, _measured(), Levers(), bytes_per_token=4.0)
    batched = host_month_cost(PLAN, PRICES, _measured(), Levers(message_batches=True), bytes_per_token=4.0)
    assert batched.usd == pytest.approx(plain.usd * (1 - 0.8 * 0.5))


def test_adaptive_polling_spends_most_time_at_the_healthy_interval() -> None:
    cost = host_month_cost(PLAN, PRICES, _measured(), Levers(adaptive=True), bytes_per_token=4.0)
    fast = fast_polling_share(0.01, 300, 3_600)
    assert cost.deltas == pytest.approx(8_640 * fast + 1_440 * (1 - fast))


def test_fast_polling_share_is_bounded() -> None:
    assert fast_polling_share(0.0, 300, 3_600) == 0.0
    assert 0.99 < fast_polling_share(1.0, 300, 3_600) <= 1.0


def test_retention_is_the_worst_of_the_pipelines_used() -> None:
    measured = _measured(windows={1: _stats(1), 6: _stats(6, retention=0.9)})
    cost = host_month_cost(PLAN, PRICES, measured, Levers(prefilter=True, adaptive=True), bytes_per_token=4.0)
    assert cost.evidence_retention == pytest.approx(0.9)


def test_sized_replies_price_ok_verdicts_small() -> None:
    flat = host_month_cost(PLAN, PRICES, _measured(), Levers(), bytes_per_token=4.0)
    sized = host_month_cost(PLAN, PRICES, _measured(), Levers(sized_replies=True), bytes_per_token=4.0)
    assert sized.output_tokens == pytest.approx(8_640 * (0.1 * 100 + 0.9 * 10))
    assert sized.usd < flat.usd


def test_lever_table_orders_naive_first_and_all_levers_cheapest() -> None:
    rows = lever_table(PLAN, PRICES, _measured(), bytes_per_token=4.0)
    assert rows[0].label.startswith("naive")
    all_levers = next(r for r in rows if r.label == "all levers")
    assert all_levers.usd < min(r.usd for r in rows[1:9])


def test_window_falls_back_to_the_nearest_measured_multiple() -> None:
    measured = _measured()
    assert measured.window(3).multiple == 1
    assert measured.window(12).multiple == 6


def test_prices_come_from_the_price_file() -> None:
    prices = prices_for("claude-haiku-4-5")
    assert (prices.input_per_mtok, prices.output_per_mtok) == (1.0, 5.0)
    assert prices.min_cache_tokens == HAIKU_MIN_CACHE_TOKENS
    assert prices.batch_factor == 0.5


def test_activity_scales_volume_and_skips_empty_intervals() -> None:
    quiet = _measured().with_activity(0.1)
    assert quiet.window(1).skip_share == pytest.approx(1 - 0.1 * 0.5)
    assert quiet.window(6).skip_share == pytest.approx(1 - (1 - 0.9**6) * 0.8)
    assert quiet.window(6).sent_ratio["both"] == pytest.approx(0.1 * 0.4 * 0.8)
    rows = lever_table(PLAN, PRICES, _measured(), bytes_per_token=4.0, active_share=0.1)
    assert rows[-2].label.startswith("all levers, 10.00%")
    assert rows[-1].label.startswith("all levers + verdict-sized replies, 10.00%")
    assert rows[-1].usd < rows[-2].usd < next(r for r in rows if r.label == "all levers").usd


def test_activity_of_one_changes_nothing() -> None:
    same, base = _measured().with_activity(1.0), _measured()
    for m in (1, 6):
        assert same.window(m).skip_share == pytest.approx(base.window(m).skip_share)
        assert same.window(m).sent_ratio == pytest.approx(base.window(m).sent_ratio)


def test_batching_uses_the_multi_host_prompt_size() -> None:
    measured = _measured(batch_system_tokens=1_200)
    one = host_month_cost(PLAN, PRICES, measured, Levers(), bytes_per_token=4.0)
    ten = host_month_cost(PLAN, PRICES, measured, Levers(batch_hosts=10), bytes_per_token=4.0)
    assert one.input_tokens - ten.input_tokens == pytest.approx(8_640 * (400 - 120))


def _with_baseline(skip: float, **extra: object) -> Measured:
    stats = _stats(1, skip=0.5)
    ratios = {**stats.sent_ratio, "baseline": 1 - skip, "baseline+compress": 0.4 * (1 - skip)}
    windows = {
        1: stats.model_copy(
            update={
                "baseline_skip_share": skip,
                "sent_ratio": ratios,
                "retention": {**stats.retention, "baseline": 0.75, "baseline+compress": 0.75},
                **extra,
            }
        )
    }
    return _measured(windows=windows)


def test_baseline_uses_its_own_skip_share_and_retention() -> None:
    measured = _with_baseline(0.8)
    cost = host_month_cost(PLAN, PRICES, measured, Levers(prefilter=True, baseline=True), bytes_per_token=4.0)
    plain = host_month_cost(PLAN, PRICES, measured, Levers(prefilter=True), bytes_per_token=4.0)
    assert cost.calls == pytest.approx(8_640 * 0.2)
    assert plain.calls == pytest.approx(8_640 * 0.5)
    assert cost.evidence_retention == pytest.approx(0.75)  # a lost case shows, never averaged away
    assert Levers(baseline=True, compression=True).pipeline() == "baseline+compress"


def test_baseline_prices_the_calls_it_leaves() -> None:
    measured = _with_baseline(0.5, baseline_realtime_share=1.0)
    batched = host_month_cost(
        PLAN, PRICES, measured, Levers(baseline=True, message_batches=True), bytes_per_token=4.0
    )
    realtime = host_month_cost(PLAN, PRICES, measured, Levers(baseline=True), bytes_per_token=4.0)
    assert batched.usd == pytest.approx(realtime.usd)  # every call left carries a signal: no discount


def test_lever_table_has_the_baseline_rows() -> None:
    rows = lever_table(PLAN, PRICES, _with_baseline(0.9), bytes_per_token=4.0, active_share=0.1)
    labels = [r.label for r in rows]
    assert "per-host baseline (includes the pre-filter)" in labels and "all levers + per-host baseline" in labels
    by = {r.label: r for r in rows}
    assert by["all levers + per-host baseline"].usd < by["all levers"].usd
    assert rows[-1].label.startswith("all levers + verdict-sized replies, 10.00%")


def test_activity_scales_the_baseline_skip_share_too() -> None:
    quiet = _with_baseline(0.5).with_activity(0.1)
    assert quiet.window(1).baseline_skip_share == pytest.approx(1 - 0.1 * 0.5)
