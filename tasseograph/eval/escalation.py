"""Escalation policies scored from the same per-case results (no new model call).

Given, on one dataset and prompt, the runs of a small model (Haiku), a large one (Sonnet) and a
local tier (rules or sklearn), each policy picks per case which verdict stands and pays for
every model it consulted:

- ``small`` / ``large`` alone: the single runs themselves;
- ``escalate-nonok``: small, then large whenever small says not ok (large's verdict stands);
- ``escalate-uncertain``: small, then large only when small says warning, its reply failed, or
  its reported confidence is below ``LOW_CONFIDENCE``;
- ``local-first``: the local tier screens; its ok is final (free); otherwise as
  ``escalate-uncertain``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from tasseograph.eval.execute import CaseResult, RunResult

LOW_CONFIDENCE = 0.7


@dataclass(frozen=True)
class EscalationSpec:
    """Which runs play which tier."""

    small: str
    large: str
    local: str | None = None


def uncertain(r: CaseResult) -> bool:
    """A verdict worth a second opinion: warning, failed reply, or low self-reported confidence."""
    low = r.confidence is not None and r.confidence < LOW_CONFIDENCE
    return r.pred_status == "warning" or r.model_error is not None or low


def chain(results: Sequence[CaseResult]) -> CaseResult:
    """The last verdict of ``results``, paying tokens, cost and latency of all of them."""
    final = results[-1]
    usage = results[0].usage
    for r in results[1:]:
        usage = usage + r.usage
    return replace(
        final, usage=usage, cost_usd=sum(r.cost_usd for r in results), latency_s=sum(r.latency_s for r in results),
        n_requests=sum(r.n_requests for r in results), cache_hits=sum(r.cache_hits for r in results),
        origins=tuple(sorted({o for r in results for o in r.origins})),
    )


Decide = Callable[[CaseResult, CaseResult, CaseResult | None], CaseResult]


def _nonok(s: CaseResult, lg: CaseResult, _: CaseResult | None) -> CaseResult:
    return chain([s, lg]) if s.pred_status != "ok" else s


def _uncertain(s: CaseResult, lg: CaseResult, _: CaseResult | None) -> CaseResult:
    return chain([s, lg]) if uncertain(s) else s


def _local_first(s: CaseResult, lg: CaseResult, loc: CaseResult | None) -> CaseResult:
    assert loc is not None
    if loc.pred_status == "ok":
        return loc
    return chain([loc, s, lg]) if uncertain(s) else chain([loc, s])


POLICIES: dict[str, tuple[Decide, bool]] = {
    "escalate-nonok": (_nonok, False),
    "escalate-uncertain": (_uncertain, False),
    "local-first": (_local_first, True),
}
"""Policy name to (decision, needs the local tier)."""


def escalation_runs(runs: Sequence[RunResult], spec: EscalationSpec) -> list[RunResult]:
    """Composite runs for every policy that the available runs support.

    Runs are matched on dataset and options label; small and large also on prompt.
    """
    out: list[RunResult] = []
    for small in (r for r in runs if r.model_name == spec.small and r.policy == "single"):
        key = (small.spec.dataset.name, small.spec.options_label)
        large = _find(runs, spec.large, key, small.prompt)
        local = _find(runs, spec.local, key, None) if spec.local else None
        if large is None:
            continue
        for name, (decide, needs_local) in POLICIES.items():
            if needs_local and local is None:
                continue
            out.append(_compose(name, decide, small, large, local))
    return out


def _find(runs: Sequence[RunResult], model: str | None, key: tuple[str, str], prompt: str | None) -> RunResult | None:
    for r in runs:
        same = (r.spec.dataset.name, r.spec.options_label) == key and r.policy == "single"
        if same and r.model_name == model and (r.local or r.prompt == prompt):
            return r
    return None


def _compose(name: str, decide: Decide, small: RunResult, large: RunResult, local: RunResult | None) -> RunResult:
    lg = {(c.case_id, c.epoch): c for c in large.cases}
    lo = {(c.case_id, c.epoch): c for c in local.cases} if local else {}
    cases = []
    for s in small.cases:
        k = (s.case_id, s.epoch)
        if k in lg and (local is None or k in lo):
            cases.append(decide(s, lg[k], lo.get(k)))
    tiers = ([local.model_name] if local and name == "local-first" else []) + [small.model_name, large.model_name]
    return RunResult(
        spec=small.spec, model_name=" → ".join(tiers), prompt=small.prompt, local=False, cases=cases,
        policy=name, price_id=None, origin=" ".join(sorted({small.origin, large.origin})),
    )
