"""How the local model's thresholds are chosen (the selection rules, on hand-made out-of-fold scores)."""

from __future__ import annotations

import pytest

from tasseograph.models.local_tune import CRITICAL_PRECISION_TARGET, critical_threshold, wilson_lower


def test_wilson_lower_bound() -> None:
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(10, 10) == pytest.approx(0.7225, abs=1e-4)  # ten right calls prove little
    assert wilson_lower(40, 40) == pytest.approx(0.9124, abs=1e-4)
    assert wilson_lower(46, 50) < CRITICAL_PRECISION_TARGET < 46 / 50


def test_a_few_lucky_critical_calls_do_not_earn_the_right_to_page() -> None:
    scored = [(0.9, "critical")] * 10 + [(0.2, "warning")] * 10
    choice = critical_threshold(scored)
    assert choice.threshold is None and choice.cases == 20


def test_the_lowest_threshold_with_confident_precision_and_few_warnings_paged() -> None:
    scored = ([(0.95, "critical")] * 60 + [(0.95, "warning")] * 1  # above 0.9: 60 of 61 right
              + [(0.7, "critical")] * 5 + [(0.7, "warning")] * 8  # 0.7 would page 9 of 29 warnings
              + [(0.3, "warning")] * 20)
    choice = critical_threshold(scored)
    assert choice.threshold is not None and 0.7 < choice.threshold <= 0.95
    assert choice.precision_lower is not None and choice.precision_lower >= CRITICAL_PRECISION_TARGET
    assert choice.warnings_paged == pytest.approx(1 / 29)
