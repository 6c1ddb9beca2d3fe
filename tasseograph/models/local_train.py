"""Train the ``local`` model: thresholds out of fold (``local_tune``), then one fit on everything.

Training takes a few seconds on the default sources; scikit-learn is needed here only (the
bundle it writes predicts without it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from tasseograph.errors import UsageError
from tasseograph.models.linear import LinearScorer, fit_scorer, fit_vectorizer
from tasseograph.models.local_bundle import LocalBundle, SourceInfo, Tuning
from tasseograph.models.local_data import (
    CaseExample,
    TrainingSource,
    case_examples,
    category_docs,
    severity_docs,
)
from tasseograph.models.local_tune import (
    CRITICAL_PRECISION_TARGET,
    DEFAULT_FOLDS,
    FALSE_ALARM_TARGET,
    MIN_DF,
    SEVERITY_C,
    THRESHOLD_GRID,
    WARNING_PAGED_TARGET,
    choose_alarm,
    choose_critical,
    make_folds,
)
from tasseograph.schema import CATEGORIES, Category


def train_local(sources: Sequence[TrainingSource], *, folds: int = DEFAULT_FOLDS) -> LocalBundle:
    """Fit the ``local`` classifier on ``sources`` and choose its thresholds out of fold.

    Raises:
        UsageError: no source, or the sources hold no evidence line or no ok line.
    """
    if not sources:
        raise UsageError("local model training needs at least one source")
    import sklearn.linear_model  # noqa: F401 (loads BLAS before the limit below, which only sees loaded libraries)
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    cases = [ex for s in sources for ex in case_examples(s)]
    lines = [x for c in cases for x in c.lines]
    if not any(x.alarm for x in lines) or all(x.alarm for x in lines):
        raise UsageError("local model training needs evidence lines of not-ok cases and lines of ok cases "
                         f"(sources: {', '.join(s.name for s in sources)})")
    # These fits are small: BLAS threads only fight each other (measured 15 s against 3 s on a busy
    # 2-core machine), so one thread.
    with threadpool_limits(limits=1):
        split = make_folds(cases, folds)
        alarm = choose_alarm(cases, split)
        critical = choose_critical(cases, split, alarm) if alarm else None
        fitted = _fit_all(cases, alarm.c if alarm else max(SEVERITY_C, 1.0))
    tuning = Tuning(
        folds=len(split), alarm_c=alarm.c if alarm else SEVERITY_C, false_alarm_target=FALSE_ALARM_TARGET,
        false_alarm_rate=alarm.false_alarms if alarm else 0.0,
        uncovered_recall=alarm.uncovered_recall if alarm else None, alone_recall=alarm.alone_recall if alarm else 0.0,
        critical_precision_target=CRITICAL_PRECISION_TARGET, warning_paged_target=WARNING_PAGED_TARGET,
        critical_precision=critical.precision if critical else None,
        critical_precision_lower=critical.precision_lower if critical else None,
        warnings_paged_critical=critical.warnings_paged if critical else None,
        severity_cases=critical.cases if critical else 0,
    )
    counts = {c: sum(c in ex.case.categories for ex in cases) for c in CATEGORIES}
    default_category: Category = max(CATEGORIES, key=lambda c: counts[c]) if any(counts.values()) else "driver"
    return LocalBundle(
        trained_on=[_info(s, [ex for ex in cases if ex.source is s]) for s in sources],
        alarm=fitted[0], severity=fitted[1], category=fitted[2], default_category=default_category,
        # Without folds (one group) nothing was tuned: the strictest threshold, and no pages.
        alarm_threshold=alarm.threshold if alarm else THRESHOLD_GRID[-1],
        critical_threshold=critical.threshold if critical else None, tuning=tuning,
    )


def _fit_all(cases: Sequence[CaseExample], alarm_c: float) -> tuple[LinearScorer, LinearScorer | None, LinearScorer | None]:
    """The alarm, severity and category scorers fitted on every case (one shared vocabulary)."""
    lines = [x for c in cases for x in c.lines]
    texts = [x.text for x in lines]
    vec = fit_vectorizer(texts, min_df=MIN_DF)
    alarm = fit_scorer(texts, [x.alarm for x in lines], c=alarm_c, vectorizer=vec)
    docs, critical = severity_docs(cases)
    severity = fit_scorer(docs, critical, c=SEVERITY_C, vectorizer=vec) if len(set(critical)) == 2 else None
    cat_docs, cats = category_docs(cases)
    category = fit_scorer(cat_docs, cats, c=SEVERITY_C, vectorizer=vec) if len(set(cats)) > 1 else None
    return alarm, severity, category


def _info(source: TrainingSource, cases: list[CaseExample]) -> SourceInfo:
    formats: Counter[str] = Counter()
    for ex in cases:
        formats[ex.format] += len(ex.lines)
    return SourceInfo(
        name=source.name, path=str(source.path), cases=len(source.cases),
        positives=sum(c.status != "ok" for c in source.cases), lines=sum(len(ex.lines) for ex in cases),
        sha256=source.sha256(), formats=dict(formats), split=source.split,
    )


def bundle_summary(bundle: LocalBundle) -> dict[str, Any]:
    """The figures a person checks after training (printed by ``tasseograph-eval train``)."""
    t = bundle.tuning
    return {
        "trained_on": bundle.describe(), "alarm_threshold": bundle.alarm_threshold, "alarm_c": t.alarm_c,
        "critical_threshold": bundle.critical_threshold, "oof_false_alarm_rate": t.false_alarm_rate,
        "oof_uncovered_recall": t.uncovered_recall, "oof_alone_recall": t.alone_recall,
        "oof_critical_precision": t.critical_precision, "oof_critical_precision_lower": t.critical_precision_lower,
        "oof_warnings_paged_critical": t.warnings_paged_critical,
        "vocabulary": len(bundle.alarm.vocabulary),
    }
