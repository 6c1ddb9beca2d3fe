"""STUB (to be replaced by the backends work): robust parsing of model replies."""

from __future__ import annotations

import json

from tasseograph.errors import ModelReplyError
from tasseograph.models.base import ModelReply
from tasseograph.schema import TriageReply


def parse_reply(reply: ModelReply, *, model: str = "") -> TriageReply:
    """Validate a model reply against the contract; raise ``ModelReplyError`` if it is not."""
    try:
        data = reply.data if reply.data is not None else json.loads(reply.text)
        return TriageReply.model_validate(data)
    except Exception as exc:
        raise ModelReplyError(f"reply is not the JSON contract: {exc}", model=model, body=reply.text) from exc
