"""An Alertmanager stand-in for replays: it takes the runner's posts in process and counts what
Alertmanager would notify, applying the ``inhibit_rules`` of an Alertmanager config file.

The runner posts every firing alert again and again (``alerts.repost``) and every resolution
once; Alertmanager keeps one alert per label set and notifies the alerts that fire while no
firing alert inhibits them. The stand-in does the same, one post (one runner cycle) at a time:

* an **episode** is a label set and its ``startsAt``: re-posts of it are the same alert;
* after each post, every firing episode not yet notified is checked against the inhibit rules
  (a rule inhibits a target alert when a *firing* source alert matches the rule's source
  matchers and has the same values for its ``equal`` labels; an alert that matches both sides
  of a rule is not inhibited by alerts that also do, as Alertmanager has it); the first post at
  which it is not inhibited notifies it (an alert inhibited until its inhibitor resolves is
  notified then);
* a resolution notifies only when its episode was notified.

Left out: grouping (``group_by`` batches several alerts into one message, so Alertmanager sends
at most as many notifications as counted here), ``group_wait``/``group_interval`` delays, and
``repeat_interval`` reminders of alerts still firing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tasseograph.errors import ConfigError
from tasseograph.runner.alerts import AlertmanagerClient, fingerprint

STAND_IN_URL = "http://alertmanager.stand-in"
"""Never contacted: the stand-in takes the posts in process."""
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$')


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher: ``name="value"``, ``!=``, ``=~`` or ``!~`` (regexes fully anchored)."""

    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when ``labels`` satisfy it (a missing label is the empty string)."""
        have = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (have == self.value) == (self.op == "=")
        return (re.fullmatch(self.value, have) is not None) == (self.op == "=~")


@dataclass(frozen=True)
class InhibitRule:
    """One ``inhibit_rules`` entry."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def inhibits(self, target: Mapping[str, str], sources: Sequence[Mapping[str, str]]) -> bool:
        """True when some firing alert of ``sources`` inhibits ``target`` under this rule."""
        if not all(m.matches(target) for m in self.target):
            return False
        two_sided = all(m.matches(target) for m in self.source)
        for source in sources:
            if source is target or not all(m.matches(source) for m in self.source):
                continue
            if two_sided and all(m.matches(source) for m in self.target):
                continue
            if all(source.get(n, "") == target.get(n, "") for n in self.equal):
                return True
        return False


def parse_matcher(text: str, where: str) -> Matcher:
    """A matcher from its text form.

    Raises:
        ConfigError: it is not one.
    """
    m = _MATCHER.match(text)
    if m is None:
        raise ConfigError(f"{where}: {text!r} is not an Alertmanager matcher (name=\"value\", !=, =~, !~)")
    value = m.group(3) if m.group(3) is not None else m.group(4)
    value = re.sub(r"\\(.)", r"\1", value)
    if m.group(2) in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}: {text!r}: not a regular expression ({exc})") from None
    return Matcher(m.group(1), m.group(2), value)


def load_inhibit_rules(path: Path) -> tuple[InhibitRule, ...]:
    """The ``inhibit_rules`` of an Alertmanager config file (``source_matchers``/``target_matchers`` form).

    Raises:
        ConfigError: the file is missing, not YAML, or a rule is not in that form (one line).
    """
    import yaml  # only the replay's stand-in reads Alertmanager's YAML

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read Alertmanager config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    raw = (data or {}).get("inhibit_rules") or [] if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: not an Alertmanager config (a mapping with inhibit_rules)")
    rules = []
    for i, entry in enumerate(raw):
        where = f"{path}: inhibit_rules[{i}]"
        if not isinstance(entry, dict) or not set(entry) <= {"source_matchers", "target_matchers", "equal"}:
            raise ConfigError(f"{where}: only source_matchers, target_matchers and equal are read "
                              "(the deprecated source_match/target_match forms are not)")
        rules.append(InhibitRule(
            tuple(parse_matcher(str(t), where) for t in entry.get("source_matchers") or []),
            tuple(parse_matcher(str(t), where) for t in entry.get("target_matchers") or []),
            tuple(str(n) for n in entry.get("equal") or [])))
    return tuple(rules)


@dataclass
class Delivered:
    """One notification the stand-in counted: an alert that fired (or its resolution)."""

    at: float
    """The post (simulated time) at which Alertmanager would have notified it."""
    labels: dict[str, str]
    annotations: dict[str, str]
    resolved: bool


@dataclass
class _Episode:
    labels: dict[str, str]
    annotations: dict[str, str]
    notified: bool = False


class CountingAlertmanager(AlertmanagerClient):
    """Takes the runner's posts (``AlertmanagerClient.post``) and counts notifications (module docstring).

    Example:
        >>> am = CountingAlertmanager(clock, load_inhibit_rules(Path("deploy/alertmanager/alertmanager.yml")))
        >>> runner = Runner(config, state, sources, alert_client=am, clock=clock)
    """

    def __init__(self, clock: Callable[[], float], rules: Sequence[InhibitRule] = ()) -> None:
        super().__init__(STAND_IN_URL)
        self.clock, self.rules = clock, tuple(rules)
        self.delivered: list[Delivered] = []
        self.episodes = 0
        """Firing episodes posted (before inhibition)."""
        self.inhibited = 0
        """Episodes that resolved without ever being notified (inhibited while they fired)."""
        self._firing: dict[str, _Episode] = {}
        self._seen: set[str] = set()

    def post(self, alerts: list[dict[str, Any]]) -> None:
        """Take one post, then notify what is no longer inhibited."""
        now = self.clock()
        for alert in json.loads(json.dumps(alerts)):
            labels = {str(k): str(v) for k, v in alert["labels"].items()}
            notes = {str(k): str(v) for k, v in alert.get("annotations", {}).items()}
            episode_id = f"{fingerprint(labels)}@{alert['startsAt']}"
            if _time(alert["endsAt"]) <= now + 1.0:  # a resolution (a firing alert's endsAt is now + hold)
                episode = self._firing.pop(episode_id, None)
                if episode is not None and episode.notified:
                    self.delivered.append(Delivered(now, labels, notes, True))
                elif episode is not None:
                    self.inhibited += 1
            elif episode_id not in self._seen:
                self._seen.add(episode_id)
                self.episodes += 1
                self._firing[episode_id] = _Episode(labels, notes)
        firing = [e.labels for e in self._firing.values()]
        for episode in self._firing.values():
            if not episode.notified and not any(r.inhibits(episode.labels, firing) for r in self.rules):
                episode.notified = True
                self.delivered.append(Delivered(now, episode.labels, episode.annotations, False))


def _time(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
