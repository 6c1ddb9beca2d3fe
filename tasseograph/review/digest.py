"""The fleet digest: what the runner's state says happened in a window, read without writing.

:func:`read_digest` opens the state read-only through the store (a SQLite file or a
``postgresql://`` URL; a running runner is not disturbed and the state is never migrated) and gathers:

* the findings seen in the window that nobody closed or hid: ``active``, ``regressed``,
  ``acknowledged`` and ``resolved`` ones (a link that went down and came back is still news for
  the day); ``snoozed`` and ``dismissed`` findings and those under a suppression stay out, as
  an operator asked;
* templates no host's baseline held before the window (``new to the fleet``), when the
  baselines are older than the window (a state younger than that has no history to be new to);
* hosts that went silent: last checked before ``now - silent_after``.

Every SQL statement stays in the store (``FindingStore.query``, ``Store.hosts``,
``store.baselines.fleet_templates_since``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tasseograph.findings.record import FindingRecord
from tasseograph.findings.suppression import matching
from tasseograph.store import Store, open_store, store_errors
from tasseograph.store.baselines import fleet_templates_since
from tasseograph.store.readable import readable_version

DIGEST_STATES = ("active", "regressed", "acknowledged", "resolved")
"""Finding states a review looks at (snoozed and dismissed ones were put aside by an operator)."""
FINDINGS_VERSION = 4
"""First schema version with findings (``tasseograph run`` of this version upgrades older files)."""
NEW_TEMPLATES_SHOWN = 20


@dataclass(frozen=True)
class NewTemplate:
    """A template no host had produced before the window."""

    template: str
    first_seen: float
    hosts: int
    lines: int


@dataclass(frozen=True)
class SilentHost:
    """A host whose last check is older than the silence threshold."""

    host: str
    last_check: float
    last_status: str | None


@dataclass
class Digest:
    """What the state holds for one window (times in Unix seconds)."""

    since: float
    now: float
    findings: list[FindingRecord] = field(default_factory=list)
    suppressed: int = 0
    """Findings of the window left out because a suppression covers them."""
    new_templates: list[NewTemplate] = field(default_factory=list)
    templates_note: str = ""
    """Why no new templates are listed, when they cannot be (no baseline, or one too young)."""
    silent_hosts: list[SilentHost] = field(default_factory=list)
    hosts_checked: int = 0


@contextmanager
def readonly_state(location: Path | str) -> Iterator[Store]:
    """The store at ``location`` opened read-only, after checking that it is one we can read.

    Raises:
        StateError: the file is missing, empty, damaged, the database cannot be reached, or the
            state is too old to hold findings or written by a newer tasseograph (one line that says
            what to do).
    """
    readable_version(location, min_version=FINDINGS_VERSION, too_old=(
        "older than findings: run `tasseograph run --once` with this tasseograph to upgrade it"))
    with store_errors(location):
        store = open_store(location, readonly=True, migrate=False)
    try:
        with store_errors(store):
            yield store
    finally:
        store.close()


def read_digest(location: Path | str, *, since: float, now: float, silent_after: float) -> Digest:
    """The digest of the state at ``location`` (a file or a URL) for the window ``[since, now]``.

    Args:
        since: start of the window (findings last seen before it are left out).
        now: the review's time (silence is measured back from it).
        silent_after: seconds without a check after which a host counts as silent.

    Raises:
        StateError: as :func:`readonly_state`.
    """
    with readonly_state(location) as state:
        findings = state.findings()
        records = findings.query(states=DIGEST_STATES, since=since)
        rules = findings.suppressions()
        kept = [r for r in records if not matching(rules, r.key, now)]
        oldest, rows = fleet_templates_since(state.reader, since, NEW_TEMPLATES_SHOWN)
        hosts = state.hosts()
    digest = Digest(since=since, now=now, findings=kept, suppressed=len(records) - len(kept),
                    hosts_checked=len(hosts))
    if oldest is None:
        digest.templates_note = "no host baseline yet: nothing can be new to the fleet"
    elif oldest >= since:
        digest.templates_note = "the fleet's baselines are younger than the window: new templates not judged"
    else:
        digest.new_templates = [NewTemplate(*row) for row in rows]
    digest.silent_hosts = sorted(
        (SilentHost(h, last, status) for h, (last, status, _) in hosts.items()
         if last is not None and last < now - silent_after),
        key=lambda s: (s.last_check, s.host))
    return digest
