"""Which past incidents one prompt shows, and in what form: the render stage's use of the library.

``analyze(..., examples=...)`` takes three forms:

- a tuple of examples (``{"text", "reply"}``): shown as given, in the system part;
- ``"fixed"``: the library's balanced fixed set (``IncidentLibrary.fixed``), in the system part,
  the same bytes for every delta (redacted on their own, so their placeholders never depend on
  the delta), so the system part stays one cache entry;
- ``"retrieved"``: the ``k`` past incidents most like this delta, in the user part, after the
  cached system part, redacted with the delta's own redactor (a confirmed incident from another
  host of the fleet must not send that host's name, addresses or serials to the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tasseograph.errors import UsageError
from tasseograph.prompts import reply_json
from tasseograph.redact import Redactor
from tasseograph.retrieval.library import IncidentLibrary, PastIncident, check_k, example_of
from tasseograph.schema import Delta
from tasseograph.signals import SignalHit

ExampleMode = Literal["fixed", "retrieved"]
MODES: tuple[str, ...] = ("none", "fixed", "retrieved")
"""What ``examples`` may name (``none`` is the empty tuple)."""


@dataclass(frozen=True)
class Shown:
    """The examples of one prompt: fixed ones for the system part, retrieved ones for the user part."""

    examples: tuple[Any, ...] = ()
    """System-part examples, ready to render."""
    incidents: tuple[PastIncident, ...] = ()
    """The past incidents retrieved for this delta."""
    fixed_ids: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Ids of every past incident the prompt shows (``Verdict.examples``)."""
        return (*self.fixed_ids, *(p.incident.id for p in self.incidents))

    @property
    def hosts(self) -> list[str]:
        """Host names the retrieved incidents carry (the redactor masks them)."""
        return sorted({p.incident.host for p in self.incidents if p.incident.host})

    def incident_examples(self, redactor: Redactor | None) -> list[dict[str, Any]]:
        """The retrieved incidents as the template takes them, redacted when ``redactor`` is given."""
        return [_redacted(p.as_example(), redactor) for p in self.incidents]


def parse_mode(value: object) -> tuple[Any, ...] | ExampleMode:
    """``examples`` as the pipeline keeps it: a tuple, ``"fixed"`` or ``"retrieved"`` (``"none"``: ``()``).

    Raises:
        UsageError: an unknown name.
    """
    if isinstance(value, str):
        if value not in MODES:
            raise UsageError(f"examples must be a list of examples or one of {', '.join(MODES)} (got {value!r})")
        return () if value == "none" else value  # type: ignore[return-value]
    if not isinstance(value, Iterable):
        raise UsageError(f"examples must be a list of examples or one of {', '.join(MODES)} (got {value!r})")
    return tuple(value)


def choose(delta: Delta, hits: Sequence[SignalHit], *, mode: ExampleMode, k: int, library: IncidentLibrary,
           redact: bool) -> Shown:
    """The examples one prompt shows for ``delta`` (see the module docstring); ``redact``: whether
    the call is redacted (fixed examples then get a redactor of their own)."""
    check_k(k)
    if mode == "fixed":
        fixed = library.fixed(k)
        own = Redactor(hosts=sorted({i.host for i in fixed if i.host})) if redact else None
        return Shown(examples=tuple(_redacted(example_of(i), own) for i in fixed), fixed_ids=tuple(i.id for i in fixed))
    return Shown(incidents=tuple(library.nearest(delta, k, hits=hits)))


def _redacted(example: dict[str, Any], redactor: Redactor | None) -> dict[str, Any]:
    if redactor is None:
        return example
    return {**example, "text": redactor.redact(example["text"]), "note": redactor.redact(example["note"]),
            "reply": redactor.redact(reply_json(example["reply"]))}
