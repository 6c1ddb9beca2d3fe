"""The ``sklearn`` model: a learned, offline first tier (TF-IDF over templated lines + linear models).

- ``sklearn:PATH`` loads a model trained by ``tasseograph-eval train`` (a joblib file).
- ``sklearn`` alone trains a default model on the repository's ``datasets/`` the first time it
  is used (a few seconds) and keeps it in ``$XDG_CACHE_HOME/tasseograph/`` keyed by a hash of the
  training files, so a fresh machine with no key has a working learned model.

Trust: a joblib file is a pickle; loading it runs code. Load only files you trained yourself.

Three linear models share one TF-IDF vocabulary: a binary one (not-ok vs ok) decides whether
there is a finding; a severity one (critical vs warning, trained on the positives) sets its
severity; one per category (trained on the positives) sets the categories. Evidence is the
delta's line that contributes most to the positive decision (or to the category), quoted verbatim.
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

from tasseograph.errors import UsageError
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.schema import CATEGORIES

FORMAT_VERSION = 1
DEFAULT_THRESHOLD = 0.5
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
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION


def train(texts: Sequence[str], statuses: Sequence[str], categories: Sequence[Sequence[str]], *,
          meta: dict[str, Any] | None = None) -> Bundle:
    """Fit the three linear models on labelled deltas.

    Args:
        texts: the deltas' raw text (one string per case, lines separated by ``\\n``).
        statuses: ``ok`` / ``warning`` / ``critical`` per case.
        categories: the truth categories per case (may be empty everywhere, as on Loghub).
        meta: provenance to store in the bundle (training set, split).

    Raises:
        UsageError: the data has no positive or no negative case.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    y = np.array([s != "ok" for s in statuses])
    if y.all() or not y.any():
        raise UsageError("sklearn training needs both ok and not-ok cases in the training split")
    tpl_name = templater_name()
    tpl = get_templater(tpl_name)
    vec = TfidfVectorizer(token_pattern=r"[A-Za-z_<][A-Za-z0-9_>\-]+", ngram_range=(1, 2), sublinear_tf=True,
                          min_df=1, lowercase=True)
    x = vec.fit_transform([_doc(t.splitlines(), tpl) for t in texts])
    pos = np.flatnonzero(y)
    sev_y = np.array([statuses[i] == "critical" for i in pos])
    severity = _fit(x[pos], sev_y) if 0 < sev_y.sum() < len(pos) else None
    sev_default = "critical" if sev_y.mean() > 0.5 else "warning"
    cats: dict[str, Any] = {}
    counts = {c: sum(c in categories[i] for i in pos) for c in CATEGORIES}
    for c, n in counts.items():
        if 0 < n < len(pos):
            cats[c] = _fit(x[pos], np.array([c in categories[i] for i in pos]))
    cat_default = max(counts, key=lambda c: counts[c]) if any(counts.values()) else FALLBACK_CATEGORY
    info = {"n_cases": len(texts), "n_positive": int(y.sum()), "templater": tpl_name, **(meta or {})}
    return Bundle(vec, _fit(x, y), severity, sev_default, cats, cat_default, info)


def _fit(x: Any, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(x, y)


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
    h.update(f"{FORMAT_VERSION}/{templater_name()}".encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasseograph"
    path = cache / f"sklearn-default-{h.hexdigest()[:16]}.joblib"
    if not path.exists():
        from tasseograph.eval.datasets import load_dataset

        ds = load_dataset(data)
        save(train([c.text for c in ds.cases], [c.status for c in ds.cases], [c.categories for c in ds.cases],
                   meta={"trained_on": str(data), "split": "all"}), path)
    return path


def _repo_datasets() -> Path:
    return Path(__file__).resolve().parents[2] / "datasets"


class SklearnModel:
    """The learned local model (``sklearn`` or ``sklearn:PATH``); no key, no network."""

    local = True
    price_id: str | None = None

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        unknown = set(options) - {"threshold"}
        if unknown:
            raise UsageError(f"the sklearn model takes only the option 'threshold' (got {', '.join(sorted(unknown))})")
        self.threshold = float(options.get("threshold", DEFAULT_THRESHOLD))
        self.path = Path(model_id) if model_id else default_model_path()
        self.bundle = load(self.path)
        self.name = f"sklearn:{model_id}" if model_id else "sklearn"
        self._tpl = get_templater(self.bundle.meta.get("templater", "builtin"))

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Judge the request's delta; findings quote the most telling line verbatim."""
        return ModelReply(data=self.predict([line.raw for line in request.delta.lines]), model_id=self.name)

    def predict(self, lines: Sequence[str]) -> dict[str, Any]:
        """The reply contract (plus ``confidence``, p(not ok)) for one delta's lines."""
        lines = [x for x in lines if x.strip()]
        if not lines:
            return {"status": "ok", "issues": [], "confidence": 1.0}
        b = self.bundle
        x = b.vectorizer.transform([_doc(lines, self._tpl)])
        p = float(b.binary.predict_proba(x)[0, 1])
        if p < self.threshold:
            return {"status": "ok", "issues": [], "confidence": round(1 - p, 4)}
        severity = b.severity_default
        if b.severity is not None:
            severity = "critical" if b.severity.predict_proba(x)[0, 1] >= 0.5 else "warning"
        line_x = b.vectorizer.transform([self._tpl(s) for s in lines])
        issues = [
            {"severity": severity, "category": cat, "summary": f"sklearn: p(not ok)={p:.2f}, {cat}",
             "evidence": lines[_top_line(line_x, clf if clf is not None else b.binary)]}
            for cat, clf in self._categories(x)
        ]
        return {"status": severity, "issues": issues, "confidence": round(p, 4)}

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


def _top_line(line_x: Any, clf: Any) -> int:
    """Index of the line whose features push ``clf`` hardest towards positive."""
    scores = np.asarray(line_x @ clf.coef_[0]).ravel()
    return int(np.argmax(scores))
