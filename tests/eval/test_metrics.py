"""Metrics on tiny examples whose answers are computed by hand."""

from __future__ import annotations

import pytest

from tasseograph.eval import metrics as m

TRUTH = ["ok", "ok", "ok", "warning", "warning", "critical", "critical", "critical"]
PRED = ["ok", "warning", "ok", "warning", "ok", "critical", "warning", "critical"]
# positives: truth not ok = 5; predicted positives: 5 (warning, warning, critical, warning, critical)
# tp = 4 (w->w, c->c, c->w, c->c), fp = 1, fn = 1, tn = 2


def test_binary_counts_and_scores() -> None:
    b = m.binary(TRUTH, PRED)
    assert (b.tp, b.fp, b.fn, b.tn) == (4, 1, 1, 2)
    assert b.precision == pytest.approx(0.8)
    assert b.recall == pytest.approx(0.8)
    assert b.f1 == pytest.approx(0.8)


def test_undefined_scores_are_none_not_zero() -> None:
    b = m.binary(["ok", "ok"], ["ok", "ok"])
    assert b.precision is None and b.recall is None and b.f1 is None
    fp_only = m.binary(["ok", "ok"], ["warning", "ok"])
    assert fp_only.precision == 0.0
    assert fp_only.recall is None and fp_only.f1 is None  # no positive: recall undefined


def test_confusion_rows_are_truth() -> None:
    assert m.confusion(TRUTH, PRED) == [[2, 1, 0], [1, 1, 0], [0, 1, 2]]


def test_critical_recall_counts_only_critical_calls() -> None:
    assert m.critical_recall(TRUTH, PRED) == pytest.approx(2 / 3)
    assert m.critical_recall(["ok", "warning"], ["ok", "critical"]) is None


def test_severity_scores_count_false_pages_and_downgrades() -> None:
    truth = ["warning", "warning", "warning", "critical", "critical", "critical", "critical", "ok"]
    pred = ["critical", "warning", "ok", "critical", "warning", "ok", "critical", "critical"]
    s = m.severity_scores(truth, pred)
    # four critical calls: two real criticals, one warning and one ok paged at night
    assert s.critical_precision == pytest.approx(2 / 4)
    d = s.as_dict()
    assert d["warnings_paged_critical"] == pytest.approx(1 / 3) and d["n_warnings_paged_critical"] == 1
    assert d["criticals_graded_warning"] == pytest.approx(1 / 4) and d["n_criticals_graded_warning"] == 1
    assert d["criticals_graded_ok"] == pytest.approx(1 / 4) and d["n_criticals_graded_ok"] == 1


def test_severity_scores_are_undefined_without_criticals_or_warnings() -> None:
    d = m.severity_scores(["ok", "ok"], ["ok", "warning"]).as_dict()
    assert d["critical_precision"] is None and d["warnings_paged_critical"] is None
    assert d["criticals_graded_warning"] is None and d["criticals_graded_ok"] is None


def test_per_category() -> None:
    truth = [("memory",), ("storage",), (), ("memory", "storage")]
    pred = [("memory",), ("memory",), (), ("storage",)]
    pc = m.per_category(truth, pred)
    assert pc["memory"] == {"precision": 0.5, "recall": 0.5, "support": 2}
    assert pc["storage"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert pc["thermal"]["precision"] is None and pc["thermal"]["recall"] is None


def test_bootstrap_is_deterministic_and_brackets_the_point() -> None:
    a = m.bootstrap_ci(TRUTH * 5, PRED * 5)
    b = m.bootstrap_ci(TRUTH * 5, PRED * 5)
    assert a == b
    lo, hi = a["precision"]
    assert lo <= 0.8 <= hi
    assert 0 <= lo <= hi <= 1


def test_bootstrap_undefined_when_no_positive() -> None:
    ci = m.bootstrap_ci(["ok"] * 4, ["ok", "warning", "ok", "ok"])
    assert ci["recall"] is None and ci["f1"] is None
    assert ci["precision"] is not None


def test_mcnemar_exact_for_small_counts() -> None:
    # A right and B wrong on 5 cases, never the other way: p = 2 * 0.5**5.
    a = [True] * 5 + [True] * 10
    b = [False] * 5 + [True] * 10
    t = m.mcnemar(a, b)
    assert (t.b, t.c) == (5, 0)
    assert t.method == "exact binomial"
    assert t.p_value == pytest.approx(0.0625)


def test_mcnemar_chi_square_for_many_and_none_for_no_flips() -> None:
    a = [True] * 30 + [False] * 10
    b = [False] * 30 + [True] * 10
    t = m.mcnemar(a, b)
    assert t.method.startswith("chi-square")
    assert t.p_value is not None and t.p_value < 0.01  # (|30-10|-1)^2/40 = 9.025
    assert m.mcnemar([True, False], [True, False]).p_value is None


def test_percentile() -> None:
    assert m.percentile([], 50) is None
    assert m.percentile([1.0, 2.0, 3.0], 50) == 2.0
