"""The OpenAI-compatible LLM engine against a real server on loopback (llama-cpp-python's own, with the
ci model and an API key), and against a scripted server for what a real one will not do on demand:
failing once, stalling mid-reply, echoing the key."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.openai_server import ChatServer, chat_server
from voicedock.engines.base import EngineError, LLMChunk
from voicedock.engines.credentials import ProviderKey, static_keys
from voicedock.engines.llm_openai import OpenAILLM
from voicedock_bench.ports import free_port

KEY = "sk-scripted-0123456789abcdef"
ASK = [{"role": "system", "content": "You are a friendly receptionist."}, {"role": "user", "content": "Say hello."}]
NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "minLength": 1}}, "required": ["name"]}


def engine(base_url: str, key: str = KEY, **kwargs: float) -> OpenAILLM:
    return OpenAILLM(static_keys({"openai": ProviderKey(key, base_url)}), model="ci", backoff=0.01, **kwargs)  # type: ignore[arg-type]


async def reply(llm: OpenAILLM, **kwargs: int) -> str:
    return "".join([c.text async for c in llm.stream(ASK, max_tokens=kwargs.get("max_tokens", 24))])


@pytest.fixture(scope="module")
def server(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    with chat_server(ci_models_dir, tmp_path_factory.mktemp("chat") / "server.log") as running:
        yield running


# -- the real server ----------------------------------------------------------------------------

@pytest.mark.models
async def test_a_reply_streams_from_the_server_in_pieces_with_the_byok_key(server: ChatServer) -> None:
    llm = engine(server.base_url, server.api_key)
    chunks = [c async for c in llm.stream(ASK, max_tokens=24)]
    texts = [c.text for c in chunks if c.text]
    assert len(texts) > 3 and "".join(texts).strip(), chunks
    assert chunks[-1].finish_reason in ("stop", "length")
    assert llm.last_stats["ttft_seconds"] > 0
    assert any('"POST /v1/chat/completions HTTP/1.1" 200' in line for line in server.requests())


@pytest.mark.models
async def test_the_server_refuses_a_wrong_key_and_it_is_not_asked_again(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    before = len(server.requests())
    wrong = "sk-wrong-key-9876543210"
    with caplog.at_level(logging.WARNING, "voicedock.engines"), pytest.raises(EngineError) as caught:
        await reply(engine(server.base_url, wrong))
    assert caught.value.code == "llm_http_401"
    assert [line for line in server.requests()[before:] if " 401" in line], "the server never saw the request"
    assert len(server.requests()) - before == 1, "a refused key was retried"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "latency_ms" in logged and wrong not in logged and wrong not in str(caught.value)


@pytest.mark.models
async def test_structured_output_from_the_server_matches_the_schema(server: ChatServer) -> None:
    llm = engine(server.base_url, server.api_key)
    ask = [{"role": "user", "content": "My name is Ana Lopez. What is my name? Answer as JSON."}]
    data = await llm.complete_json(ask, NAME_SCHEMA, max_tokens=32)
    assert isinstance(data["name"], str) and data["name"].strip()
    # llama-cpp-python's server has no json_schema output; its JSON mode with the schema is used instead
    assert OpenAILLM._json_mode[f"{server.base_url}/chat/completions"] == "json_object"


async def test_a_server_that_is_down_is_an_engine_error_after_retries(caplog: pytest.LogCaptureFixture) -> None:
    llm = engine(f"http://127.0.0.1:{free_port('tcp')}/v1", retries=2)
    with caplog.at_level(logging.WARNING, "voicedock.engines"), pytest.raises(EngineError) as caught:
        await reply(llm)
    assert caught.value.code == "llm_unreachable"
    failures = [r for r in caplog.records if r.getMessage().startswith("LLM provider failed")]
    assert [r.__dict__["attempt"] for r in failures] == [1, 2, 3]
    assert all(isinstance(r.__dict__["latency_ms"], int) for r in failures)


async def test_no_key_configured_is_an_engine_error() -> None:
    with pytest.raises(EngineError) as caught:
        await reply(OpenAILLM(static_keys({})))
    assert caught.value.code == "byok_missing"


# -- a scripted server ---------------------------------------------------------------------------

def sse(text: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'delta': {'content': text}, 'finish_reason': None}]})}\n\n".encode()


class Scripted:
    """Answers each chat request with the next of `plans`: a status, or a list of pieces to stream where
    an `asyncio.Event` means 'wait for it' and an Exception means 'drop the connection'."""

    def __init__(self, *plans: object) -> None:
        self.plans = list(plans)
        self.seen: list[dict[str, object]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append({"auth": request.headers.get("Authorization"), "body": await request.json()})
        plan = self.plans.pop(0)
        if isinstance(plan, int):
            return web.json_response({"error": {"message": f"Incorrect API key provided: {KEY}"}}, status=plan)
        if isinstance(plan, dict):
            return web.json_response(plan)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for piece in plan:  # type: ignore[attr-defined]
            if isinstance(piece, dict):
                await response.write(f"data: {json.dumps(piece)}\n\n".encode())
            elif isinstance(piece, asyncio.Event):
                await piece.wait()
            elif isinstance(piece, Exception):
                assert request.transport is not None
                request.transport.close()
                return response
            else:
                await response.write(sse(piece))
        await response.write(b"data: [DONE]\n\n")
        return response


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Scripted, str]]:
    script = Scripted()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", script.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield script, f"http://127.0.0.1:{server.port}/v1"
    finally:
        await server.close()


async def test_the_first_sentence_arrives_while_the_rest_is_still_being_written(scripted: tuple[Scripted, str]) -> None:
    script, url = scripted
    rest = asyncio.Event()
    script.plans = [["Yes, ", "we are open. ", rest, "Until five."]]
    stream = engine(url).stream(ASK)
    first = await asyncio.wait_for(anext(stream), 5)
    assert first == LLMChunk(text="Yes, ")  # the server has not written the rest yet
    rest.set()
    assert "".join([first.text] + [c.text async for c in stream]) == "Yes, we are open. Until five."
    assert script.seen[0]["auth"] == f"Bearer {KEY}" and script.seen[0]["body"]["stream"] is True  # type: ignore[index]


async def test_a_failure_before_the_first_token_is_retried(scripted: tuple[Scripted, str]) -> None:
    script, url = scripted
    script.plans = [503, [RuntimeError("dropped")], ["Hello there."]]
    assert await reply(engine(url)) == "Hello there."
    assert len(script.seen) == 3


async def test_a_failure_after_the_first_token_is_not_retried(
    scripted: tuple[Scripted, str], caplog: pytest.LogCaptureFixture
) -> None:
    script, url = scripted
    script.plans = [["We open at ", RuntimeError("dropped")], ["never asked"]]
    with pytest.raises(EngineError):
        await reply(engine(url))
    assert len(script.seen) == 1
    assert KEY not in caplog.text


async def test_a_silent_server_is_given_up_once_the_first_token_is_overdue(scripted: tuple[Scripted, str]) -> None:
    """The caller waits in silence meanwhile: retries share one deadline instead of each getting its own."""
    script, url = scripted
    never = asyncio.Event()
    script.plans = [[never], [never]]
    started = asyncio.get_running_loop().time()
    with pytest.raises(EngineError) as caught:
        await reply(engine(url, first_token_timeout=0.5, retries=2))
    assert caught.value.code == "llm_timeout" and len(script.seen) == 1
    assert asyncio.get_running_loop().time() - started < 1.5
    never.set()


async def test_a_server_without_structured_output_gets_json_taken_from_its_text(
    scripted: tuple[Scripted, str]
) -> None:
    script, url = scripted
    answer = {"choices": [{"message": {"content": 'Sure! {"name": "Ana Lopez"} Anything else?'}}]}
    script.plans = [400, 400, answer]
    assert await engine(url).complete_json(ASK, NAME_SCHEMA) == {"name": "Ana Lopez"}
    formats = [s["body"].get("response_format", {}).get("type") for s in script.seen]  # type: ignore[union-attr]
    assert formats == ["json_schema", "json_object", None]


async def test_json_that_breaks_the_schema_is_an_engine_error(scripted: tuple[Scripted, str]) -> None:
    script, url = scripted
    script.plans = [{"choices": [{"message": {"content": '{"name": ""}'}}]}]
    with pytest.raises(EngineError) as caught:
        await engine(url).complete_json(ASK, NAME_SCHEMA)
    assert caught.value.code == "llm_invalid_json"


async def test_the_first_token_deadline_does_not_cut_a_long_reply(scripted: tuple[Scripted, str]) -> None:
    script, url = scripted
    later = asyncio.Event()
    script.plans = [["We are open ", later, "until five."]]
    asyncio.get_running_loop().call_later(0.6, later.set)
    assert await reply(engine(url, first_token_timeout=0.3)) == "We are open until five."


async def test_an_error_event_in_the_stream_is_retried_and_never_logs_the_key(
    scripted: tuple[Scripted, str], caplog: pytest.LogCaptureFixture
) -> None:
    script, url = scripted
    script.plans = [[{"error": {"message": f"overloaded; your key {KEY} is fine"}}], ["Hello there."]]
    with caplog.at_level(logging.WARNING, "voicedock.engines"):
        assert await reply(engine(url)) == "Hello there."
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "llm_stream_error" in logged and KEY not in logged
