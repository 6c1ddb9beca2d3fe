"""Was this model trained on data like the data it is scored on? The harness's domain check.

A learned model (``sklearn``, ``local``) scored on logs of another kind measures that other
kind, not itself: the dmesg-trained ``sklearn`` model scores 0.07 precision on BGL without a
word of warning otherwise. Two measured signs, from the model's training data and the scored data:

- **format**: most scored lines (``FOREIGN_FORMAT_SHARE``) are in input formats that are rare
  (below ``RARE_FORMAT_SHARE`` of the lines) in the training data, e.g. Loghub records parsed
  as ``plain`` against a model trained on ``dmesg``/``syslog``;
- **vocabulary**: fewer than ``MIN_WORD_COVERAGE`` of the scored data's words (counted per
  occurrence) are words the model has weights for.

Either sign gives a note starting ``TRAINED ELSEWHERE``, which ``tasseograph-eval run`` prints
as a warning beside the table. Models without a training set (``rules``, API models) get none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from tasseograph.compress import message_text
from tasseograph.eval.datasets import Dataset
from tasseograph.models.linear import feature_text, terms
from tasseograph.parsing import parse_delta

RARE_FORMAT_SHARE = 0.01
FOREIGN_FORMAT_SHARE = 0.5
MIN_WORD_COVERAGE = 0.4
NOTE_PREFIX = "TRAINED ELSEWHERE"


@dataclass(frozen=True)
class DataProfile:
    """What a set of logs looks like: lines per input format and word occurrences."""

    formats: Counter[str]
    words: Counter[str]

    @classmethod
    def of(cls, ds: Dataset) -> DataProfile:
        """Parse every case as the pipeline would and count formats and words."""
        formats: Counter[str] = Counter()
        words: Counter[str] = Counter()
        for case in ds.cases:
            delta = parse_delta(case.text, host=case.host)
            formats[delta.format] += len(delta.lines)
            for line in delta.lines:
                words.update(t for t in terms(feature_text(message_text(line))) if " " not in t)
        return cls(formats, words)


@dataclass(frozen=True)
class DomainCheck:
    """The comparison behind the note."""

    foreign_format_share: float | None
    """Share of scored lines in formats rare in training (None: the model does not say its formats)."""
    word_coverage: float | None
    """Share of scored word occurrences the model knows (None: no words, or the model keeps no vocabulary)."""

    @property
    def elsewhere(self) -> bool:
        """True when either sign says the model was trained on another kind of log."""
        return (self.foreign_format_share is not None and self.foreign_format_share > FOREIGN_FORMAT_SHARE) or (
            self.word_coverage is not None and self.word_coverage < MIN_WORD_COVERAGE)


def check_domain(model: Any, data: DataProfile) -> DomainCheck | None:
    """Compare a model's training data with ``data`` (None for models that were not trained)."""
    formats: dict[str, int] | None = getattr(model, "training_formats", None)
    known: frozenset[str] | None = getattr(model, "known_words", None)
    if formats is None and known is None:
        return None
    foreign = None
    if formats and data.formats:
        total = sum(formats.values())
        rare = {f for f in data.formats if formats.get(f, 0) < RARE_FORMAT_SHARE * total}
        foreign = sum(data.formats[f] for f in rare) / sum(data.formats.values())
    coverage = None
    if known is not None and data.words:
        coverage = sum(n for w, n in data.words.items() if w in known) / sum(data.words.values())
    return DomainCheck(foreign, coverage)


def domain_note(model: Any, ds: Dataset, trained_on: str) -> str | None:
    """A ``TRAINED ELSEWHERE`` note when ``model`` was trained on another kind of log than ``ds``."""
    result = check_domain(model, DataProfile.of(ds))
    if result is None or not result.elsewhere:
        return None
    signs = []
    if result.foreign_format_share is not None and result.foreign_format_share > FOREIGN_FORMAT_SHARE:
        signs.append(f"{result.foreign_format_share:.0%} of its lines are in formats its training data hardly had")
    if result.word_coverage is not None:
        signs.append(f"{result.word_coverage:.0%} of its words are in the model's vocabulary")
    return (f"{NOTE_PREFIX}: {getattr(model, 'name', 'the model')} was trained on {trained_on}; on {ds.name} "
            f"{' and '.join(signs)}: these scores measure another domain, not the model")
