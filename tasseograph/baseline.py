"""Per-host baselines: which message templates this host produces when it is healthy.

DESIGN.md's roadmap item "baselines per resource": what is normal for this host (here: which
message templates at what rate), anomalies as deviations from it. A ``HostBaseline`` is a cost
lever beside the pre-filter: a delta made only of known noise and of templates the host already
produced in deltas a model judged ok, at their usual rate, is answered without a model call.

The rules (every one errs towards calling the model):

* **Learn only from judged ok verdicts.** A skipped verdict (pre-filter or baseline), a verdict
  whose model reply was unusable, and a delta holding a prompt-injection-like line teach
  nothing. Lines that match a catalogue signal (``signals.classify``), even below the
  signal's count threshold, are never learned.
* **Poison on non-ok.** Every template of a warning or critical delta is poisoned for the host:
  it can never be learned again (poison entries are never expired; only the size cap drops the
  oldest ones).
* **Warm-up.** Nothing is skipped before the host's baseline has learned ``warmup_deltas`` ok
  deltas.
* **Skip rule.** A delta is skipped when no signal fires, no line matches a catalogue signal
  or looks like an injection, and every non-blank line is either known noise
  (``signals.is_boring``), a muted signal's line, or a template in the baseline that is not
  poisoned and not expired.
* **Rate rule.** A baselined template counts as normal only at its usual rate: when its lines
  in this delta exceed ``rate_factor`` x its mean lines per learned ok delta, the delta goes to
  the model. Rates are per delta, not per second: the default factor of 10 absorbs adaptive
  polling's 3-6x longer healthy windows while a 100x burst still reaches the model.
* **Folding.** In a delta that is sent, ``usual_lines`` names the lines of learned (not
  poisoned, not expired, not rate-jumping) templates and known noise; baseline-aware compression
  (``Options.fold``) folds them into one summary line, so the model reads what is new.
* **Bounded memory.** Entries not seen for ``expiry_s`` are dropped; beyond ``max_templates``
  learned templates the least recently seen go first (poisoned ones are capped separately, at
  the same size).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tasseograph.compress import message_text, template_many
from tasseograph.errors import UsageError
from tasseograph.schema import Delta, Status, Verdict
from tasseograph.signals import SignalHit, classify, detect, is_boring

BASELINE_SKIP_REASON = "only noise and this host's baselined templates"
"""``Verdict.skip_reason`` of a delta the baseline answered (also the metrics' reason label)."""

INJECTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier)\b"
    r"|disregard\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|instructions)"
    r"|\b(?:system|developer)\s+prompt\b|\bnew\s+instructions?\b|\byou\s+are\s+now\b"
    r"|\b(?:respond|reply|answer)\s+(?:with|only)\b|\"status\"\s*:",
    re.IGNORECASE,
)
"""Text that addresses the model rather than the kernel: a delta holding it is never learned
from (its ok verdict may have been talked into) and never skipped (a heuristic, defence in depth)."""

LearnOutcome = Literal["learned", "poisoned", "ignored"]


@dataclass(frozen=True)
class BaselineSettings:
    """How a baseline learns, forgets and decides."""

    warmup_deltas: int = 12
    """Ok deltas learned before the baseline may skip anything."""
    max_templates: int = 2_000
    """Most learned templates kept per host (and, separately, most poisoned ones)."""
    expiry_s: float = 14 * 86_400.0
    """A learned template not seen in an ok delta for this long is forgotten."""
    rate_factor: float = 10.0
    """A template's lines in a delta above this multiple of its mean per ok delta are not normal."""

    def __post_init__(self) -> None:
        if self.warmup_deltas < 0 or self.max_templates < 1 or self.expiry_s <= 0 or self.rate_factor < 1:
            raise UsageError(
                "baseline settings: warmup_deltas >= 0, max_templates >= 1, expiry_s > 0 and rate_factor >= 1"
            )


@dataclass
class TemplateStats:
    """What a host's baseline knows about one template."""

    lines: int
    """Lines of this template in the ok deltas learned."""
    deltas: int
    """Ok deltas learned that held it."""
    first_seen: float
    last_seen: float
    """Unix time of the first and the latest delta (ok, or non-ok for poison) that held it."""
    poisoned: bool = False
    """Seen in a warning or critical delta: never normal for this host again."""

    @property
    def per_delta(self) -> float:
        """Mean lines of this template per ok delta that held it."""
        return self.lines / self.deltas if self.deltas else 0.0


@dataclass(frozen=True)
class BaselineCheck:
    """The baseline's decision on one delta, with why."""

    skip: bool
    reason: str
    unknown: int = 0
    """Lines that are neither noise nor baselined."""
    rate_jumps: tuple[str, ...] = ()
    """Baselined templates that came far above their usual rate."""


@dataclass
class HostBaseline:
    """One host's template baseline.

    Example:
        >>> b = HostBaseline("web1")
        >>> b.learn(delta, verdict)          # after each judged delta
        >>> b.skip_reason(next_delta, hits)  # None: call the model
    """

    host: str = "localhost"
    settings: BaselineSettings = field(default_factory=BaselineSettings)
    ok_deltas: int = 0
    """Ok deltas learned so far (drives the warm-up)."""
    templates: dict[str, TemplateStats] = field(default_factory=dict)

    @property
    def warm(self) -> bool:
        """True once enough ok deltas were learned for the baseline to skip anything."""
        return self.ok_deltas >= self.settings.warmup_deltas

    def learned(self) -> dict[str, TemplateStats]:
        """The learned (not poisoned) templates."""
        return {k: s for k, s in self.templates.items() if not s.poisoned}

    def poisoned(self) -> set[str]:
        """Templates seen in a warning or critical delta of this host."""
        return {k for k, s in self.templates.items() if s.poisoned}

    # --- deciding ------------------------------------------------------------------------------

    def check(
        self,
        delta: Delta,
        hits: Sequence[SignalHit] = (),
        muted: Sequence[SignalHit] = (),
        *,
        now: float | None = None,
    ) -> BaselineCheck:
        """Whether ``delta`` may skip the model (see the module docstring for the rule).

        Args:
            delta: the host's new lines.
            hits: catalogue signal hits that stay (any hit means the model is called).
            muted: hits an operator suppressed on this host; their lines count as noise.
            now: Unix time for expiry (default: the clock).
        """
        if not self.warm:
            return BaselineCheck(False, f"warm-up: {self.ok_deltas}/{self.settings.warmup_deltas} ok deltas")
        if hits:
            return BaselineCheck(False, "a catalogue signal fired")
        if not delta.lines:
            return BaselineCheck(False, "empty delta (the pre-filter's case)")
        oldest = (time.time() if now is None else now) - self.settings.expiry_s
        ignore = {i for hit in muted for i in hit.line_indices}
        counts: Counter[str] = Counter()
        unknown = 0
        for i, message, key in _lines(delta):
            if i in ignore:
                continue
            if INJECTION.search(message):
                return BaselineCheck(False, "a line addresses the model")
            if classify(message) is not None:
                return BaselineCheck(False, "a line matches a catalogue signal")
            if is_boring(message):
                continue
            stats = self.templates.get(key)
            if stats is None or stats.poisoned or stats.last_seen < oldest:
                unknown += 1
            else:
                counts[key] += 1
        if unknown:
            return BaselineCheck(False, f"{unknown} line(s) not in the baseline", unknown=unknown)
        jumps = tuple(
            k for k, n in counts.items() if n > self.settings.rate_factor * self.templates[k].per_delta
        )
        if jumps:
            return BaselineCheck(False, f"{len(jumps)} template(s) far above their usual rate", rate_jumps=jumps)
        return BaselineCheck(True, BASELINE_SKIP_REASON)

    def usual_lines(
        self,
        delta: Delta,
        hits: Sequence[SignalHit] = (),
        *,
        now: float | None = None,
        rate_jumps: Iterable[str] = (),
    ) -> frozenset[int]:
        """Lines the model need not read one by one: this host's usual templates and known noise.

        Baseline-aware compression folds these into one summary line. A line is usual when the
        baseline is warm and the line is known noise (``signals.is_boring``) or its template is
        learned, not poisoned, not expired and not among ``rate_jumps``. Never usual: a line
        behind a signal hit, a line the catalogue matches (``signals.classify``, even below a
        signal's count), a line that addresses the model (``INJECTION``).

        Args:
            delta: the host's new lines.
            hits: catalogue hits (their lines are never usual).
            now: Unix time for expiry (default: the clock).
            rate_jumps: templates far above their usual rate (``BaselineCheck.rate_jumps``).

        Returns:
            Indices into ``delta.lines``; empty while the baseline warms up.
        """
        if not self.warm:
            return frozenset()
        oldest = (time.time() if now is None else now) - self.settings.expiry_s
        signal = {i for hit in hits for i in hit.line_indices}
        jumps = set(rate_jumps)
        usual: set[int] = set()
        for i, message, key in _lines(delta):
            if i in signal or key in jumps or INJECTION.search(message) or classify(message) is not None:
                continue
            stats = self.templates.get(key)
            if is_boring(message) or (stats is not None and not stats.poisoned and stats.last_seen >= oldest):
                usual.add(i)
        return frozenset(usual)

    def skip_reason(
        self,
        delta: Delta,
        hits: Sequence[SignalHit] = (),
        muted: Sequence[SignalHit] = (),
        *,
        now: float | None = None,
    ) -> str | None:
        """``BASELINE_SKIP_REASON`` when the delta may skip the model, else None."""
        decision = self.check(delta, hits, muted, now=now)
        return decision.reason if decision.skip else None

    # --- learning ------------------------------------------------------------------------------

    def learn(
        self,
        delta: Delta,
        verdict: Verdict | Status,
        *,
        now: float | None = None,
        hits: Sequence[SignalHit] | None = None,
    ) -> LearnOutcome:
        """Learn from a judged delta: ok verdicts teach, warning/critical ones poison.

        Args:
            delta: the delta the verdict is about.
            verdict: its verdict, or a bare status when the caller already checked that a model
                judged it (a skipped verdict or one without a usable model reply is ignored).
            now: Unix time of the verdict (default: the clock).
            hits: the delta's catalogue hits, when already computed (their lines are never learned).

        Returns:
            What happened: ``learned``, ``poisoned`` or ``ignored``.
        """
        if isinstance(verdict, Verdict):
            if verdict.skipped or verdict.model_error:
                return "ignored"  # no model read these lines: nothing was judged
            status: str = verdict.status
        else:
            status = verdict
        if status not in ("ok", "warning", "critical"):
            raise UsageError(f"learn() takes a verdict or a status, not {status!r}")
        t = time.time() if now is None else now
        lines = list(_lines(delta))
        signal_lines = {i for hit in (detect(delta.lines) if hits is None else hits) for i in hit.line_indices}
        candidates = [
            (message, key) for i, message, key in lines
            if i not in signal_lines and classify(message) is None and not is_boring(message)
        ]
        if status != "ok":
            self._poison((key for _, key in candidates), t)
            return "poisoned"
        if any(INJECTION.search(message) for _, message, _ in lines):
            return "ignored"
        for key, n in Counter(key for _, key in candidates).items():
            stats = self.templates.get(key)
            if stats is None:
                self.templates[key] = TemplateStats(lines=n, deltas=1, first_seen=t, last_seen=t)
            elif not stats.poisoned:
                stats.lines, stats.deltas, stats.last_seen = stats.lines + n, stats.deltas + 1, max(stats.last_seen, t)
        self.ok_deltas += 1
        self._cap(poisoned=False)
        return "learned"

    def _poison(self, keys: Iterable[str], t: float) -> None:
        for key in keys:
            stats = self.templates.get(key)
            if stats is None:
                self.templates[key] = TemplateStats(lines=0, deltas=0, first_seen=t, last_seen=t, poisoned=True)
            else:
                stats.poisoned, stats.last_seen = True, max(stats.last_seen, t)
        self._cap(poisoned=True)

    # --- forgetting ----------------------------------------------------------------------------

    def expire(self, now: float | None = None) -> int:
        """Forget learned templates not seen for ``expiry_s``; returns how many went.

        Poisoned templates are kept: a template that once came with a failure stays suspect.
        """
        oldest = (time.time() if now is None else now) - self.settings.expiry_s
        stale = [k for k, s in self.templates.items() if not s.poisoned and s.last_seen < oldest]
        for key in stale:
            del self.templates[key]
        return len(stale)

    def _cap(self, *, poisoned: bool) -> None:
        """Drop the least recently seen entries of one kind beyond ``max_templates``."""
        kind = [(s.last_seen, s.deltas, k) for k, s in self.templates.items() if s.poisoned == poisoned]
        excess = len(kind) - self.settings.max_templates
        if excess > 0:
            for _, _, key in sorted(kind)[:excess]:
                del self.templates[key]


def _lines(delta: Delta) -> Iterable[tuple[int, str, str]]:
    """``(index, message, template)`` of each non-blank line (the template is ``compress``'s)."""
    messages = [message_text(line) for line in delta.lines]
    keys = template_many(messages)
    for i, (message, key) in enumerate(zip(messages, keys, strict=True)):
        if message.strip():
            yield i, message, key
