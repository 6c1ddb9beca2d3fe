"""New to this host, new to the fleet: lines whose template no baseline has seen.

A line the fleet has never produced is where a catalogue's misses hide. With a host's baseline
(``HostBaseline``: templates of the deltas a model judged, ok or not) and optionally the fleet's
(``FleetTemplates``: the union over every warm host), each line of a delta that is not blank,
not known noise and not a catalogue signal line is checked by its template:

- ``fleet``: no warm host of the fleet ever produced it (the strongest mark);
- ``host``: this host never did (its baseline is warm), though others have.

What the marks change:

- the prompt: compression keeps these lines whatever the cut and puts them first, tagged
  ``[new to this host]`` / ``[new to the fleet]``, so an LLM reads them before anything else;
- the verdict: ``Verdict.novel`` lists them. A local model (``rules``, ``local``) cannot vouch
  for a line it has no history for, so unless a finding quotes it, it is reported as
  "unknown kernel message, not judged": a field, not a finding, so an unknown line never pages
  by itself. The ``local`` classifier adds the lines too unlike its training data to score
  (scope ``model``).

Before a baseline is warm nothing is new to it: every line would be, and the marks would say nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasseograph.baseline import HostBaseline
from tasseograph.compress import message_text, template_many
from tasseograph.schema import Delta, NoveltyScope
from tasseograph.signals import SignalHit, classify, is_boring

TAGS: dict[NoveltyScope, str] = {"host": "new to this host", "fleet": "new to the fleet", "model": "unknown to the classifier"}
"""How each mark reads in the prompt and the text output."""


@dataclass
class FleetTemplates:
    """The templates any warm host of the fleet has produced (learned or poisoned).

    Example:
        >>> fleet = FleetTemplates.from_baselines(state_baselines)
        >>> analyze(delta, baseline=hosts["web1"], fleet=fleet)
    """

    templates: set[str] = field(default_factory=set)
    hosts: int = 0
    """Warm host baselines merged in."""

    @classmethod
    def from_baselines(cls, baselines: Iterable[HostBaseline]) -> FleetTemplates:
        """The union of every warm baseline's templates (cold ones would add half a picture)."""
        fleet = cls()
        for b in baselines:
            fleet.add(b)
        return fleet

    def add(self, baseline: HostBaseline) -> None:
        """Merge one host's templates, when its baseline is warm."""
        if baseline.warm:
            self.templates.update(baseline.templates)
            self.hosts += 1

    @property
    def warm(self) -> bool:
        """True once at least one warm host is merged in."""
        return self.hosts > 0

    def __contains__(self, template: object) -> bool:
        return template in self.templates


def novel_lines(
    delta: Delta,
    *,
    baseline: HostBaseline | None = None,
    fleet: FleetTemplates | None = None,
    hits: Sequence[SignalHit] = (),
) -> dict[int, NoveltyScope]:
    """Indices of ``delta``'s lines new to the host or the fleet, with the stronger mark.

    Args:
        delta: the host's new lines.
        baseline: this host's baseline (ignored until warm).
        fleet: the fleet's templates (ignored until warm).
        hits: the delta's catalogue hits (their lines are judged by the catalogue, never novel).
    """
    host_warm = baseline is not None and baseline.warm
    fleet_warm = fleet is not None and fleet.warm
    if not (host_warm or fleet_warm) or not delta.lines:
        return {}
    covered = {i for hit in hits for i in hit.line_indices}
    messages = [message_text(line) for line in delta.lines]
    out: dict[int, NoveltyScope] = {}
    for i, (message, key) in enumerate(zip(messages, template_many(messages), strict=True)):
        if i in covered or not message.strip() or is_boring(message) or classify(message) is not None:
            continue
        if fleet_warm and fleet is not None and key not in fleet:
            out[i] = "fleet"
        elif host_warm and baseline is not None and key not in baseline.templates:
            out[i] = "host"
    return out
