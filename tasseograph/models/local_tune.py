"""Thresholds of the ``local`` model, chosen by grouped cross-validation inside its training sources.

Groups are a host, a log file or a case, so a healthy boot log is always scored by a fit that
never saw it. Nothing here looks at the data the model is later scored on.

- alarm: for each regularisation strength in ``ALARM_C_GRID``, the lowest threshold at which at
  most ``FALSE_ALARM_TARGET`` (none) of the ok cases would be flagged by the classifier out of
  fold (judging only lines no catalogue signal covers, as in use); the strength whose threshold lets
  the classifier alone catch the most not-ok cases (as if the catalogue had no entry) wins;
- critical: the lowest p(critical) at which the classifier's out-of-fold critical calls are
  right at least ``CRITICAL_PRECISION_TARGET`` of the time *with 95% confidence* (the Wilson
  lower bound, so a handful of lucky calls is not enough) and page at most
  ``WARNING_PAGED_TARGET`` of the warnings; when none does, the classifier never pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasseograph.models.linear import fit_logistic, fit_vectorizer, known_share
from tasseograph.models.local_data import CaseExample, severity_docs

DEFAULT_FOLDS = 5
FALSE_ALARM_TARGET = 0.0
"""No ok training case may be flagged out of fold: a healthy boot log must raise no warning."""
CRITICAL_PRECISION_TARGET = 0.9
WARNING_PAGED_TARGET = 0.1
"""At most this share of warnings may be called critical (issue 12's bar)."""
THRESHOLD_GRID = tuple(round(0.5 + 0.01 * i, 2) for i in range(50))
"""Thresholds tried, 0.50 to 0.99: below 0.5 the alarm model leans towards "not evidence"."""
ALARM_C_GRID = (0.03, 0.1, 0.3, 1.0)
"""Regularisation strengths tried for the alarm model (scikit-learn's ``C``)."""
CONFIDENCE = 0.95
"""Two-sided confidence of the interval whose lower end must reach the critical precision target."""
SEVERITY_C = 1.0
MIN_DF = 2
"""A term must occur in two training lines to enter the vocabulary (one-off words teach noise)."""
MIN_KNOWN_SHARE = 0.5
"""A line is judged only when at least this share of its words are in the vocabulary: a score
resting on a minority of its words (``resctrl: L3 monitoring detected`` on "detected") is a guess,
so such a line is reported as not judged instead."""


@dataclass
class Fold:
    """One split: the vectorizer and severity fit of its training part, and its held-out cases."""

    test: list[int]
    vectorizer: Any
    train_texts: list[str]
    train_alarms: list[bool]
    test_x: Any | None
    """Features of every line of the held-out cases, case after case (None: they have no line)."""
    test_judged: list[bool]
    """Per line of ``test_x``: enough of its words are in this fold's vocabulary to judge it."""
    severity: Any | None


def make_folds(cases: Sequence[CaseExample], folds: int = DEFAULT_FOLDS) -> list[Fold]:
    """Grouped folds (at most ``folds``; none when the data has fewer than two groups)."""
    from sklearn.model_selection import GroupKFold

    groups = [c.group for c in cases]
    n = min(folds, len(set(groups)))
    if n < 2:
        return []
    out = []
    for train_idx, test_idx in GroupKFold(n_splits=n).split(cases, groups=groups):
        train = [cases[i] for i in train_idx]
        lines = [x for c in train for x in c.lines]
        if not any(x.alarm for x in lines) or all(x.alarm for x in lines):
            continue  # a fold without evidence lines (or without ok lines) teaches nothing
        texts = [x.text for x in lines]
        vec = fit_vectorizer(texts, min_df=MIN_DF)
        docs, critical = severity_docs(train)
        severity = fit_logistic(vec, docs, critical, c=SEVERITY_C) if len(set(critical)) == 2 else None
        test = [int(i) for i in test_idx]
        test_texts = [x.text for i in test for x in cases[i].lines]
        known = set(vec.vocabulary_)
        judged = [(known_share(t, known) or 0.0) >= MIN_KNOWN_SHARE for t in test_texts]
        test_x = vec.transform(test_texts) if test_texts else None  # held-out cases of only known noise
        out.append(Fold(test, vec, texts, [x.alarm for x in lines], test_x, judged, severity))
    return out


@dataclass
class AlarmChoice:
    """The alarm model's regularisation and threshold, with the out-of-fold figures behind them."""

    c: float
    threshold: float
    false_alarms: float
    """Share of ok cases flagged out of fold at the threshold."""
    uncovered_recall: float | None
    """Share of not-ok cases without a catalogue signal flagged out of fold."""
    alone_recall: float
    """Share of not-ok cases the classifier alone flags out of fold (any line, covered or not)."""
    scores: dict[int, list[float]]
    """Out-of-fold p(alarm) of every line of every scored case."""


def choose_alarm(cases: Sequence[CaseExample], folds: Sequence[Fold]) -> AlarmChoice | None:
    """The best regularisation strength and its threshold (None without folds)."""
    runs = [_alarm_run(cases, folds, c) for c in ALARM_C_GRID] if folds else []
    return max(runs, key=lambda r: r.alone_recall) if runs else None  # a tie keeps the most regularised


def _alarm_run(cases: Sequence[CaseExample], folds: Sequence[Fold], c: float) -> AlarmChoice:
    scores: dict[int, list[float]] = {}
    for fold in folds:
        clf = fit_logistic(fold.vectorizer, fold.train_texts, fold.train_alarms, c=c)
        proba = clf.predict_proba(fold.test_x)[:, list(clf.classes_).index(True)] if fold.test_x is not None else []
        p = [float(v) if judged else 0.0 for v, judged in zip(proba, fold.test_judged, strict=True)]
        start = 0
        for i in fold.test:
            n = len(cases[i].lines)
            scores[i], start = p[start : start + n], start + n
    ok = [_top(cases[i], s, candidates=True) for i, s in scores.items() if cases[i].case.status == "ok"]
    threshold = next((t for t in THRESHOLD_GRID if _share(ok, t) <= FALSE_ALARM_TARGET), THRESHOLD_GRID[-1])
    bad = [i for i in scores if cases[i].case.status != "ok"]
    uncovered = [_top(cases[i], scores[i], candidates=True) for i in bad if not cases[i].signalled]
    alone = [_top(cases[i], scores[i], candidates=False) for i in bad]
    return AlarmChoice(c, threshold, _share(ok, threshold), _share(uncovered, threshold) if uncovered else None,
                       _share(alone, threshold), scores)


def _top(case: CaseExample, scores: list[float], *, candidates: bool) -> float:
    return max((p for p, x in zip(scores, case.lines, strict=True) if x.candidate or not candidates), default=0.0)


def _share(values: Sequence[float], t: float) -> float:
    return sum(v >= t for v in values) / len(values) if values else 0.0


@dataclass
class CriticalChoice:
    """The severity threshold (None: never critical) and its out-of-fold figures."""

    threshold: float | None
    precision: float | None
    precision_lower: float | None
    """Wilson 95% lower bound of ``precision`` (what the target is checked against)."""
    warnings_paged: float | None
    cases: int
    """Not-ok cases of known severity flagged out of fold (what the threshold was chosen on)."""


def choose_critical(cases: Sequence[CaseExample], folds: Sequence[Fold], alarm: AlarmChoice) -> CriticalChoice:
    """The lowest p(critical) meeting both severity targets out of fold (see the module docstring)."""
    scored: list[tuple[float, str]] = []
    for fold in folds:
        if fold.severity is None:
            continue
        for i in fold.test:
            ex = cases[i]
            if ex.case.status == "ok" or not ex.source.severity_known:
                continue
            flagged = "\n".join(x.text for p, x in zip(alarm.scores[i], ex.lines, strict=True) if p >= alarm.threshold)
            if flagged:
                proba = fold.severity.predict_proba(fold.vectorizer.transform([flagged]))[0]
                scored.append((float(proba[list(fold.severity.classes_).index(True)]), ex.case.status))
    return critical_threshold(scored)


def critical_threshold(scored: Sequence[tuple[float, str]]) -> CriticalChoice:
    """The lowest threshold on p(critical) meeting both targets over ``(p, true status)`` pairs."""
    warnings = sum(s == "warning" for _, s in scored)
    for t in THRESHOLD_GRID:
        paged = [s for p, s in scored if p >= t]
        if not paged:
            break
        right = sum(s == "critical" for s in paged)
        lower = wilson_lower(right, len(paged))
        warned = sum(s == "warning" for s in paged) / warnings if warnings else 0.0
        if lower >= CRITICAL_PRECISION_TARGET and warned <= WARNING_PAGED_TARGET:
            return CriticalChoice(t, right / len(paged), lower, warned, len(scored))
    return CriticalChoice(None, None, None, None, len(scored))


def wilson_lower(successes: int, n: int) -> float:
    """Lower end of the 95% Wilson score interval of a proportion (0 for no trials)."""
    if n == 0:
        return 0.0
    from scipy.stats import binomtest  # a scikit-learn dependency; only training needs it

    return float(binomtest(successes, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson").low)
