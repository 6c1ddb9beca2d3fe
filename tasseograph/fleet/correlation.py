"""Cross-host correlation: K hosts sharing a label value that show the same thing at once.

Three hosts of one rack losing link within minutes is a switch, not three NICs. The rule:

* **Same key.** Events are compared by category (``memory``, ``network``...) or by signal id
  (``CorrelationSettings.by``).
* **Forming a group.** When at least ``min_hosts`` (K) distinct hosts that share a label value
  (``rack=r12``) have events of one key whose times fit in ``window_s`` (first to last,
  inclusive), they form one group at once (no waiting: the K-th event decides). When several
  label values qualify, the group names the most specific: the one with the fewest hosts in
  the inventory (a switch before a row), ties broken by ``label_order``. Each event belongs to
  at most one group. Decided at the K-th host, a group is named by what those K hosts share:
  hosts of two racks failing together make one row group, and its ``breakdown`` counts the
  members per value of the labels that split them (``rack: {r1: 3, r2: 3}``).
* **Cohorts need more than K.** For labels that name a population (``model``, ``firmware``,
  ``kernel``...: ``cohort_labels``), a third of the fleet sharing a model is no coincidence, so
  the group also needs the hypergeometric probability of that many of the affected hosts
  falling in the cohort by chance to be at most ``max_chance``.
* **Growing.** A later event of the same key joins the group when it falls within ``window_s``
  of the group's span and its host has the group's label value, or shares a place label (not a
  cohort) with every member: then the group is renamed to the most specific place all its
  members share (three hosts on one PDU, then the rest of their switch: the switch). One group
  per incident, however many hosts it reaches, so one alert; its ``id`` never changes.
* **Repeats.** Events of one host and signal within one minute count once, so a group does not
  depend on how a host's lines were cut into deltas.
* **Time.** Only event times count (from the lines, never the reading time). Events and groups
  are kept for ``retain_s`` behind the newest event time seen, so a host catching up after
  downtime still joins the group its lines belong to.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tasseograph.fleet.history import bin_of
from tasseograph.fleet.inventory import Inventory
from tasseograph.fleet.saved import check_saved
from tasseograph.fleet.settings import CorrelationSettings

STATE_VERSION = 1
_SPLIT_LABELS = frozenset({"chassis", "pdu", "switch", "rack", "row", "room", "site"})
"""Labels a summary's breakdown shows (places; cohort splits are in ``breakdown`` only)."""


@dataclass(frozen=True)
class HostEvent:
    """Something one host showed at one time: a finding's category and signal."""

    host: str
    category: str
    signal_id: str
    at: float
    """When it was logged (Unix seconds, from the lines)."""


@dataclass
class CorrelatedGroup:
    """Hosts sharing a label value that showed the same key within the window."""

    id: str
    """Stable for the group's life: key, first event's time and host (the label may widen)."""
    by: str
    key: str
    label: str
    value: str
    members: list[str]
    """Hosts in the group, sorted."""
    first_at: float
    last_at: float
    formed_at: float
    """Time of the event that brought the group to K hosts."""
    label_hosts: int
    """Hosts with this label value in the inventory (and seen)."""
    shared: dict[str, str] = field(default_factory=dict)
    """Other labels every member shares (``switch``, ``row``...)."""
    breakdown: dict[str, dict[str, int]] = field(default_factory=dict)
    """Members per value of each label they do not share (``{"rack": {"r1": 3, "r2": 3}}``)."""
    signals: list[str] = field(default_factory=list)
    """Signal ids among the members' events."""
    events: int = 0
    chance: float | None = None
    """Hypergeometric probability of the concentration by chance (cohort labels only)."""

    def labels(self) -> dict[str, str]:
        """The labels an alert for the group carries: its own and every one its members share."""
        return {self.label: self.value, **self.shared}

    def summary(self) -> str:
        """One line: which label, how many hosts, what, how fast, who."""
        span = self.last_at - self.first_at
        also = ", ".join(f"{k}={v}" for k, v in sorted(self.shared.items()))
        split = "; ".join(f"{label} " + ", ".join(f"{v}: {n}" for v, n in sorted(counts.items()))
                          for label, counts in sorted(self.breakdown.items()) if label in _SPLIT_LABELS)
        text = (f"{len(self.members)} of {self.label_hosts} hosts with {self.label}={self.value} showed "
                f"{self.key} within {_span(span)}: {', '.join(self.members)}")
        return text + (f" (all share {also})" if also else "") + (f" ({split})" if split else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {**self.__dict__, "members": list(self.members), "shared": dict(self.shared),
                "breakdown": {k: dict(v) for k, v in self.breakdown.items()},
                "signals": list(self.signals), "summary": self.summary()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorrelatedGroup:
        """The group ``to_dict`` saved."""
        return cls(**{k: v for k, v in data.items() if k != "summary"})


@dataclass(frozen=True)
class GroupChange:
    """A group formed, or a host joined one (``group`` is a snapshot after the change)."""

    change: Literal["formed", "grew"]
    group: CorrelatedGroup
    kind: Literal["group"] = "group"

    @property
    def key(self) -> str:
        """Identity of the group (``formed`` and every ``grew`` share it)."""
        return f"group|{self.group.id}"

    def summary(self) -> str:
        """The group's summary."""
        return self.group.summary()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"kind": self.kind, "change": self.change, "group": self.group.to_dict()}


@dataclass
class _Held:
    event: HostEvent
    group: str | None = None


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class Correlator:
    """Streams host events into correlated groups (see the module docstring for the rule).

    Example:
        >>> corr = Correlator(load_inventory(Path("inventory.csv")))
        >>> for change in corr.add([HostEvent("web-01", "network", "net.link_down", t), ...]):
        ...     print(change.change, change.summary())
    """

    def __init__(self, inventory: Inventory, settings: CorrelationSettings | None = None) -> None:
        self.inventory = inventory
        self.settings = settings or CorrelationSettings()
        self.held: dict[str, list[_Held]] = {}
        """Events by key, sorted by (time, host)."""
        self.groups: dict[str, CorrelatedGroup] = {}
        self.watermark: float | None = None
        self.index: dict[tuple[str, str], set[str]] = {}
        self._seen: set[tuple[str, str, str, int]] = set()
        self.known: dict[str, dict[str, str]] = {}
        """Hosts seen or listed, with their labels."""
        for host in sorted(inventory.hosts):
            self._know(host)

    # --- input -----------------------------------------------------------------------------

    def add(self, events: Iterable[HostEvent]) -> list[GroupChange]:
        """Take events (any order; handled in time order); return the groups formed or grown."""
        changes: list[GroupChange] = []
        for event in sorted(events, key=lambda e: (e.at, e.host, e.category, e.signal_id)):
            change = self._add(event)
            if change is not None:
                changes.append(change)
        self._prune()
        return changes

    def _add(self, event: HostEvent) -> GroupChange | None:
        self._know(event.host)
        self.watermark = event.at if self.watermark is None else max(self.watermark, event.at)
        key = event.signal_id if self.settings.by == "signal" else event.category
        seen = (key, event.host, event.signal_id, bin_of(event.at))
        if seen in self._seen:
            return None
        self._seen.add(seen)
        held = _Held(event)
        bucket = self.held.setdefault(key, [])
        bucket.insert(bisect.bisect(bucket, (event.at, event.host), key=lambda h: (h.event.at, h.event.host)), held)
        labels = self.known[event.host]
        joined = self._join(key, held, labels)
        if joined is not None:
            return joined
        return self._form(key, held, labels)

    # --- joining and forming ---------------------------------------------------------------

    def _join(self, key: str, held: _Held, labels: dict[str, str]) -> GroupChange | None:
        window, at = self.settings.window_s, held.event.at
        options: list[tuple[tuple[int, int, int, str], CorrelatedGroup, str, str]] = []
        for g in self.groups.values():
            if g.key != key or not g.first_at - window <= at <= g.last_at + window:
                continue
            if labels.get(g.label) == g.value:
                options.append(((0, g.label_hosts, self._order(g.label), g.id), g, g.label, g.value))
            elif g.label not in self.settings.cohort_labels and held.event.host not in g.members:
                wider = self._common_place([*g.members, held.event.host])
                if wider is not None:
                    size = len(self.index[wider])
                    options.append(((1, size, self._order(wider[0]), g.id), g, *wider))
        if not options:
            return None
        _, group, label, value = min(options, key=lambda o: o[0])
        held.group = group.id
        grew = held.event.host not in group.members
        if grew:
            group.members = sorted({*group.members, held.event.host})
            group.label, group.value, group.label_hosts = label, value, len(self.index[(label, value)])
            group.shared, group.breakdown = self._shared(group.members, group.label)
        group.first_at, group.last_at = min(group.first_at, at), max(group.last_at, at)
        group.events += 1
        if held.event.signal_id not in group.signals:
            group.signals = sorted({*group.signals, held.event.signal_id})
        return GroupChange("grew", replace(group)) if grew else None

    def _common_place(self, hosts: list[str]) -> tuple[str, str] | None:
        """The most specific place label (not a cohort) every host shares, if any."""
        common = dict(self.known[hosts[0]])
        for host in hosts[1:]:
            other = self.known[host]
            common = {k: v for k, v in common.items() if other.get(k) == v}
        places = [(len(self.index[(k, v)]), self._order(k), k, v) for k, v in common.items()
                  if k not in self.settings.cohort_labels]
        if not places:
            return None
        _, _, label, value = min(places)
        return label, value

    def _form(self, key: str, held: _Held, labels: dict[str, str]) -> GroupChange | None:
        best: tuple[tuple[int, int, str, str], CorrelatedGroup, list[_Held]] | None = None
        for label, value in sorted(labels.items()):
            found = self._candidate(key, held, label, value)
            if found is None:
                continue
            group, members = found
            rank = (group.label_hosts, self._order(label), label, value)
            if best is None or rank < best[0]:
                best = (rank, group, members)
        if best is None:
            return None
        _, group, members = best
        for m in members:
            m.group = group.id
        self.groups[group.id] = group
        return GroupChange("formed", replace(group))

    def _candidate(self, key: str, held: _Held, label: str, value: str
                   ) -> tuple[CorrelatedGroup, list[_Held]] | None:
        window, k, at = self.settings.window_s, self.settings.min_hosts, held.event.at
        near = [h for h in self._between(key, at - window, at + window)
                if h.group is None and self.known[h.event.host].get(label) == value]
        for i, first in enumerate(near):
            if first.event.at > at:
                break
            span = [h for h in near[i:] if h.event.at <= first.event.at + window]
            hosts = {h.event.host for h in span}
            if len(hosts) >= k and held in span:
                return self._group(key, label, value, span, hosts, at)
        return None

    def _group(self, key: str, label: str, value: str, span: list[_Held], hosts: set[str],
               at: float) -> tuple[CorrelatedGroup, list[_Held]] | None:
        size = len(self.index.get((label, value), ()))
        chance = None
        if label in self.settings.cohort_labels:
            chance = self._chance(key, span, len(hosts), size)
            if chance > self.settings.max_chance:
                return None
        first = span[0].event.at
        members = sorted(hosts)
        shared, breakdown = self._shared(members, label)
        group = CorrelatedGroup(
            id=f"{key}@{first:.0f}@{span[0].event.host}", by=self.settings.by, key=key, label=label, value=value,
            members=members, first_at=first, last_at=span[-1].event.at, formed_at=at, label_hosts=size,
            shared=shared, breakdown=breakdown, signals=sorted({h.event.signal_id for h in span}),
            events=len(span), chance=chance,
        )
        return group, span

    def _chance(self, key: str, span: list[_Held], in_group: int, size: int) -> float:
        """P(at least ``in_group`` of the hosts affected fleet-wide fall in a group of ``size``)."""
        start, end = span[0].event.at, span[-1].event.at
        affected = {h.event.host for h in self._between(key, start, end)}
        return hypergeometric_tail(in_group, len(self.known), size, len(affected))

    # --- helpers ---------------------------------------------------------------------------

    def _between(self, key: str, lo: float, hi: float) -> list[_Held]:
        bucket = self.held.get(key, [])
        i = bisect.bisect_left(bucket, lo, key=lambda h: h.event.at)
        j = bisect.bisect_right(bucket, hi, key=lambda h: h.event.at)
        return bucket[i:j]

    def _shared(self, members: list[str], label: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
        """Labels every member has with one value, and member counts per value of the others."""
        values: dict[str, dict[str, int]] = {}
        for host in members:
            for name, value in self.known[host].items():
                counts = values.setdefault(name, {})
                counts[value] = counts.get(value, 0) + 1
        values.pop(label, None)
        shared = {k: next(iter(v)) for k, v in values.items() if len(v) == 1 and sum(v.values()) == len(members)}
        return shared, {k: v for k, v in values.items() if k not in shared}

    def _order(self, label: str) -> int:
        order = self.settings.label_order
        return order.index(label) if label in order else len(order)

    def _know(self, host: str) -> None:
        if host in self.known:
            return
        labels = self.known[host] = self.inventory.labels_of(host)
        for label, value in labels.items():
            self.index.setdefault((label, value), set()).add(host)

    def _prune(self) -> None:
        if self.watermark is None:
            return
        oldest = self.watermark - self.settings.retain_s
        for key in list(self.held):
            bucket = self.held[key]
            cut = bisect.bisect_left(bucket, oldest, key=lambda h: h.event.at)
            for h in bucket[:cut]:
                self._seen.discard((key, h.event.host, h.event.signal_id, bin_of(h.event.at)))
            del bucket[:cut]
            if not bucket:
                del self.held[key]
        self.groups = {gid: g for gid, g in self.groups.items() if g.last_at >= oldest}

    # --- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Events held, groups and hosts seen, as plain JSON types (inventory and settings are
        configuration and are not included)."""
        return {
            "version": STATE_VERSION,
            "watermark": self.watermark,
            "known": sorted(set(self.known) - set(self.inventory.hosts)),
            "events": [{**h.event.__dict__, "group": h.group} for key in sorted(self.held) for h in self.held[key]],
            "groups": [self.groups[g].to_dict() for g in sorted(self.groups)],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], inventory: Inventory,
                  settings: CorrelationSettings | None = None) -> Correlator:
        """A correlator ``to_dict`` saved, over today's inventory and settings.

        Raises:
            UsageError: the data is not a saved state of a version this code reads.
        """
        data = check_saved(data, STATE_VERSION, "correlation state")
        corr = cls(inventory, settings)
        for host in data.get("known", []):
            corr._know(host)
        corr.watermark = data.get("watermark")
        for raw in data.get("events", []):
            raw = dict(raw)
            group = raw.pop("group", None)
            event = HostEvent(**raw)
            key = event.signal_id if corr.settings.by == "signal" else event.category
            corr.held.setdefault(key, []).append(_Held(event, group))
            corr._seen.add((key, event.host, event.signal_id, bin_of(event.at)))
        for bucket in corr.held.values():
            bucket.sort(key=lambda h: (h.event.at, h.event.host))
        corr.groups = {g["id"]: CorrelatedGroup.from_dict(g) for g in data.get("groups", [])}
        return corr


def hypergeometric_tail(at_least: int, population: int, group: int, drawn: int) -> float:
    """P(X >= ``at_least``) when ``drawn`` of ``population`` hosts are affected at random and
    ``group`` of them carry the label (exact, from binomial coefficients)."""
    total = math.comb(population, drawn)
    if total == 0:
        return 1.0
    top = min(group, drawn)
    hits = sum(math.comb(group, i) * math.comb(population - group, drawn - i) for i in range(max(0, at_least), top + 1))
    return hits / total


def correlate(events: Iterable[HostEvent], inventory: Inventory,
              settings: CorrelationSettings | None = None) -> list[CorrelatedGroup]:
    """Every group a batch of events forms (the batch form of ``Correlator``), by first time."""
    corr = Correlator(inventory, settings)
    found = {change.group.id: change.group for change in corr.add(events)}
    found.update(corr.groups)  # the latest state of groups still held
    return sorted(found.values(), key=lambda g: (g.first_at, g.id))
