"""Scores: confusion, binary P/R/F1, critical recall, severity grading, per-category, bootstrap CIs, McNemar.

Conventions: a case whose status is not ``ok`` is a positive. A score whose denominator is
zero is ``None`` ("undefined"), never 0 or 1: Thunderbird_2k has no positive, so its recall is
undefined. Critical recall is the share of truly critical cases the model called critical (a
warning would not page at once). Critical precision is the share of critical verdicts that were
truly critical (a critical pages someone at night, so a warning paged as critical is a false page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tasseograph.schema import CATEGORIES

STATUSES = ("ok", "warning", "critical")
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20261202
EXACT_MCNEMAR_BELOW = 25
"""Discordant pairs below which McNemar uses the exact binomial test, not chi-square."""


def ratio(num: float, den: float) -> float | None:
    """``num / den``, or None when ``den`` is 0."""
    return None if den == 0 else num / den


@dataclass(frozen=True)
class Binary:
    """Binary confusion counts and the scores derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        # F1 needs both a defined recall and at least one true or predicted positive.
        if self.recall is None:
            return None
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)


def binary(truth: Sequence[str], pred: Sequence[str]) -> Binary:
    """Binary counts over statuses (not ``ok`` is positive)."""
    t = np.array([s != "ok" for s in truth], dtype=bool)
    p = np.array([s != "ok" for s in pred], dtype=bool)
    return Binary(int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum()), int((~t & ~p).sum()))


def confusion(truth: Sequence[str], pred: Sequence[str]) -> list[list[int]]:
    """3x3 counts, rows = truth, columns = prediction, both in ``STATUSES`` order."""
    m = [[0, 0, 0] for _ in STATUSES]
    for t, p in zip(truth, pred, strict=True):
        m[STATUSES.index(t)][STATUSES.index(p)] += 1
    return m


def critical_recall(truth: Sequence[str], pred: Sequence[str]) -> float | None:
    """Share of truly critical cases predicted critical (None when there are none)."""
    crit = [p for t, p in zip(truth, pred, strict=True) if t == "critical"]
    return ratio(sum(p == "critical" for p in crit), len(crit))


@dataclass(frozen=True)
class SeverityScores:
    """How well a model grades severity, beyond not-ok vs ok (a critical pages someone at night)."""

    predicted_critical: int
    true_critical_paged: int
    """Cases called critical that were truly critical."""
    warnings: int
    warnings_paged_critical: int
    criticals: int
    criticals_graded_warning: int
    criticals_graded_ok: int

    @property
    def critical_precision(self) -> float | None:
        """Share of critical verdicts (pages) that were real criticals."""
        return ratio(self.true_critical_paged, self.predicted_critical)

    def as_dict(self) -> dict[str, float | int | None]:
        """Rates (None when undefined) and the counts behind them, for ``summary.json``."""
        return {
            "critical_precision": self.critical_precision,
            "warnings_paged_critical": ratio(self.warnings_paged_critical, self.warnings),
            "criticals_graded_warning": ratio(self.criticals_graded_warning, self.criticals),
            "criticals_graded_ok": ratio(self.criticals_graded_ok, self.criticals),
            "n_predicted_critical": self.predicted_critical,
            "n_warning": self.warnings,
            "n_warnings_paged_critical": self.warnings_paged_critical,
            "n_criticals_graded_warning": self.criticals_graded_warning,
            "n_criticals_graded_ok": self.criticals_graded_ok,
        }


def severity_scores(truth: Sequence[str], pred: Sequence[str]) -> SeverityScores:
    """Critical precision, warnings paged as critical, criticals graded warning or ok."""
    pairs = list(zip(truth, pred, strict=True))
    return SeverityScores(
        predicted_critical=sum(p == "critical" for _, p in pairs),
        true_critical_paged=sum(t == p == "critical" for t, p in pairs),
        warnings=sum(t == "warning" for t, _ in pairs),
        warnings_paged_critical=sum(t == "warning" and p == "critical" for t, p in pairs),
        criticals=sum(t == "critical" for t, _ in pairs),
        criticals_graded_warning=sum(t == "critical" and p == "warning" for t, p in pairs),
        criticals_graded_ok=sum(t == "critical" and p == "ok" for t, p in pairs),
    )


def per_category(truth: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, dict[str, float | int | None]]:
    """Precision and recall of each category over cases (a case can hold several)."""
    out: dict[str, dict[str, float | int | None]] = {}
    for c in CATEGORIES:
        tp = sum(c in t and c in p for t, p in zip(truth, pred, strict=True))
        fp = sum(c not in t and c in p for t, p in zip(truth, pred, strict=True))
        fn = sum(c in t and c not in p for t, p in zip(truth, pred, strict=True))
        out[c] = {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn), "support": tp + fn}
    return out


def bootstrap_ci(
    truth: Sequence[str], pred: Sequence[str], *, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
) -> dict[str, tuple[float, float] | None]:
    """Percentile 95% CIs of binary precision, recall and F1 over case resamples (fixed seed).

    Resamples where a score is undefined are left out of that score's interval; a score with
    no defined resample gets None.
    """
    t = np.array([s != "ok" for s in truth], dtype=bool)
    p = np.array([s != "ok" for s in pred], dtype=bool)
    n = len(t)
    if n == 0:
        return {"precision": None, "recall": None, "f1": None}
    idx = np.random.default_rng(seed).integers(0, n, size=(samples, n))
    tt, pp = t[idx], p[idx]
    tp = (tt & pp).sum(axis=1).astype(float)
    fp = (~tt & pp).sum(axis=1).astype(float)
    fn = (tt & ~pp).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = tp / (tp + fp)
        rec = tp / (tp + fn)
        f1 = np.where(tp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return {"precision": _interval(prec), "recall": _interval(rec), "f1": _interval(f1)}


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    ok = values[~np.isnan(values)]
    if ok.size == 0:
        return None
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return float(lo), float(hi)


@dataclass(frozen=True)
class McNemar:
    """Paired test on discordant cases: ``b`` only A right, ``c`` only B right."""

    b: int
    c: int
    p_value: float | None
    method: str


def mcnemar(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> McNemar:
    """McNemar's test: exact binomial for few discordant pairs, chi-square (corrected) otherwise."""
    from scipy import stats

    b = sum(x and not y for x, y in zip(a_correct, b_correct, strict=True))
    c = sum(y and not x for x, y in zip(a_correct, b_correct, strict=True))
    n = b + c
    if n == 0:
        return McNemar(b, c, None, "no discordant pairs")
    if n < EXACT_MCNEMAR_BELOW:
        p = min(1.0, 2 * float(stats.binom.cdf(min(b, c), n, 0.5)))
        return McNemar(b, c, p, "exact binomial")
    stat = (abs(b - c) - 1) ** 2 / n
    return McNemar(b, c, float(stats.chi2.sf(stat, 1)), "chi-square, continuity-corrected")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values`` (None when empty)."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None
