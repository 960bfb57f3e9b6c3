"""Assistants and the two kinds of templates."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from voicedock.ids import new_id
from voicedock.schemas.assistants import (
    AssistantCreate,
    AssistantEnvelope,
    AssistantList,
    AssistantUpdate,
    normalise,
    stored_document,
)
from voicedock.schemas.base import Deleted, PageQuery
from voicedock.secrets import generate_webhook_secret
from voicedock.store import records
from voicedock.store.documents import ASSISTANTS, deep_merge
from voicedock.store.errors import Conflict
from voicedock.store.records import numbers_using

from ..context import BOX, WARMER, create, read_now, reply, reply_page, write
from ..llm_check import check_llm, check_llm_now
from ..mail_check import check_mail_now
from ..model_check import MODEL_FIELDS, check_models, check_models_now
from ..provider_check import check_speech, check_speech_now, uses_remote_speech
from ..spec import Operation, validate


async def list_assistants(request: web.Request, query: PageQuery) -> web.Response:
    items, total = await read_now(request, lambda d: ASSISTANTS.page_json(d, query.limit, query.offset))
    return reply_page("assistants", items, query.limit, query.offset, total)


async def create_assistant(request: web.Request, body: AssistantCreate) -> web.Response:
    await check_mail_now(request, body.notification_email)
    await check_speech_now(request, body)
    await check_llm_now(request, body)
    await check_models_now(body)
    secret = body.webhook_secret or generate_webhook_secret()
    encrypted = request.app[BOX].encrypt(secret)
    doc = stored_document(body)
    ident = new_id("assistant")
    out = await create(request, "assistants", lambda d: ASSISTANTS.insert(d, ident, doc, webhook_secret_enc=encrypted))
    if body.webhook_secret is None:
        out["webhook_secret"] = secret
    warm_later(request, ident, doc)
    return reply({"assistant": out}, status=201)


def warm_later(request: web.Request, ident: str, document: dict[str, Any]) -> None:
    """A saved prompt is evaluated now, in the background, so the assistant's next call does not pay it."""
    if (warmer := request.app.get(WARMER)) is not None:
        warmer.assistant_saved(ident, document)


async def get_assistant(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    return reply({"assistant": await read_now(request, lambda d: ASSISTANTS.get(d, ident))})


async def update_assistant(request: web.Request, body: BaseModel) -> web.Response:
    ident = request.match_info["id"]
    patch = normalise(body.model_dump(by_alias=True, exclude_unset=True, exclude={"webhook_secret"}))
    extra = {}
    if body.webhook_secret is not None:  # type: ignore[attr-defined]
        extra["webhook_secret_enc"] = request.app[BOX].encrypt(body.webhook_secret)  # type: ignore[attr-defined]
    await check_mail_now(request, patch.get("notification_email"))

    def apply(d: Any) -> dict[str, Any]:
        current = ASSISTANTS.doc(d, ident)
        current.pop("tools", None)  # the mirror; llm_config.tools is the stored truth
        merged = deep_merge(current, patch)
        checked = validate(AssistantCreate, merged)
        if ("stt_config" in patch or "tts_config" in patch) and uses_remote_speech(checked):
            check_speech(checked, records.list_byok(d))
        if "llm_config" in patch and checked.llm_config.provider != "local":
            check_llm(checked, records.list_byok(d))
        if MODEL_FIELDS & patch.keys():
            check_models(checked)
        saved.append(stored_document(checked))
        return ASSISTANTS.update(d, ident, saved[-1], **extra)

    saved: list[dict[str, Any]] = []
    out = await write(request, apply)
    warm_later(request, ident, saved[-1])
    return reply({"assistant": out})


async def delete_assistant(request: web.Request) -> web.Response:
    ident = request.match_info["id"]

    def apply(d: Any) -> None:
        ASSISTANTS.row(d, ident)
        used = numbers_using(d, "assistant_id", ident)
        if used:
            raise Conflict(f"Assistant is used by numbers {', '.join(used)}; reassign them first", "id")
        ASSISTANTS.delete(d, ident)

    await write(request, apply)
    return reply({"id": ident, "deleted": True})


OPERATIONS = [
    Operation("GET", "/assistants", list_assistants, "List assistants", "Assistants",
              query=PageQuery, response=AssistantList),
    Operation("POST", "/assistants", create_assistant, "Create an assistant", "Assistants",
              body=AssistantCreate, response=AssistantEnvelope, status=201, errors=(403,)),
    Operation("GET", "/assistants/{id}", get_assistant, "Get an assistant", "Assistants",
              response=AssistantEnvelope, errors=(404,)),
    Operation("PATCH", "/assistants/{id}", update_assistant, "Update an assistant", "Assistants",
              body=AssistantUpdate, response=AssistantEnvelope, errors=(404,)),
    Operation("DELETE", "/assistants/{id}", delete_assistant, "Delete an assistant", "Assistants",
              response=Deleted, errors=(404, 409)),
]
