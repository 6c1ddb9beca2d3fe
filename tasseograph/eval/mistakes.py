"""The misses and false alarms of each run: what a reviewer reads first in a pull request.

A miss is a case whose truth is not ok that the run called ok; a false alarm is a truly-ok case
it flagged. Each carries its first evidence line: the labelled line for a miss (what should
have been caught), the first finding's evidence for a false alarm (what was wrongly flagged).
The lines are untrusted log text: renderers escape them and ``clip`` bounds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tasseograph.eval.execute import CaseResult, RunResult
from tasseograph.schema import STATUS_RANK

MAX_EVIDENCE_CHARS = 160
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Mistake:
    """One wrong call."""

    case_id: str
    epoch: int
    kind: Literal["miss", "false alarm"]
    truth: str
    verdict: str
    evidence: str
    """First evidence line, clipped ("" when there is none)."""


@dataclass
class RunMistakes:
    """A run's misses and false alarms (all of them; renderers cap what they show)."""

    run_id: str
    label: str
    misses: list[Mistake] = field(default_factory=list)
    false_alarms: list[Mistake] = field(default_factory=list)

    def counts(self) -> str:
        """``2 misses, 1 false alarm``."""
        return f"{_plural(len(self.misses), 'miss', 'misses')}, " \
               f"{_plural(len(self.false_alarms), 'false alarm', 'false alarms')}"

    @property
    def clean(self) -> bool:
        """True when the run missed nothing and raised no false alarm."""
        return not self.misses and not self.false_alarms


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def clip(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """One line of at most ``limit`` characters, control characters replaced."""
    line = _CONTROL.sub("?", text.strip().splitlines()[0] if text.strip() else "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_mistakes(summary: dict[str, Any], run: RunResult, label: str) -> RunMistakes:
    """Every miss (most severe truth first) and false alarm of one run, in case order otherwise."""
    evidence = {c.id: c.evidence for c in run.spec.dataset.cases}
    out = RunMistakes(summary["run_id"], label)
    for c in run.cases:
        if c.truth_status != "ok" and c.pred_status == "ok":
            out.misses.append(_mistake(c, "miss", next(iter(evidence.get(c.case_id, ())), "")))
        elif c.truth_status == "ok" and c.pred_status != "ok":
            out.false_alarms.append(_mistake(c, "false alarm", _finding_evidence(c)))
    out.misses.sort(key=lambda m: -STATUS_RANK.get(m.truth, 0))
    return out


def _mistake(c: CaseResult, kind: Literal["miss", "false alarm"], evidence: str) -> Mistake:
    return Mistake(c.case_id, c.epoch, kind, c.truth_status, c.pred_status, clip(evidence))


def _finding_evidence(c: CaseResult) -> str:
    for f in c.findings:
        if f.get("evidence"):
            return str(f["evidence"])
    return ""


def all_mistakes(summaries: Sequence[dict[str, Any]], runs: Sequence[RunResult],
                 labels: Sequence[str]) -> list[RunMistakes]:
    """``run_mistakes`` for each (summary, run) pair."""
    return [run_mistakes(s, r, lab) for s, r, lab in zip(summaries, runs, labels, strict=True)]
