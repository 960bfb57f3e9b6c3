"""Chat LLM on any OpenAI-compatible server (the hosted API, vLLM, llama.cpp's servers), streamed.

The reply streams as server-sent events, so the session speaks the first sentence while the rest is
still being written. A failure before the first token is retried (the caller has heard nothing yet);
after it, it is an `EngineError` the session turns into a short apology, because repeating half a
reply would be worse than cutting it. Errors are logged with their latency; the key travels only in
the request's `Authorization` header and is scrubbed from every message that may reach a log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import aiohttp

from voicedock.engines.base import EngineError, LLMChunk, Message, Tool, ToolCall
from voicedock.engines.chat_wire import (
    DONE,
    OPENAI_URL,
    SseDecoder,
    chat_url,
    extract_json_object,
    json_instruction,
    rejects_response_format,
    scrub,
    status_error,
    where,
)
from voicedock.engines.credentials import KeySource, ProviderKey, require_key
from voicedock.engines.tool_text import ToolTextFilter

log = logging.getLogger("voicedock.engines")
DEFAULT_MODEL = "gpt-4o-mini"
JSON_MODES = ("json_schema", "json_object", "prompt")


class _Failed(Exception):
    """One attempt failed; `error` says whether another attempt may help."""

    def __init__(self, error: EngineError) -> None:
        super().__init__(str(error))
        self.error = error


class OpenAILLM:
    """One call's LLM on a remote server; the key and URL are looked up at the first request."""

    _json_mode: ClassVar[dict[str, str]] = {}
    """chat URL -> the structured-output form that server accepted, so later calls ask for it first."""

    def __init__(
        self,
        keys: KeySource,
        *,
        model: str | None = None,
        base_url: str | None = None,
        call_id: str = "",
        connect_timeout: float = 5.0,
        first_token_timeout: float = 10.0,
        read_timeout: float = 15.0,
        complete_timeout: float = 20.0,
        retries: int = 2,
        backoff: float = 0.25,
    ) -> None:
        self.keys, self.model, self.base_url, self.call_id = keys, model or DEFAULT_MODEL, base_url, call_id
        self.connect_timeout, self.first_token_timeout, self.read_timeout = connect_timeout, first_token_timeout, read_timeout
        self.complete_timeout = complete_timeout
        self.retries, self.backoff = retries, backoff
        self.last_stats: dict[str, float] = {}

    async def _endpoint(self) -> tuple[str, ProviderKey]:
        key = await require_key(self.keys, "openai")
        return chat_url(self.base_url or key.base_url or OPENAI_URL), key

    def _session(self) -> aiohttp.ClientSession:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout, sock_read=self.read_timeout)
        return aiohttp.ClientSession(timeout=timeout)

    def _log(self, url: str, err: EngineError, started: float, attempt: int, retry: bool) -> None:
        log.warning("LLM provider failed (%s)%s", err.code, "; asking again" if retry else "",
                    extra={"call_id": self.call_id, "provider": "openai", "url": where(url), "error_code": err.code,
                           "error": str(err), "latency_ms": round((time.perf_counter() - started) * 1000),
                           "attempt": attempt})

    @staticmethod
    def _transport_error(err: BaseException, key: ProviderKey) -> EngineError:
        if isinstance(err, TimeoutError):
            return EngineError("llm_timeout", "the LLM server did not answer in time", retryable=True)
        return EngineError("llm_unreachable", f"cannot reach the LLM server: {scrub(str(err), key.api_key)}",
                           retryable=True)

    # -- streaming ------------------------------------------------------------------------------

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]:
        """Reply text as the server writes it; attempts that fail before the first token are repeated."""
        url, key = await self._endpoint()
        body: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages], "stream": True,
                                "max_tokens": max_tokens, "temperature": temperature}
        if tools:
            body["tools"] = [dict(t) for t in tools]
            if tool_choice and tool_choice not in ("auto", "none"):
                body["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
        started = time.perf_counter()
        until = started + self.first_token_timeout  # the caller hears nothing until then: retries share it
        for attempt in range(1, self.retries + 2):
            state = _StreamState()
            try:
                async for chunk in self._attempt(url, key, body, state, until - time.perf_counter()):
                    yield chunk
                self.last_stats = state.stats(started)
                return
            except _Failed as failed:
                retry = (failed.error.retryable and state.first_token is None and attempt <= self.retries
                         and time.perf_counter() + self.backoff * attempt < until)
                self._log(url, failed.error, started, attempt, retry)
                if not retry:
                    raise failed.error from None
            await asyncio.sleep(self.backoff * attempt)

    async def _attempt(self, url: str, key: ProviderKey, body: dict[str, Any], state: _StreamState,
                       wait: float) -> AsyncIterator[LLMChunk]:
        """One request that must bring its first token within `wait` seconds; every failure becomes
        `_Failed`, and nothing is yielded before the first token."""
        try:
            async with self._session() as http, asyncio.timeout(max(wait, 0.0)) as deadline:
                headers = {"Authorization": f"Bearer {key.api_key}"}
                async with http.post(url, json=body, headers=headers) as response:
                    if response.status != 200:
                        raise _Failed(status_error(response.status, await response.text(), key.api_key))
                    async for data in self._events(response):
                        chunk = state.take(data)
                        if state.first_token is not None and deadline.when() is not None:
                            deadline.reschedule(None)  # the first token came: no deadline while the caller listens
                        if chunk is not None:
                            yield chunk
        except (_Failed, asyncio.CancelledError, GeneratorExit):
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            raise _Failed(self._transport_error(err, key)) from None
        except EngineError as err:  # a server's own words (a stream's error event) may carry the key
            raise _Failed(EngineError(err.code, scrub(str(err), key.api_key), retryable=err.retryable)) from None
        for chunk in state.finish():
            yield chunk

    @staticmethod
    async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
        decoder = SseDecoder()
        while True:
            raw = await response.content.readany()
            for data in decoder.feed(raw) if raw else decoder.close():
                if data.strip() == DONE:
                    return
                try:
                    event = json.loads(data)
                except ValueError as err:
                    raise EngineError("llm_bad_stream", f"not JSON in the stream: {data[:120]!r}") from err
                if isinstance(event, dict) and event.get("error"):
                    raise EngineError("llm_stream_error", f"the server stopped: {str(event['error'])[:200]}",
                                      retryable=True)
                if isinstance(event, dict):
                    yield event
            if not raw:
                return

    # -- structured output ----------------------------------------------------------------------

    async def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], *, max_tokens: int = 256
    ) -> dict[str, Any]:
        """An object matching `schema`: the server's json_schema output where it has it, else its JSON
        mode, else a plain completion with the JSON taken out of the text; validated here in every case."""
        import jsonschema

        url, key = await self._endpoint()
        modes = list(JSON_MODES)
        known = self._json_mode.get(url)
        if known:
            modes = modes[modes.index(known):]
        for mode in modes:
            text = await self._complete(url, key, self._json_body(messages, schema, max_tokens, mode))
            if text is None:  # the server refused this form of structured output: try the next
                continue
            self._json_mode[url] = mode
            data = extract_json_object(text)
            try:
                if data is None:
                    raise ValueError("no JSON object in the reply")
                jsonschema.validate(data, dict(schema))
            except (ValueError, jsonschema.ValidationError) as err:
                raise EngineError("llm_invalid_json", f"model output does not match the schema: {str(err)[:200]}",
                                  retryable=True) from err
            return data
        raise EngineError("llm_failed", "the LLM server accepts no form of structured output")

    def _json_body(self, messages: Sequence[Message], schema: Mapping[str, Any], max_tokens: int,
                   mode: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "max_tokens": max_tokens, "temperature": 0.0,
                                "messages": [dict(m) for m in messages]}
        if mode == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "answer", "schema": dict(schema)}}
        else:
            body["messages"].append(json_instruction(dict(schema)))
            if mode == "json_object":
                body["response_format"] = {"type": "json_object", "schema": dict(schema)}
        return body

    async def _complete(self, url: str, key: ProviderKey, body: dict[str, Any]) -> str | None:
        """The reply's text; None when the server rejects the request's `response_format`."""
        started = time.perf_counter()
        until = started + self.complete_timeout  # tool decisions wait on it mid-turn: retries share it
        for attempt in range(1, self.retries + 2):
            try:
                async with self._session() as http, asyncio.timeout(max(until - time.perf_counter(), 0.0)):
                    async with http.post(url, json=body, headers={"Authorization": f"Bearer {key.api_key}"}) as resp:
                        text = await resp.text()
                        if resp.status != 200:
                            if "response_format" in body and rejects_response_format(resp.status, text):
                                return None
                            raise status_error(resp.status, text, key.api_key)
                        content = json.loads(text)["choices"][0]["message"].get("content")
                        return str(content or "")
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                error = self._transport_error(err, key)
            except EngineError as err:
                error = err
            except (ValueError, KeyError, IndexError, TypeError) as err:
                error = EngineError("llm_bad_reply", f"not a chat completion: {type(err).__name__}")
            retry = error.retryable and attempt <= self.retries and time.perf_counter() + self.backoff * attempt < until
            self._log(url, error, started, attempt, retry)
            if not retry:
                raise error
            await asyncio.sleep(self.backoff * attempt)
        raise AssertionError("unreachable")

    async def prefill(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> float:
        """Nothing to warm from here: a remote server caches prompts itself, and a request just to warm
        it would cost a hosted customer tokens on every call."""
        return 0.0


class _StreamState:
    """What one streamed attempt has produced: text goes out as it comes, tool calls at the end."""

    def __init__(self) -> None:
        self.filter = ToolTextFilter()
        self.calls: dict[int, dict[str, str]] = {}
        self.first_token: float | None = None
        self.tokens = 0
        self.finish_reason: str | None = None

    def take(self, event: dict[str, Any]) -> LLMChunk | None:
        choices = event.get("choices") or []
        if not choices:
            return None
        choice = choices[0]
        delta = choice.get("delta") or {}
        self.finish_reason = choice.get("finish_reason") or self.finish_reason
        for call in delta.get("tool_calls") or []:
            slot = self.calls.setdefault(call.get("index", 0), {"name": "", "arguments": "", "id": ""})
            fn = call.get("function") or {}
            slot["name"] = slot["name"] or fn.get("name") or ""
            slot["arguments"] += fn.get("arguments") or ""
            slot["id"] = slot["id"] or call.get("id") or ""
        content = delta.get("content") or ""
        if not content and not delta.get("tool_calls"):
            return None
        self.tokens += 1
        self.first_token = self.first_token or time.perf_counter()
        visible = self.filter.feed(content) if content else ""
        return LLMChunk(text=visible) if visible else None

    def finish(self) -> list[LLMChunk]:
        chunks = [LLMChunk(text=tail)] if (tail := self.filter.flush()) else []
        calls = [self._call(slot) for _, slot in sorted(self.calls.items())] or self.filter.tool_calls()
        chunks += [LLMChunk(tool_call=call) for call in calls]
        chunks.append(LLMChunk(finish_reason="tool_calls" if calls else (self.finish_reason or "stop")))
        return chunks

    @staticmethod
    def _call(slot: dict[str, str]) -> ToolCall:
        try:
            arguments = json.loads(slot["arguments"] or "{}")
        except ValueError as err:
            raise EngineError("llm_bad_tool_call", "tool call arguments are not JSON") from err
        return ToolCall(name=slot["name"], arguments=arguments, id=slot["id"])

    def stats(self, started: float) -> dict[str, float]:
        ended = time.perf_counter()
        first = self.first_token
        rate = (self.tokens - 1) / (ended - first) if first and self.tokens > 1 and ended > first else 0.0
        return {"ttft_seconds": (first or ended) - started, "tokens": float(self.tokens), "tokens_per_second": rate}


class ServedLLM(OpenAILLM):
    """The node's own model server (`VOICEDOCK_LLM_URL`, llama.cpp's `llama-server`): unlike a
    hosted provider, evaluating a prompt there ahead of time costs no one anything.

    llama-server keeps the last prompt of each of its slots and gives a request the idle slot that
    already holds most of it; a slot that last served another call's reply or a post-call analysis
    holds nothing of this call, and the request then evaluates its whole prompt (405 tokens in 5.6 s
    on 2 cores, with three calls at once). So the call head is evaluated at call start, while the
    greeting plays, and the call's history after each turn (`warm`), each as a one-token request."""

    async def prefill(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> float:
        started = time.perf_counter()
        await self.warm(messages, tools)
        return time.perf_counter() - started

    async def warm(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> bool:
        """True once the server has evaluated `messages` (and kept them in a slot); False if it failed."""
        body: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages], "max_tokens": 1,
                                "temperature": 0.0}
        if tools:
            body["tools"] = [dict(t) for t in tools]
        try:
            url, key = await self._endpoint()
            await self._complete(url, key, body)
        except EngineError:
            return False
        return True
