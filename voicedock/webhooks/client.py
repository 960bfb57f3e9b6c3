"""Request-response webhooks: ``assistant-request`` (5 s) and ``tool-calls`` (10 s).

A live call is waiting on these, so each is one attempt inside a hard deadline, never retried;
whatever happens, the caller gets a typed reply (``no_reply`` on timeout or failure) and the
attempt is written to the delivery log in the background, off the call's critical path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

import aiohttp

from ..ids import new_id
from ..secrets import SecretBox
from ..store import Database
from .backoff import DeliveryStatus, Outcome, classify
from .outbox import log_request, request_context
from .payloads import ASSISTANT_REQUEST, TOOL_CALLS, dumps
from .replies import AssistantReply, ReplyKind, ToolCallsReply, parse_assistant_reply, parse_tool_calls_reply
from .routing import targets
from .transport import AttemptResult, post_signed
from .worker import default_session

log = logging.getLogger("voicedock.webhooks")

ASSISTANT_REQUEST_DEADLINE = 5.0
TOOL_CALLS_DEADLINE = 10.0
REPLY_LIMIT = 1024 * 1024

_STATUS_BY_OUTCOME = {
    Outcome.SUCCESS: DeliveryStatus.SUCCEEDED,
    Outcome.DISABLE: DeliveryStatus.DISABLED,
    Outcome.RETRY: DeliveryStatus.FAILED,
    Outcome.PERMANENT: DeliveryStatus.FAILED,
}


class WebhookClient:
    def __init__(
        self,
        db: Database,
        secret_box: SecretBox,
        *,
        session: aiohttp.ClientSession | None = None,
        assistant_deadline: float = ASSISTANT_REQUEST_DEADLINE,
        tool_deadline: float = TOOL_CALLS_DEADLINE,
    ) -> None:
        self._db = db
        self._box = secret_box
        self._session = session
        self._owns_session = session is None
        self._assistant_deadline = assistant_deadline
        self._tool_deadline = tool_deadline
        self._log_tasks: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Finish writing the delivery log, then close the session if it is ours."""
        if self._log_tasks:
            await asyncio.gather(*self._log_tasks, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> WebhookClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request_assistant(
        self,
        *,
        assistant_config: Mapping[str, Any],
        assistant_id: str | None,
        call_id: str | None,
        payload: Mapping[str, Any],
    ) -> AssistantReply:
        """Ask the receiver which assistant answers this call; any failure keeps the configured one."""
        try:
            sent = await self._send(
                ASSISTANT_REQUEST, assistant_config, assistant_id, call_id, payload, self._assistant_deadline
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.exception("assistant-request failed", extra={"call_id": call_id})
            return AssistantReply.no_reply(f"internal error: {type(err).__name__}")
        if not sent:
            return AssistantReply.no_reply("not subscribed to assistant-request")
        result = sent[0][1]
        if not result.ok:
            return AssistantReply.no_reply(_why(result))
        return parse_assistant_reply(result.body)

    async def request_tool_calls(
        self,
        *,
        assistant_config: Mapping[str, Any],
        assistant_id: str | None,
        call_id: str | None,
        payload: Mapping[str, Any],
    ) -> ToolCallsReply:
        """Run the calls on their servers; tools spread over several servers are asked in parallel."""
        try:
            sent = await self._send(TOOL_CALLS, assistant_config, assistant_id, call_id, payload, self._tool_deadline)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.exception("tool-calls request failed", extra={"call_id": call_id})
            return ToolCallsReply.no_reply(f"internal error: {type(err).__name__}")
        if not sent:
            return ToolCallsReply.no_reply("no endpoint for these tool calls")
        replies = [
            (body, parse_tool_calls_reply(result.body) if result.ok else ToolCallsReply.no_reply(_why(result)))
            for body, result in sent
        ]
        if len(replies) == 1:
            return replies[0][1]
        return _merge(replies)

    async def _send(
        self,
        event_type: str,
        config: Mapping[str, Any],
        assistant_id: str | None,
        call_id: str | None,
        payload: Mapping[str, Any],
        deadline: float,
    ) -> list[tuple[Mapping[str, Any], AttemptResult]]:
        """Send to each target; the deadline counts from here, so the lookups before sending use it up too."""
        started = asyncio.get_running_loop().time()
        routes = targets(event_type, config, payload)
        if not routes:
            return []
        secret_enc, disabled = await self._db.read(
            partial(request_context, assistant_id=assistant_id, urls=[u for u, _ in routes])
        )
        routes = [(u, b) for u, b in routes if u not in disabled]
        if not routes or not secret_enc:
            return []
        secret = self._box.decrypt(secret_enc)
        if self._session is None:
            self._session = default_session()
        remaining = max(0.0, deadline - (asyncio.get_running_loop().time() - started))
        jobs = [self._one(event_type, url, body, secret, assistant_id, call_id, remaining) for url, body in routes]
        return list(await asyncio.gather(*jobs))

    async def _one(
        self,
        event_type: str,
        url: str,
        body: Mapping[str, Any],
        secret: str,
        assistant_id: str | None,
        call_id: str | None,
        deadline: float,
    ) -> tuple[Mapping[str, Any], AttemptResult]:
        assert self._session is not None
        event_id = new_id("delivery")
        text = dumps(body)
        result = await post_signed(
            self._session,
            url=url,
            secret=secret,
            event_type=event_type,
            event_id=event_id,
            body=text,
            deadline=deadline,
            reply_limit=REPLY_LIMIT,
        )
        status = (
            DeliveryStatus.FAILED if result.status_code is None else _STATUS_BY_OUTCOME[classify(result.status_code)]
        )
        write = partial(
            log_request,
            event_id=event_id,
            event_type=event_type,
            call_id=call_id,
            assistant_id=assistant_id,
            url=url,
            body=text,
            result=result,
            status=status,
        )
        task = asyncio.create_task(self._log(write, event_id, call_id))
        self._log_tasks.add(task)
        task.add_done_callback(self._log_tasks.discard)
        return body, result

    async def _log(self, write: Any, event_id: str, call_id: str | None) -> None:
        try:
            await self._db.write(write)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not log webhook request", extra={"event_id": event_id, "call_id": call_id})


def _why(result: AttemptResult) -> str:
    return result.error or f"HTTP {result.status_code}"


def _merge(replies: list[tuple[Mapping[str, Any], ToolCallsReply]]) -> ToolCallsReply:
    """One RESULTS reply keyed by tool call id, from the replies of several servers."""
    if all(r.kind is ReplyKind.NO_REPLY for _, r in replies):
        return ToolCallsReply.no_reply("; ".join(r.detail or "" for _, r in replies))
    results: dict[str, Any] = {}
    for body, reply in replies:
        for call in body["message"]["tool_call_list"]:
            results[call["id"]] = reply.result_for(call["id"])
    return ToolCallsReply(ReplyKind.RESULTS, results=results)
