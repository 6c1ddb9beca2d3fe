"""The OpenAI-compatible backend (vLLM, Ollama, llama.cpp) through the real SDK and the fake server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tasseograph.errors import (
    MissingAPIKeyError,
    ModelAPIError,
    ModelTimeout,
    Overloaded,
    RateLimited,
    UsageError,
)
from tasseograph.models.base import ModelRequest
from tasseograph.models.openai import DEFAULT_BASE_URL, OpenAIModel, is_local, negotiated_mode
from tasseograph.models.registry import get_model
from tasseograph.replies import parse_reply
from tasseograph.schema import Delta
from tests.fakeapi import (
    DEAD_URL,
    CassetteRun,
    FakeAPIServer,
    error,
    fenced,
    ok,
    overloaded,
    rate_limited,
    thinking,
    timeout,
)

OPENAI_KEY = "sk-proj-FAKE-test-key-0123456789"
WARNING = {"status": "warning", "issues": [{"severity": "warning", "category": "storage",
                                            "summary": "NVMe timeout", "evidence": "nvme nvme0: I/O 12 QID 3 timeout"}]}


def request(**kw: Any) -> ModelRequest:
    return ModelRequest(system="Triage kernel logs.", user="<log>\nnvme nvme0: I/O 12 QID 3 timeout\n</log>",
                        prompt_id="t@1", delta=Delta(), **kw)


def local(url: str, **options: Any) -> OpenAIModel:
    return OpenAIModel("qwen3-8b", **{"base_url": url, "max_retries": 2, "timeout": 5.0, **options})


def test_defaults_to_a_local_vllm_without_a_key() -> None:
    model = get_model("openai:qwen3-8b")
    assert isinstance(model, OpenAIModel)
    assert model.base_url == DEFAULT_BASE_URL and model.price_id is None and not model.local


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    assert OpenAIModel("llama3").base_url == "http://localhost:11434/v1"


def test_a_remote_server_needs_a_key() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        OpenAIModel("gpt-x", base_url="https://api.example.com/v1")
    model = OpenAIModel("gpt-x", base_url="https://api.example.com/v1", api_key=OPENAI_KEY)
    assert OPENAI_KEY not in repr(model) and OPENAI_KEY not in repr(vars(model))


def test_a_model_id_is_required_and_options_are_checked() -> None:
    with pytest.raises(UsageError, match="openai:MODEL"):
        get_model("openai")
    with pytest.raises(UsageError, match="tool_choice"):
        OpenAIModel("m", tool_choice="auto")


@pytest.mark.parametrize(("url", "expected"), [("http://127.0.0.1:8000/v1", True), ("http://localhost/v1", True),
                                               ("https://api.openai.com/v1", False)])
def test_is_local(url: str, expected: bool) -> None:
    assert is_local(url) is expected


async def test_request_shape_and_usage(fake_api: FakeAPIServer) -> None:
    fake_api.script(ok(WARNING, usage={"prompt_tokens": 300, "completion_tokens": 40}))
    reply = await local(fake_api.openai_url).complete(request())
    sent = fake_api.requests[-1]
    assert sent.path == "/v1/chat/completions"
    body = sent.body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "triage"
    assert body["response_format"]["json_schema"]["strict"] is True
    system = body["messages"][0]
    assert system["role"] == "system" and '"required": ["status", "issues"]' in system["content"]
    assert body["messages"][1] == {"role": "user", "content": request().user}
    assert json.loads(reply.text) == WARNING
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (300, 40)


async def test_cached_prompt_tokens_are_split_out(fake_api: FakeAPIServer) -> None:
    usage = {"prompt_tokens": 300, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 200}}
    fake_api.script(ok(usage=usage))
    reply = await local(fake_api.openai_url).complete(request())
    assert (reply.usage.input_tokens, reply.usage.cache_read_tokens) == (100, 200)


@pytest.mark.parametrize("step", [fenced(WARNING), thinking(WARNING)], ids=["fenced", "thinking"])
async def test_servers_that_fail_open_still_parse(fake_api: FakeAPIServer, step: Any) -> None:
    fake_api.script(step)
    reply = await local(fake_api.openai_url).complete(request())
    assert parse_reply(reply).status == "warning"


async def test_prompt_only_mode(fake_api: FakeAPIServer) -> None:
    fake_api.script(ok())
    await local(fake_api.openai_url, structured="none", schema_in_prompt=False).complete(request())
    body = fake_api.requests[-1].body
    assert "response_format" not in body and body["messages"][0]["content"] == "Triage kernel logs."


async def test_retries_then_success(fake_api: FakeAPIServer) -> None:
    fake_api.script(rate_limited(), overloaded(), ok(WARNING))
    reply = await local(fake_api.openai_url).complete(request())
    assert json.loads(reply.text) == WARNING and fake_api.request_count == 3


@pytest.mark.parametrize(("fault", "cls"), [(rate_limited, RateLimited), (overloaded, Overloaded)])
async def test_errors_are_translated(fake_api: FakeAPIServer, fault: Any, cls: type[ModelAPIError]) -> None:
    fake_api.script(fault())
    with pytest.raises(cls) as info:
        await local(fake_api.openai_url, max_retries=0).complete(request())
    assert info.value.retryable and info.value.__context__ is None


async def test_server_error_messages_are_scrubbed(fake_api: FakeAPIServer) -> None:
    fake_api.script(error(401, "invalid_api_key", f"Incorrect API key provided: {OPENAI_KEY}"))
    model = OpenAIModel("gpt-x", base_url=fake_api.openai_url, api_key=OPENAI_KEY, max_retries=0)
    with pytest.raises(ModelAPIError) as info:
        await model.complete(request())
    assert OPENAI_KEY not in str(info.value) and info.value.status_code == 401


async def test_timeout_and_unreachable(fake_api: FakeAPIServer) -> None:
    fake_api.script(timeout(1.0))
    with pytest.raises(ModelTimeout):
        await local(fake_api.openai_url, timeout=0.2, max_retries=0).complete(request())
    with pytest.raises(ModelAPIError, match="is the server running"):
        await local(f"{DEAD_URL}/v1", max_retries=0).complete(request())


async def test_cassette_complete(cassette: CassetteRun) -> None:
    cassette.script(ok(WARNING))
    reply = await local(cassette.openai_url).complete(request())
    assert json.loads(reply.text) == WARNING


# --- structured output negotiated per server ------------------------------------------------


def _formats(server: FakeAPIServer) -> list[str | None]:
    return [(r.body.get("response_format") or {}).get("type") for r in server.requests]


async def test_a_server_that_rejects_json_schema_costs_one_failed_request(fake_api: FakeAPIServer) -> None:
    fake_api.reject_json_schema = True
    fake_api.script(ok(WARNING), ok(WARNING))  # the refused request takes no scripted step
    model = local(fake_api.openai_url)
    first = await model.complete(request())
    assert json.loads(first.text) == WARNING
    assert _formats(fake_api) == ["json_schema", "json_object"]  # no SDK retries of the refused mode
    json_object = fake_api.requests[-1].body["response_format"]
    assert json_object["schema"]["required"] == ["status", "issues"]
    assert negotiated_mode(fake_api.openai_url) == "json_object"
    await local(fake_api.openai_url).complete(request())  # a new model object, same server: remembered
    assert _formats(fake_api) == ["json_schema", "json_object", "json_object"]


async def test_concurrent_first_requests_wait_for_one_probe(fake_api: FakeAPIServer) -> None:
    fake_api.reject_json_schema = True
    fake_api.script(*[ok(WARNING)] * 6)
    model = local(fake_api.openai_url)
    replies = await asyncio.gather(*(model.complete(request()) for _ in range(6)))
    assert all(parse_reply(r).status == "warning" for r in replies)
    assert _formats(fake_api).count("json_schema") == 1 and fake_api.request_count == 7


async def test_a_server_that_takes_json_schema_keeps_it(fake_api: FakeAPIServer) -> None:
    await local(fake_api.openai_url).complete(request())
    assert negotiated_mode(fake_api.openai_url) == "json_schema" and _formats(fake_api) == ["json_schema"]


async def test_a_fixed_mode_is_never_changed_and_says_how_to_fix_it(fake_api: FakeAPIServer) -> None:
    fake_api.reject_json_schema = True
    with pytest.raises(ModelAPIError) as info:
        await local(fake_api.openai_url, structured="json_schema", max_retries=0).complete(request())
    assert 'structured="auto"' in str(info.value) and "\n" not in str(info.value)
    assert negotiated_mode(fake_api.openai_url) is None


async def test_an_error_not_about_the_format_is_retried_not_negotiated(fake_api: FakeAPIServer) -> None:
    fake_api.script(overloaded(), ok(WARNING))
    reply = await local(fake_api.openai_url).complete(request())
    assert json.loads(reply.text) == WARNING and _formats(fake_api) == ["json_schema", "json_schema"]
    assert negotiated_mode(fake_api.openai_url) == "json_schema"


async def test_options_reach_the_request(fake_api: FakeAPIServer) -> None:
    model = local(fake_api.openai_url, max_tokens=300, temperature=0.3, stop="\n\n", structured="json_object")
    await model.complete(request())
    body = fake_api.requests[-1].body
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (300, 0.3, ["\n\n"])
    assert body["response_format"]["type"] == "json_object"
    assert model.cache_params() == {"structured": "json_object", "base_url": fake_api.openai_url,
                                    "max_tokens": 300, "temperature": 0.3, "stop": ["\n\n"]}


async def test_replies_from_the_fake_server_are_marked_fake(fake_api: FakeAPIServer) -> None:
    model = local(fake_api.openai_url)
    reply = await model.complete(request())
    assert reply.fake and model.fake_server


async def test_a_multi_line_server_error_becomes_one_line(fake_api: FakeAPIServer) -> None:
    fake_api.script(error(400, "invalid_request_error", "bad request\n  File \"app.py\", line 3\n    boom"))
    with pytest.raises(ModelAPIError) as info:
        await local(fake_api.openai_url, max_retries=0).complete(request())
    assert str(info.value) == 'openai:qwen3-8b: HTTP 400: bad request File "app.py", line 3 boom'
