"""Reply parsing: thinking blocks, fences, prose, normalisation, and short errors."""

from __future__ import annotations

import json

import pytest

from tasseograph.errors import ModelReplyError
from tasseograph.models.base import ModelReply
from tasseograph.replies import PREVIEW_CHARS, extract_json, parse_reply, strip_thinking

MCE = {
    "severity": "critical",
    "category": "memory",
    "summary": "uncorrected machine check",
    "evidence": "mce: [Hardware Error]: CPU 3: Machine Check: 0 Bank 5: be00000000800400",
}
REPLY = {"status": "critical", "issues": [MCE]}
BODY = json.dumps(REPLY)


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        f"  {BODY}\n",
        f"```json\n{BODY}\n```",
        f"```\n{BODY}\n```",
        f"Sure! Here is the JSON you asked for:\n```json\n{json.dumps(REPLY, indent=2)}\n```\nLet me know.",
        f"<thinking>The MCE line {{bank 5}} looks bad. {{\"status\": \"ok\"}}</thinking>\n{BODY}",
        f"<think>\nhmm, {{}}\n</think>{BODY}",
        f"<THINKING>upper-case tags</THINKING> {BODY}",
        f"<thinking>cut off before closing the tag {BODY}",
        f"Analysis: the log has problems. {BODY} That is all.",
        f"{{not json}} then {BODY}",
    ],
    ids=["bare", "whitespace", "fence-json", "fence-plain", "prose-and-fence", "thinking-with-braces",
         "think", "upper-tags", "unclosed-thinking", "prose-around", "junk-brace-first"],
)
def test_the_json_object_is_found(text: str) -> None:
    parsed = parse_reply(ModelReply(text=text))
    assert parsed.status == "critical"
    assert parsed.issues[0].evidence == MCE["evidence"]


def test_already_parsed_data_wins_over_text() -> None:
    parsed = parse_reply(ModelReply(text="ignored", data={"status": "ok", "issues": []}))
    assert parsed.status == "ok" and parsed.issues == []


def test_status_is_raised_to_the_worst_issue() -> None:
    parsed = parse_reply(ModelReply(data={"status": "ok", "issues": [MCE]}))
    assert parsed.status == "critical"


def test_enum_case_is_forgiven() -> None:
    issue = {**MCE, "severity": "Critical", "category": "MEMORY"}
    parsed = parse_reply(ModelReply(data={"status": "Warning", "issues": [issue]}))
    assert (parsed.status, parsed.issues[0].severity, parsed.issues[0].category) == ("critical", "critical", "memory")


def test_extra_keys_are_ignored() -> None:
    parsed = parse_reply(ModelReply(data={"status": "ok", "issues": [], "confidence": 0.9}))
    assert parsed.status == "ok"


def test_the_object_with_a_status_is_preferred_over_other_objects() -> None:
    text = 'Context: {"host": "web-1"}. Answer: {"status": "warning", "issues": []}'
    assert extract_json(text)["status"] == "warning"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("I'm sorry, I can't help with that.", "reply is not JSON"),
        ("", "empty reply"),
        ("   \n", "empty reply"),
        ("<thinking>only thoughts</thinking>", "reply is not JSON"),
    ],
)
def test_not_json_raises_a_short_error(text: str, message: str) -> None:
    with pytest.raises(ModelReplyError, match=message) as info:
        parse_reply(ModelReply(text=text), model="anthropic:claude-haiku-4-5")
    assert info.value.model == "anthropic:claude-haiku-4-5"
    assert info.value.body == text


def test_a_long_bad_body_is_truncated_in_the_message_and_on_the_error() -> None:
    text = "no json here " * 1000
    with pytest.raises(ModelReplyError) as info:
        parse_reply(ModelReply(text=text))
    assert len(str(info.value)) < PREVIEW_CHARS + 60
    assert len(info.value.body) == ModelReplyError.MAX_BODY


@pytest.mark.parametrize(
    "data",
    [
        {"status": "fine", "issues": []},
        {"issues": []},
        {"status": "warning", "issues": [{"severity": "warning", "category": "gpu", "summary": "s", "evidence": "e"}]},
        {"status": "warning", "issues": "none"},
    ],
    ids=["bad-status", "no-status", "bad-category", "issues-not-list"],
)
def test_contract_violations_raise_with_field_names(data: dict[str, object]) -> None:
    with pytest.raises(ModelReplyError, match="does not match the contract"):
        parse_reply(ModelReply(text=json.dumps(data)))


def test_validation_errors_do_not_echo_long_values() -> None:
    secretish = "x" * 500
    with pytest.raises(ModelReplyError) as info:
        parse_reply(ModelReply(data={"status": secretish, "issues": []}))
    assert secretish not in str(info.value)


def test_strip_thinking_leaves_other_text() -> None:
    assert strip_thinking("a<thinking>b</thinking>c<think>d</think>e") == "ace"
