"""The incident library: past incidents indexed for nearest-neighbour search (scikit-learn).

Each incident's document (the templates of its notable lines and its catalogue signal ids, see
``incident.py``) is turned into TF-IDF weights (``TfidfVectorizer``, sublinear tf, l2 norm,
over the local model's terms: words and word pairs with digits masked, so ``nvme0`` and
``nvme3`` read the same); ``NearestNeighbors`` (cosine, brute force) finds the closest ones to
a delta read the same way. Results are sorted by similarity, then by the incident's place in
the library (incidents are kept sorted by id), so the same library and delta always give the
same neighbours.

A query never gets back the case it is about: ``excluding`` gives a view of the library without
an entry's id, every incident with the same content fingerprint (a near-copy: same lines,
other numbers or timestamps), and every excerpt of the same source log. The harness asks each
case through such a view; fixed few-shot examples come from the same view.

Memory is bounded: at most ``MAX_INCIDENTS`` incidents (labelled cases first, then the newest
confirmed ones), each with a bounded document and excerpt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tasseograph.errors import UsageError
from tasseograph.models.linear import feature_text, terms
from tasseograph.retrieval.incident import SIGNAL_TERM, Incident, Reading
from tasseograph.schema import Delta

if TYPE_CHECKING:
    from tasseograph.signals import SignalHit

MAX_INCIDENTS = 5000
"""Most incidents one library holds."""
DEFAULT_K = 4
MAX_K = 16
MIN_SIMILARITY = 0.1
"""Neighbours less similar than this (cosine of the TF-IDF vectors) are not shown: an unrelated
"past incident" would cost tokens and mislead."""
STATUS_ROUND = ("critical", "warning", "ok")
"""Fixed examples are picked round-robin over these statuses."""
_SIMILARITY_DIGITS = 9


def analyzer(document: Sequence[str]) -> list[str]:
    """The terms of a document: each template's words and word pairs (digits masked), and signal ids."""
    out: list[str] = []
    for line in document:
        out.extend([line] if line.startswith(SIGNAL_TERM) else terms(feature_text(line)))
    return out


@dataclass(frozen=True)
class PastIncident:
    """A neighbour found for a delta: the incident, how similar it is, and whether it is this host's."""

    incident: Incident
    similarity: float
    same_host: bool = False

    def as_example(self) -> dict[str, Any]:
        """The form prompt templates take (``prompts.render(incidents=...)``)."""
        return example_of(self.incident, similarity=self.similarity, same_host=self.same_host)


def example_of(incident: Incident, *, similarity: float | None = None, same_host: bool = False) -> dict[str, Any]:
    """An incident as a prompt example: ``text`` and ``reply`` (as every template takes them) plus
    ``id``, ``kind``, ``note``, ``similarity`` (two decimals, or "") and ``same_host``."""
    return {
        "id": incident.id, "text": "\n".join(incident.lines), "reply": incident.reply(), "note": incident.note,
        "kind": "operator-confirmed finding" if incident.kind == "confirmed" else "labelled case",
        "similarity": "" if similarity is None else f"{similarity:.2f}", "same_host": same_host,
    }


@dataclass(frozen=True)
class _Index:
    """The fitted TF-IDF vectorizer, the incidents' matrix and the neighbour search."""

    vectorizer: Any
    matrix: Any
    search: Any


def _fit(incidents: Sequence[Incident]) -> _Index | None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm="l2")
    try:
        matrix = vectorizer.fit_transform([i.document for i in incidents])
    except ValueError:  # no incident has a single term: nothing can be similar to anything
        return None
    search = NearestNeighbors(metric="cosine", algorithm="brute").fit(matrix)
    return _Index(vectorizer, matrix, search)


@dataclass(frozen=True)
class IncidentLibrary:
    """Past incidents and their index.

    Example:
        >>> library = IncidentLibrary.build(incidents)
        >>> [n.incident.id for n in library.nearest(delta, k=4)]
        >>> analyze(delta, model="anthropic:claude-haiku-4-5", prompt="triage-v3", examples="retrieved", library=library)
    """

    incidents: tuple[Incident, ...]
    index: _Index | None = field(repr=False, compare=False)
    excluded: frozenset[int] = frozenset()
    """Positions of the incidents this view leaves out (``excluding``)."""
    min_similarity: float = MIN_SIMILARITY
    sources: tuple[str, ...] = ()
    """What the incidents were read from (for reports): ``repo (192)``, ``dev (60)``, ``confirmed (3)``."""

    @classmethod
    def build(cls, incidents: Iterable[Incident], *, min_similarity: float = MIN_SIMILARITY,
              sources: Sequence[str] = ()) -> IncidentLibrary:
        """Index ``incidents`` (sorted by id; the first ``MAX_INCIDENTS``; one per id).

        Raises:
            UsageError: ``min_similarity`` is not between 0 and 1.
        """
        if not 0 <= min_similarity <= 1:
            raise UsageError(f"min_similarity must be between 0 and 1 (got {min_similarity})")
        unique = {i.id: i for i in incidents}
        kept = tuple(sorted(unique.values(), key=lambda i: i.id))[:MAX_INCIDENTS]
        return cls(kept, _fit(kept) if kept else None, frozenset(), min_similarity, tuple(sources))

    def __len__(self) -> int:
        return len(self.incidents) - len(self.excluded)

    def with_confirmed(self, confirmed: Sequence[Incident]) -> IncidentLibrary:
        """A new library: this one's labelled cases plus ``confirmed`` in place of any confirmed
        incidents it held (the index is refit; the newest confirmed ones are kept when full)."""
        base = [i for i in self.incidents if i.kind == "labelled"]
        if not confirmed and len(base) == len(self.incidents):
            return self
        room = max(MAX_INCIDENTS - len(base), 0)
        newest = sorted(confirmed, key=lambda i: -(i.at or 0.0))[:room]
        label = [s for s in self.sources if not s.startswith("confirmed")]
        label += [f"confirmed ({len(newest)})"] if newest else []
        return IncidentLibrary.build([*base, *newest], min_similarity=self.min_similarity, sources=label)

    def digest(self) -> str:
        """A short hash of the incidents held (what a cache key or a report names)."""
        h = hashlib.sha256()
        for i in self.incidents:
            h.update(f"{i.id}\0{i.fingerprint}\0{i.status}\0{i.note}\n".encode())
        return h.hexdigest()[:16]

    # --- exclusion -------------------------------------------------------------------------

    def excluding(self, case_id: str | None = None, *, fingerprint: str | None = None) -> IncidentLibrary:
        """This library without one case: incidents with its id (as its own file names it), with
        its content ``fingerprint``, and every other excerpt of the log those came from."""
        bare = case_id.rpartition(":")[2].rpartition("/")[2] if case_id else None
        hit = {n for n, i in enumerate(self.incidents)
               if (bare is not None and i.bare_id == bare) or (fingerprint is not None and i.fingerprint == fingerprint)}
        origins = {self.incidents[n].origin for n in hit} - {""}
        hit |= {n for n, i in enumerate(self.incidents) if i.origin in origins}
        return IncidentLibrary(self.incidents, self.index, self.excluded | hit, self.min_similarity, self.sources)

    def excluded_ids(self) -> list[str]:
        """Ids of the incidents this view leaves out."""
        return [self.incidents[n].id for n in sorted(self.excluded)]

    # --- queries ---------------------------------------------------------------------------

    def nearest(self, delta: Delta, k: int = DEFAULT_K, *, hits: Sequence[SignalHit] | None = None
                ) -> list[PastIncident]:
        """The ``k`` past incidents most like ``delta`` (at least ``min_similarity``; near-copies of
        one another shown once).

        Args:
            delta: the host's new lines.
            k: most neighbours returned.
            hits: the delta's catalogue hits, when the caller has them (else detected here).

        Raises:
            UsageError: ``k`` is out of range.
        """
        check_k(k)
        if self.index is None or len(self) == 0:
            return []
        query = self.index.vectorizer.transform([Reading.of(delta.lines, hits=hits).document()])
        if query.nnz == 0:
            return []
        distances, positions = self.index.search.kneighbors(query, n_neighbors=len(self.incidents))
        ranked = sorted(zip(distances[0], positions[0], strict=True),
                        key=lambda dp: (round(float(dp[0]), _SIMILARITY_DIGITS), int(dp[1])))
        out: list[PastIncident] = []
        seen: set[str] = set()
        for distance, pos in ranked:
            similarity = 1.0 - float(distance)
            if len(out) == k or similarity < self.min_similarity:
                break
            incident = self.incidents[int(pos)]
            if int(pos) in self.excluded or incident.fingerprint in seen:
                continue
            seen.add(incident.fingerprint)
            # Only the fleet's own memory can be about this host; a labelled case's host name is invented.
            same = incident.kind == "confirmed" and incident.host == delta.host
            out.append(PastIncident(incident, round(similarity, 4), same_host=same))
        return out

    def fixed(self, k: int = DEFAULT_K) -> list[Incident]:
        """``k`` labelled incidents for fixed few-shot examples: round-robin over critical, warning
        and ok, each status in the order of a hash of its id (the same set for every delta)."""
        check_k(k)
        queues = {s: sorted((i for n, i in enumerate(self.incidents)
                             if n not in self.excluded and i.kind == "labelled" and i.status == s),
                            key=lambda i: hashlib.sha256(i.id.encode()).hexdigest()) for s in STATUS_ROUND}
        out: list[Incident] = []
        while len(out) < k and any(queues.values()):
            for status in STATUS_ROUND:
                if queues[status] and len(out) < k:
                    out.append(queues[status].pop(0))
        return out


def check_k(k: int) -> None:
    """Raise ``UsageError`` unless ``k`` is a count of examples the prompts can take."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise UsageError(f"k (examples per prompt) must be a whole number from 1 to {MAX_K} (got {k!r})")
