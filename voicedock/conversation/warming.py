"""An assistant's prompt is evaluated when the assistant is saved, in the background, not when the phone rings.

Evaluating a system prompt with tools costs seconds on a CPU; a call pays it before its first
reply unless the model's prompt cache already holds it. So the API hands every saved assistant
here, and its call head (the same messages a call's session prefills) is warmed with the engine's
background `warm()`, which never goes ahead of a live turn and is tried again after giving way.
A call warms its own history the same way between turns (`warm_history`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from voicedock.assistant import AssistantInvalid, CallAssistant
from voicedock.engines.base import Message, Tool

from .decide import system_prompt
from .settings import VoiceSettings
from .tools import normalise_tools

if TYPE_CHECKING:  # the session imports this module; the store stays out of its imports
    from voicedock.store import Database

log = logging.getLogger("voicedock.conversation")
START_WARM_LIMIT = 16  # at start, the most recently saved assistants (a cached 0.5B head is ~10 MiB)
HISTORY_WARM_TRIES = 5  # a history warm gives way to live turns; it is tried again this often at most


@runtime_checkable
class Warmable(Protocol):
    async def warm(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> bool: ...


def call_head(assistant: CallAssistant, now: datetime | None = None) -> list[Message]:
    """The head every request of the assistant's calls starts with, as a call's session builds it:
    the system prompt (its text, the spoken style, the calendar, the tools) and the greeting it speaks first."""
    zone = ZoneInfo(assistant.timezone) if assistant.timezone else None
    now = now or (datetime.now(zone) if zone else datetime.now().astimezone())
    settings = VoiceSettings.from_assistant(assistant)
    prompt = system_prompt(settings.system_prompt, normalise_tools(settings.tools), now, settings.business_name)
    head: list[Message] = [{"role": "system", "content": prompt}]
    if settings.greeting:
        head.append({"role": "assistant", "content": settings.greeting})
    return head


async def warm_history(llm: Warmable, messages: Sequence[Message], still_idle: Callable[[], bool],
                       retry_seconds: float = 0.2) -> None:
    """Evaluate a call's history as it stands after a turn, while the caller listens and speaks, so
    that the next reply evaluates only the caller's new words.

    A turn answered without the model (a fact from the instructions, a question for a missing
    value) leaves its words unevaluated, and the first turn that needs the model then paid for all
    of them: about 1.5 s to first token on 2 cores after three such turns. The warm is background
    work: it gives way to any call's live turn and is abandoned once this call's next turn starts."""
    try:
        for _ in range(HISTORY_WARM_TRIES):
            if not still_idle() or await llm.warm(messages):
                return
            await asyncio.sleep(retry_seconds)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("warming a call's history failed", exc_info=True)


class PromptWarmer:
    """One background warm per assistant at a time; a newer save replaces a pending one."""

    def __init__(self, llm: Warmable, retry_seconds: float = 1.0,
                 head: Callable[[CallAssistant], list[Message]] = call_head) -> None:
        self.llm = llm
        self.retry_seconds = retry_seconds
        self.head = head
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._start: asyncio.Task[None] | None = None

    def assistant_saved(self, ident: str, document: Mapping[str, Any]) -> None:
        """Warm the saved assistant's head later; assistants answered by a remote LLM need nothing."""
        try:
            assistant = CallAssistant.parse(document)
        except AssistantInvalid:
            return
        if assistant.llm_config.provider != "local" or not assistant.is_active:
            return
        if (previous := self._tasks.pop(ident, None)) is not None:
            previous.cancel()
        task = asyncio.create_task(self._warm(ident, self.head(assistant)), name=f"warm-{ident}")
        self._tasks[ident] = task
        task.add_done_callback(lambda done: self._tasks.pop(ident, None) if self._tasks.get(ident) is done else None)

    def warm_recent(self, db: Database, limit: int = START_WARM_LIMIT) -> None:
        """At start: warm the assistants saved most recently, so even their first calls find the prompt."""

        async def go() -> None:
            rows = await db.read(lambda d: d.conn.execute(
                "SELECT id, config FROM assistants ORDER BY updated_at DESC, rowid DESC LIMIT ?", [limit]).fetchall())
            for row in rows:
                self.assistant_saved(row["id"], json.loads(row["config"]))

        self._start = asyncio.create_task(go(), name="warm-recent")

    async def _warm(self, ident: str, head: list[Message]) -> None:
        try:
            while not await self.llm.warm(head):  # noqa: ASYNC110 - a live turn came first; what was done is kept
                await asyncio.sleep(self.retry_seconds)
            log.info("assistant prompt warmed", extra={"assistant_id": ident})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("warming an assistant's prompt failed", extra={"assistant_id": ident}, exc_info=True)

    async def wait(self) -> None:
        """Until every warm started so far has finished (tests, benchmarks)."""
        if self._start is not None:
            await self._start
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._start] if self._start is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
