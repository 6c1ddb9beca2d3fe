"""Turn a model's reply into the JSON reply contract, tolerating the usual wrapping.

Models wrap JSON in thinking blocks, code fences and polite prose, even when told not to. This
module strips those, finds the JSON object, validates it with ``TriageReply`` and normalises
the status so it is never milder than the worst issue. Anything that is still not the contract
raises ``ModelReplyError`` with a short message (the pipeline then asks once more).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from tasseograph.errors import ModelReplyError
from tasseograph.models.base import ModelReply
from tasseograph.schema import TriageReply, worst_status

PREVIEW_CHARS = 120
"""How much of a bad reply goes into the error message (the full body is kept on the error)."""

_THINKING = re.compile(r"<(thinking|think|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
# An opening tag never closed (the reply was cut off mid-thought): drop up to the first '{'.
_UNCLOSED_THINKING = re.compile(r"^\s*<(thinking|think|reasoning)>[^{]*", re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
_LOWERCASE_FIELDS = ("status", "severity", "category")


def parse_reply(reply: ModelReply, *, model: str = "") -> TriageReply:
    """Validate a model reply against the contract.

    ``reply.data`` (already parsed, e.g. from tool use) is used when present; otherwise the
    JSON object is dug out of ``reply.text``.

    Args:
        reply: what the backend returned.
        model: model name, for the error.

    Returns:
        The reply, with ``status`` raised to at least the worst issue's severity.

    Raises:
        ModelReplyError: no JSON object in the text, or one that breaks the contract.
    """
    data = reply.data if reply.data is not None else extract_json(reply.text, model=model)
    try:
        parsed = TriageReply.model_validate(_lowercase_enums(data))
    except ValidationError as exc:
        raise ModelReplyError(
            f"reply JSON does not match the contract ({_summarise(exc)}): {_preview(_body(reply))}",
            model=model,
            body=_body(reply),
        ) from None
    return normalise(parsed)


def extract_json(text: str, *, model: str = "") -> dict[str, Any]:
    """Find the reply's JSON object in text that may carry thinking blocks, fences or prose.

    Raises:
        ModelReplyError: the text holds no JSON object.
    """
    cleaned = strip_thinking(text)
    candidates = [*_FENCE.findall(cleaned), cleaned]
    fallback: dict[str, Any] | None = None
    for chunk in candidates:
        for obj in _json_objects(chunk):
            if "status" in obj:
                return obj
            fallback = fallback or obj
    if fallback is not None:
        return fallback
    what = "empty reply" if not text.strip() else "reply is not JSON"
    raise ModelReplyError(f"{what}: {_preview(text)}", model=model, body=text)


def strip_thinking(text: str) -> str:
    """Remove ``<thinking>``/``<think>``/``<reasoning>`` blocks (closed or left open)."""
    return _UNCLOSED_THINKING.sub("", _THINKING.sub("", text))


def normalise(reply: TriageReply) -> TriageReply:
    """Raise ``status`` to at least the worst issue severity (a model may say ok beside a critical)."""
    status = worst_status([reply.status, *(issue.severity for issue in reply.issues)])
    return reply if status == reply.status else reply.model_copy(update={"status": status})


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in ``text``, in order (prose around them is skipped)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    pos = text.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        pos = text.find("{", end)
    return found


def _lowercase_enums(data: Any) -> Any:
    """``"Critical"`` -> ``"critical"``: case is not worth a repair round trip."""
    if not isinstance(data, dict):
        return data
    out = {k: (v.strip().lower() if k in _LOWERCASE_FIELDS and isinstance(v, str) else v) for k, v in data.items()}
    if isinstance(out.get("issues"), list):
        out["issues"] = [_lowercase_enums(issue) for issue in out["issues"]]
    return out


def _summarise(exc: ValidationError) -> str:
    # Field locations and messages only: pydantic's default text echoes whole input values.
    parts = [f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3]]
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


def _body(reply: ModelReply) -> str:
    return reply.text or json.dumps(reply.data, ensure_ascii=False)


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + "...")
