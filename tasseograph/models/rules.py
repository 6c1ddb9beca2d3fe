"""The ``rules`` model: the signal catalogue alone, offline and deterministic."""

from __future__ import annotations

from typing import Any

from tasseograph.errors import UsageError
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.schema import FindingSource, worst_status


class RulesModel(Model):
    """Judges a delta by the deterministic signal catalogue; needs no key and no network."""

    local = True
    price_id: str | None = None
    finding_source: FindingSource = "signal"

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        if model_id:
            raise UsageError(f"the rules model takes no model id (got 'rules:{model_id}'); use --model rules")
        if options:
            raise UsageError(f"the rules model takes no options (got {', '.join(sorted(options))})")
        self.name = "rules"

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Turn the request's signal hits into the reply contract."""
        issues = [
            {
                "severity": hit.severity,
                "category": hit.category,
                "summary": hit.summary,
                "evidence": "\n".join(hit.evidence),
            }
            for hit in request.signals
        ]
        status = worst_status([i["severity"] for i in issues])
        return ModelReply(data={"status": status, "issues": issues}, model_id="rules")
