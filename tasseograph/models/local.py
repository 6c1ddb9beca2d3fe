"""The ``local`` model: the default offline tier, the signal catalogue plus a calibrated classifier.

- Where a catalogue signal fires, the catalogue decides: its findings, its severity (the
  pipeline merges them, with their ids and counts, as for ``rules``).
- Lines no signal covers and the noise catalogue does not call boring are scored by a linear
  classifier (TF-IDF + logistic regression, ``tasseograph.models.local_train``). A line at or
  above the alarm threshold becomes a finding; it is critical only when the severity score
  reaches the critical threshold, chosen out of fold for critical precision (a critical pages
  someone at night), and never in a delta where the catalogue already fired (there the
  catalogue's severity stands). Categories a signal already reports get no classifier finding.
- ``local`` trains on the project's ``datasets/`` plus, when ``../shared`` is present, the real
  dev set and the whole boot logs, on first use (a few seconds), and caches the result in
  ``$XDG_CACHE_HOME/tasseograph/`` keyed by the data and the catalogue. ``local:PATH`` loads a
  bundle trained by ``tasseograph-eval train --model local``. Findings say what the classifier
  was trained on.

Bundles are JSON and predicting needs neither scikit-learn nor numpy, so the default offline
model stays quick to start.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.compress import message_text
from tasseograph.errors import UsageError
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.models.common import validate_options
from tasseograph.models.linear import feature_text
from tasseograph.models.local_bundle import LocalBundle, read_bundle, write_bundle
from tasseograph.models.local_data import TrainingSource, default_sources, training_digest
from tasseograph.models.local_train import train_local
from tasseograph.models.local_tune import MIN_KNOWN_SHARE
from tasseograph.schema import FindingSource, KernelLine
from tasseograph.signals import SMALL_DELTA_LINES, SignalHit, boring_mask, classify, is_boring, scan

MAX_EVIDENCE_LINES = 5
"""Most flagged lines quoted in one classifier finding (the strongest first)."""


class LocalOptions(BaseModel):
    """Options of the ``local`` model (``--model local`` with ``options`` in a suite or the runner config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str] | None = None
    """Default training sources to use (``repo``, ``dev``, ``noise``); default: every one present."""
    alarm_threshold: float | None = Field(None, gt=0, le=1)
    """Override the trained alarm threshold (p that a line is evidence of a problem)."""
    critical_threshold: float | None = Field(None, gt=0, le=1)
    """Override the trained critical threshold (p(critical) of an unrecognised problem)."""
    catalogue: bool = True
    """False judges every non-boring line with the classifier alone (to measure it without the
    catalogue; combine with the pipeline's ``merge_signals = false``)."""


def default_bundle_path(sources: Sequence[TrainingSource]) -> Path:
    """Where the bundle trained on ``sources`` is cached (keyed by their data and the catalogue)."""
    h = hashlib.sha256(training_digest().encode())
    for s in sources:
        h.update(f"{s.name}:{s.sha256()}".encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasseograph"
    return cache / f"local-{h.hexdigest()[:16]}.json"


def default_bundle(names: Sequence[str] | None = None) -> LocalBundle:
    """The default bundle: trained on the named default sources on first use, then cached."""
    sources = default_sources(names)
    path = default_bundle_path(sources)
    if path.exists():
        return read_bundle(path)
    bundle = train_local(sources)
    write_bundle(bundle, path)
    return bundle


class LocalModel(Model):
    """The default offline model (``local`` or ``local:PATH``); no key, no network."""

    local = True
    price_id: str | None = None
    finding_source: FindingSource = "model"

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        self.options = validate_options(LocalOptions, options, "local")
        if model_id and self.options.sources is not None:
            raise UsageError("the local model takes 'sources' only without a bundle path (local, not local:PATH)")
        self.bundle = read_bundle(Path(model_id)) if model_id else default_bundle(self.options.sources)
        self.name = f"local:{model_id}" if model_id else "local"
        self.alarm_threshold = self.options.alarm_threshold or self.bundle.alarm_threshold
        self.critical_threshold = self.options.critical_threshold or self.bundle.critical_threshold
        self.trained_on = tuple(s.path for s in self.bundle.trained_on)
        """Paths of the data the classifier learned from (the harness checks it against what it scores)."""
        self.trained_split = "train" if all(s.split == "train" for s in self.bundle.trained_on) else "all"
        """``train`` when every source was the train part of a split (its test part is unseen)."""
        self.training_formats = self.bundle.formats()
        """Lines per input format the classifier learned from (the harness's domain check)."""
        self.known_words = frozenset(t for t in self.bundle.alarm.vocabulary if " " not in t)
        """The words the classifier has weights for (the harness's domain check)."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Judge the lines no catalogue signal covers (the pipeline merges the signals themselves)."""
        data = self.predict(request.delta.lines, request.signals)
        return ModelReply(data=data, model_id=self.name, unjudged=tuple(data.pop("unjudged")))

    def predict(self, lines: Sequence[KernelLine], signals: Sequence[SignalHit] = ()) -> dict[str, Any]:
        """The reply contract for one delta, plus ``confidence`` (the highest line score) and
        ``unjudged`` (indices of lines too unlike anything the classifier learned to judge)."""
        use_catalogue = self.options.catalogue
        # Per distinct feature text (kernel logs repeat themselves): p, or None when not judged.
        scores: dict[str, float | None] = {}
        scored: list[tuple[float, int]] = []
        unjudged: list[int] = []
        for i, message in self._candidates(lines, signals):
            text = feature_text(message)
            if text not in scores:
                share = self.bundle.alarm.known_share(text)
                # A line without a word (a CPU list, a hex dump) says nothing to judge or report.
                scores[text] = self.bundle.alarm.probability(text) if share and share >= MIN_KNOWN_SHARE else None
                if share is not None and scores[text] is None:
                    unjudged.append(i)  # the first line of each kind it cannot judge
            p = scores[text]
            if p is not None:
                scored.append((p, i))
        top = max((p for p, _ in scored), default=0.0)
        flagged = sorted(((p, i) for p, i in scored if p >= self.alarm_threshold), reverse=True)
        if not flagged:
            return {"status": "ok", "issues": [], "confidence": round(1 - top, 4), "unjudged": unjudged}
        reported = {c for hit in signals for c in (hit.category, *hit.also)} if use_catalogue else set()
        issues = [
            self._issue(category, group, lines, capped=bool(signals) and use_catalogue)
            for category, group in self._by_category(flagged, lines).items() if category not in reported
        ]
        status = "critical" if any(x["severity"] == "critical" for x in issues) else "warning" if issues else "ok"
        return {"status": status, "issues": issues, "confidence": round(top, 4), "unjudged": unjudged}

    def _candidates(self, lines: Sequence[KernelLine], signals: Sequence[SignalHit]) -> list[tuple[int, str]]:
        """``(index, message)`` of the lines the classifier judges: not blank, not known noise, and
        (with the catalogue on) not a catalogue line, muted or below its count included."""
        messages = [message_text(line) for line in lines]
        use_catalogue = self.options.catalogue
        covered = {i for hit in signals for i in hit.line_indices} if use_catalogue else set()
        if len(messages) >= SMALL_DELTA_LINES:  # one RE2 pass each instead of a regex per line
            scanned = scan(messages)
            boring = boring_mask(messages, scanned=scanned)
            catalogue = set(scanned.indices) if use_catalogue else set()
        else:
            boring = [is_boring(m) for m in messages]
            catalogue = {i for i, m in enumerate(messages) if use_catalogue and classify(m) is not None}
        return [(i, m) for i, m in enumerate(messages)
                if m.strip() and not boring[i] and i not in covered and i not in catalogue]

    def _by_category(self, flagged: list[tuple[float, int]], lines: Sequence[KernelLine]) -> dict[str, list[tuple[float, int]]]:
        groups: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for p, i in flagged:
            groups[self._category(feature_text(message_text(lines[i])))].append((p, i))
        return groups

    def _category(self, text: str) -> str:
        model = self.bundle.category
        if model is None:
            return self.bundle.default_category
        probs = model.probabilities(text)
        return max(probs, key=lambda c: probs[c])

    def _issue(self, category: str, group: list[tuple[float, int]], lines: Sequence[KernelLine], *,
               capped: bool) -> dict[str, Any]:
        doc = "\n".join(feature_text(message_text(lines[i])) for _, i in group)
        p_crit = self.bundle.severity.probability(doc) if self.bundle.severity is not None else 0.0
        critical = not capped and self.critical_threshold is not None and p_crit >= self.critical_threshold
        quoted = sorted(i for _, i in group[:MAX_EVIDENCE_LINES])
        n = len(group)
        return {
            "severity": "critical" if critical else "warning",
            "category": category,
            "summary": (f"{n} kernel line{'s' if n > 1 else ''} no catalogue signal knows, flagged by the local "
                        f"classifier (p={group[0][0]:.2f}, p(critical)={p_crit:.2f}; trained on {self.bundle.describe()})"),
            "evidence": "\n".join(lines[i].raw for i in quoted),
        }

