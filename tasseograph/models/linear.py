"""Linear text scorers that predict without scikit-learn: TF-IDF weights and logistic coefficients as data.

scikit-learn fits them (``tasseograph.models.local_train``); this module keeps what prediction
needs (each term's idf and coefficients) in a JSON-friendly pydantic model and scores a text in
pure Python. So the default offline model loads from a plain JSON file (no pickle, nothing runs
on load) and ``tasseograph analyze`` does not import scikit-learn, numpy or scipy.

The arithmetic is scikit-learn's ``TfidfVectorizer(analyzer=terms, sublinear_tf=True)`` (l2
norm, smoothed idf) followed by ``LogisticRegression``'s decision function; a test checks the
probabilities match scikit-learn's to 1e-9.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b")
_NUM = re.compile(r"\d+")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]+")


def feature_text(message: str) -> str:
    """A kernel message with its variable parts masked: hex and digits go, even inside words.

    Unlike ``compress.template`` (which keeps ``nvme0n1`` and ``eth2`` for the model to name the
    device), features drop device numbers, so ``nvme0`` and ``nvme3`` teach the same thing.
    """
    return _NUM.sub(" ", _HEX.sub(" ", message))


def terms(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams of ``text`` (what the vectorizer counts)."""
    words = [w.lower() for w in _TOKEN.findall(text)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class LinearScorer(BaseModel):
    """TF-IDF (sublinear tf, l2 norm) followed by one or more logistic regressions.

    ``coef[k]`` holds the coefficient of every vocabulary term for output ``k``. A binary
    model has one output (the positive class ``classes[1]``); a multinomial one has one per class.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    vocabulary: list[str]
    idf: list[float]
    classes: list[str]
    coef: list[list[float]]
    intercept: list[float]
    _index: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _shapes(self) -> LinearScorer:
        n = len(self.vocabulary)
        if len(self.idf) != n or any(len(row) != n for row in self.coef) or len(self.coef) != len(self.intercept):
            raise ValueError("vocabulary, idf and coefficient rows must have the same length")
        outputs = 1 if len(self.classes) == 2 else len(self.classes)
        if len(self.coef) != outputs:
            raise ValueError(f"{len(self.classes)} classes need {outputs} coefficient row(s), got {len(self.coef)}")
        return self

    def model_post_init(self, _context: Any, /) -> None:
        # A term -> column index, built once (the lists are what the file stores).
        self._index = {t: i for i, t in enumerate(self.vocabulary)}

    def _features(self, text: str) -> dict[int, float]:
        get = self._index.get
        counts = Counter(i for t in terms(text) if (i := get(t)) is not None)
        weights = {i: (1.0 + math.log(n)) * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {i: w / norm for i, w in weights.items()} if norm else {}

    def known_share(self, text: str) -> float | None:
        """Share of the text's words that are in the vocabulary (None when it has no word)."""
        return known_share(text, self._index)

    def decision(self, text: str) -> list[float]:
        """The linear decision value of each output."""
        x = self._features(text)
        return [b + sum(row[i] * v for i, v in x.items()) for row, b in zip(self.coef, self.intercept, strict=True)]

    def probability(self, text: str) -> float:
        """Binary models: probability of the positive class (``classes[1]``)."""
        (z,) = self.decision(text)
        return _sigmoid(z)

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability of every class (softmax for multinomial models)."""
        z = self.decision(text)
        if len(self.classes) == 2:
            p = _sigmoid(z[0])
            return {self.classes[0]: 1 - p, self.classes[1]: p}
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {c: v / total for c, v in zip(self.classes, e, strict=True)}

    @classmethod
    def from_sklearn(cls, vectorizer: Any, clf: Any) -> LinearScorer:
        """Export a fitted ``TfidfVectorizer`` + ``LogisticRegression`` pair."""
        vocab = vectorizer.get_feature_names_out()
        return cls(
            vocabulary=[str(t) for t in vocab],
            idf=[float(v) for v in vectorizer.idf_],
            classes=[str(c) for c in clf.classes_],
            coef=[[float(v) for v in row] for row in clf.coef_],
            intercept=[float(v) for v in clf.intercept_],
        )


def known_share(text: str, vocabulary: Container[str]) -> float | None:
    """Share of ``text``'s words (unigrams) found in ``vocabulary`` (None when it has no word)."""
    words = [t for t in terms(text) if " " not in t]
    return sum(w in vocabulary for w in words) / len(words) if words else None


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def fit_vectorizer(texts: Sequence[str], *, min_df: int = 1) -> Any:
    """A scikit-learn ``TfidfVectorizer`` over ``terms`` (sublinear tf), fitted on ``texts``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=min_df).fit(texts)


def fit_logistic(vectorizer: Any, texts: Sequence[str], labels: Sequence[str | bool], *, c: float = 1.0) -> Any:
    """A class-balanced scikit-learn ``LogisticRegression`` on ``vectorizer``'s features of ``texts``.

    Kernel logs repeat themselves: identical examples are fitted once with their count as a
    weight (the same loss, a fraction of the rows). Classes are balanced by their full counts,
    as ``class_weight="balanced"`` would on the repeated rows.
    """
    from sklearn.linear_model import LogisticRegression

    rows = Counter(zip(texts, labels, strict=True))
    per_class = Counter(labels)
    balance = {k: len(labels) / (len(per_class) * n) for k, n in per_class.items()}
    x = vectorizer.transform([t for t, _ in rows])
    y = [k for _, k in rows]
    weights = [n * balance[k] for (_, k), n in rows.items()]
    return LogisticRegression(C=c, max_iter=3000).fit(x, y, sample_weight=weights)


def fit_scorer(texts: Sequence[str], labels: Sequence[str | bool], *, c: float = 1.0, vectorizer: Any = None) -> LinearScorer:
    """Fit TF-IDF + logistic regression with scikit-learn and export it.

    Args:
        texts: one feature text per example (``feature_text`` of a line, or several joined).
        labels: one class label per example (two or more distinct values).
        c: inverse regularisation strength.
        vectorizer: a fitted vectorizer to reuse (so several scorers share one vocabulary).
    """
    vec = vectorizer or fit_vectorizer(texts)
    return LinearScorer.from_sklearn(vec, fit_logistic(vec, texts, labels, c=c))
