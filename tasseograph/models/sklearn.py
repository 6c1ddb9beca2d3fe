"""The ``sklearn`` model: a learned, offline first tier (TF-IDF over templated lines + linear models).

- ``sklearn:PATH`` loads a model trained by ``tasseograph-eval train`` (a joblib file).
- ``sklearn`` alone trains a default model on the repository's ``datasets/`` the first time it
  is used (a few seconds) and keeps it in ``$XDG_CACHE_HOME/tasseograph/`` keyed by a hash of the
  training files, so a fresh machine with no key has a working learned model.

Trust: a joblib file is a pickle; loading it runs code. Load only files you trained yourself.

Linear models (logistic regression) over TF-IDF of templated lines: a whole-delta binary one
(not ok vs ok) and a line-level one (evidence lines vs the rest) must both agree before there
is a finding (see ``predict``); a severity one (critical vs warning, trained on the positives)
sets its severity; one per category (trained on the positives) sets the categories. Evidence
is the alarming line that speaks most for the category, quoted verbatim from the delta.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tasseograph.cases import project_datasets, read_jsonl_cases
from tasseograph.errors import UsageError
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.parsing import parse_delta
from tasseograph.schema import CATEGORIES, FindingSource

FORMAT_VERSION = 2
DEFAULT_THRESHOLD = 0.5
DEFAULT_LINE_THRESHOLD = 0.4
"""Chosen on the repo set's train split against its test part and Thunderbird's false alarms."""
FALLBACK_CATEGORY = "driver"
"""Category used when the training data had none (Loghub): categories are not scored there."""
_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s*")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b")
_NUM = re.compile(r"\d+")


def builtin_template(line: str) -> str:
    """A line's template: timestamps, hex and numbers masked, so counts and addresses don't split it."""
    text = _TIMESTAMP.sub("", line)
    return _NUM.sub("<N>", _HEX.sub("<HEX>", text))


def templater_name() -> str:
    """``compress`` when the pipeline's own ``compress.template`` exists, else ``builtin``."""
    import tasseograph.compress as compress

    return "compress" if callable(getattr(compress, "template", None)) else "builtin"


def get_templater(name: str) -> Callable[[str], str]:
    """The line-templating function a bundle was trained with (features must match)."""
    if name == "builtin":
        return builtin_template
    import tasseograph.compress as compress

    fn = getattr(compress, "template", None)
    if not callable(fn):
        raise UsageError("this sklearn model was trained with tasseograph.compress.template, which is missing")
    # compress.template takes a message: the dmesg timestamp goes first.
    return lambda line: str(fn(_TIMESTAMP.sub("", line)))


def _doc(lines: Sequence[str], tpl: Callable[[str], str]) -> str:
    return "\n".join(tpl(x) for x in lines)


@dataclass
class Bundle:
    """Everything a trained model needs at prediction time (what the joblib file holds)."""

    vectorizer: Any
    binary: Any
    severity: Any | None
    """critical-vs-warning classifier, or None when the positives had one severity only."""
    severity_default: str
    categories: dict[str, Any] = field(default_factory=dict)
    category_default: str = FALLBACK_CATEGORY
    line_vectorizer: Any | None = None
    line_clf: Any | None = None
    """Line-level model (evidence lines vs the rest); None when the data had no evidence lines."""
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION


def train(texts: Sequence[str], statuses: Sequence[str], categories: Sequence[Sequence[str]], *,
          evidence: Sequence[Sequence[str]] | None = None, meta: dict[str, Any] | None = None) -> Bundle:
    """Fit the three linear models on labelled deltas.

    Args:
        texts: the deltas' raw text (one string per case, lines separated by ``\\n``).
        statuses: ``ok`` / ``warning`` / ``critical`` per case.
        categories: the truth categories per case (may be empty everywhere, as on Loghub).
        evidence: the truth evidence lines per case (trains the line-level model).
        meta: provenance to store in the bundle (training set, split).

    Raises:
        UsageError: the data has no positive or no negative case.
    """
    y = np.array([s != "ok" for s in statuses])
    if y.all() or not y.any():
        raise UsageError("sklearn training needs both ok and not-ok cases in the training split")
    tpl_name = templater_name()
    tpl = get_templater(tpl_name)
    vec = _vectorizer((1, 2))
    x = vec.fit_transform([_doc(t.splitlines(), tpl) for t in texts])
    pos = [int(i) for i in np.flatnonzero(y)]
    sev_y = np.array([statuses[i] == "critical" for i in pos])
    severity = _fit(x[pos], sev_y) if 0 < sev_y.sum() < len(pos) else None
    sev_default = "critical" if sev_y.mean() > 0.5 else "warning"
    cats: dict[str, Any] = {}
    counts = {c: sum(c in categories[i] for i in pos) for c in CATEGORIES}
    for c, n in counts.items():
        if 0 < n < len(pos):
            cats[c] = _fit(x[pos], np.array([c in categories[i] for i in pos]))
    cat_default = max(counts, key=lambda c: counts[c]) if any(counts.values()) else FALLBACK_CATEGORY
    line_vec, line_clf = _fit_lines(texts, statuses, evidence or [()] * len(texts), tpl)
    info = {"n_cases": len(texts), "n_positive": int(y.sum()), "templater": tpl_name, "formats": _formats(texts),
            **(meta or {})}
    return Bundle(vec, _fit(x, y, c=10.0), severity, sev_default, cats, cat_default, line_vec, line_clf, info)


def _formats(texts: Sequence[str]) -> dict[str, int]:
    """Lines per input format of the training texts (the harness's domain check reads it)."""
    out: dict[str, int] = {}
    for text in texts:
        delta = parse_delta(text)
        out[delta.format] = out.get(delta.format, 0) + len(delta.lines)
    return out


def _vectorizer(ngrams: tuple[int, int]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Words only: masked numbers (<N>, <HEX>) say nothing about health and pull unseen log
    # formats towards the positive class.
    return TfidfVectorizer(token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9_\-]+\b", ngram_range=ngrams, sublinear_tf=True)


def _fit_lines(texts: Sequence[str], statuses: Sequence[str], evidence: Sequence[Sequence[str]],
               tpl: Callable[[str], str]) -> tuple[Any | None, Any | None]:
    """Evidence lines of not-ok cases against every other line (ok cases' and context lines)."""
    lines: list[str] = []
    labels: list[bool] = []
    for text, status, ev in zip(texts, statuses, evidence, strict=True):
        quoted = {q.strip() for e in ev for q in e.splitlines() if q.strip()}
        for line in text.splitlines():
            if line.strip():
                lines.append(tpl(line))
                labels.append(status != "ok" and line.strip() in quoted)
    if not any(labels):
        return None, None
    vec = _vectorizer((1, 1))
    return vec, _fit(vec.fit_transform(lines), np.array(labels), c=1.0)


def _fit(x: Any, y: np.ndarray, c: float = 10.0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def save(bundle: Bundle, path: str | Path) -> None:
    """Write ``bundle`` to a joblib file (a pickle: share it only with people who trust you)."""
    import joblib

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, path)


def load(path: str | Path) -> Bundle:
    """Read a bundle written by ``save`` (this unpickles: load only files you trust)."""
    import joblib

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"sklearn model file not found: {p} (train one: tasseograph-eval train --dataset ... --out {p})")
    bundle = joblib.load(p)
    if not isinstance(bundle, Bundle) or bundle.version != FORMAT_VERSION:
        raise UsageError(f"{p} is not a tasseograph sklearn model (format {FORMAT_VERSION}); retrain it")
    return bundle


def default_model_path() -> Path:
    """The default model, trained on the repo's ``datasets/`` on first use and cached."""
    data = _repo_datasets()
    files = sorted(data.rglob("*.jsonl"))
    if not files:
        raise UsageError(f"no default sklearn model: {data} holds no *.jsonl cases; use --model sklearn:PATH")
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    h.update(f"{FORMAT_VERSION}/{templater_name()}/formats".encode())  # defaults cached before bundles recorded formats retrain
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasseograph"
    path = cache / f"sklearn-default-{h.hexdigest()[:16]}.joblib"
    if not path.exists():
        cases = read_jsonl_cases(data)
        save(train([c.text for c in cases], [c.status for c in cases], [c.categories for c in cases],
                   evidence=[c.evidence for c in cases], meta={"trained_on": str(data), "split": "all"}), path)
    return path


def _repo_datasets() -> Path:
    return project_datasets()


class SklearnModel(Model):
    """The learned local model (``sklearn`` or ``sklearn:PATH``); no key, no network."""

    local = True
    price_id: str | None = None
    finding_source: FindingSource = "model"

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        unknown = set(options) - {"threshold", "line_threshold"}
        if unknown:
            raise UsageError(f"the sklearn model takes the options threshold and line_threshold (got {', '.join(sorted(unknown))})")
        self.threshold = float(options.get("threshold", DEFAULT_THRESHOLD))
        self.line_threshold = float(options.get("line_threshold", DEFAULT_LINE_THRESHOLD))
        self.path = Path(model_id) if model_id else default_model_path()
        self.bundle = load(self.path)
        self.name = f"sklearn:{model_id}" if model_id else "sklearn"
        self._tpl = get_templater(self.bundle.meta.get("templater", "builtin"))
        self.training_formats: dict[str, int] = dict(self.bundle.meta.get("formats", {}))
        """Lines per input format it was trained on (the harness's domain check)."""
        self.known_words = frozenset(w for w in self.bundle.vectorizer.vocabulary_ if " " not in w)
        """The words it has weights for (the harness's domain check)."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Judge the request's delta; findings quote the most telling line verbatim."""
        return ModelReply(data=self.predict([line.evidence for line in request.delta.lines]), model_id=self.name)

    def predict(self, lines: Sequence[str]) -> dict[str, Any]:
        """The reply contract (plus ``confidence``) for one delta's lines.

        Not ok needs both the whole-delta model (p >= ``threshold``) and at least one line the
        line model finds alarming (p >= ``line_threshold``): the second keeps unseen log formats,
        whose every word is new, from being flagged wholesale.
        """
        lines = [x for x in lines if x.strip()]
        if not lines:
            return {"status": "ok", "issues": [], "confidence": 1.0}
        b = self.bundle
        x = b.vectorizer.transform([_doc(lines, self._tpl)])
        p = float(b.binary.predict_proba(x)[0, 1])
        line_p = self._line_scores(lines)
        if p < self.threshold or (line_p is not None and line_p.max() < self.line_threshold):
            return {"status": "ok", "issues": [], "confidence": round(1 - p, 4)}
        severity = b.severity_default
        if b.severity is not None:
            severity = "critical" if b.severity.predict_proba(x)[0, 1] >= 0.5 else "warning"
        issues = [
            {"severity": severity, "category": cat, "summary": f"sklearn: p(not ok)={p:.2f}, {cat}",
             "evidence": lines[self._evidence_line(lines, line_p, clf)]}
            for cat, clf in self._categories(x)
        ]
        return {"status": severity, "issues": issues, "confidence": round(p, 4)}

    def _line_scores(self, lines: Sequence[str]) -> np.ndarray | None:
        b = self.bundle
        if b.line_clf is None or b.line_vectorizer is None:
            return None
        return np.asarray(b.line_clf.predict_proba(b.line_vectorizer.transform([self._tpl(s) for s in lines]))[:, 1])

    def _evidence_line(self, lines: Sequence[str], line_p: np.ndarray | None, clf: Any) -> int:
        """The alarming line that speaks most for the category (verbatim evidence)."""
        b = self.bundle
        cand = np.arange(len(lines))
        if line_p is not None:
            cand = np.flatnonzero(line_p >= min(self.line_threshold, float(line_p.max())))
        if clf is None:
            return int(cand[int(np.argmax(line_p[cand]))]) if line_p is not None else 0
        scores = np.asarray(b.vectorizer.transform([self._tpl(lines[int(i)]) for i in cand]) @ clf.coef_[0]).ravel()
        return int(cand[int(np.argmax(scores))])

    def _categories(self, x: Any) -> list[tuple[str, Any]]:
        b = self.bundle
        scored = [(c, float(clf.predict_proba(x)[0, 1]), clf) for c, clf in b.categories.items()]
        chosen = [(c, clf) for c, prob, clf in scored if prob >= 0.5]
        if chosen:
            return chosen
        if scored:
            best = max(scored, key=lambda t: t[1])
            return [(best[0], best[2])]
        return [(b.category_default, None)]
