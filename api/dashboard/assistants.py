"""Assistants: a list, and forms generated from the API's own schema and saved through the API's own
handlers, so the dashboard accepts and refuses exactly what `POST`/`PATCH /assistants` do."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from voicedock.schemas.assistants import AssistantCreate, AssistantUpdate
from voicedock.store.documents import ASSISTANTS

from ..context import read
from ..routes import assistants as api_assistants
from . import forms
from .editing import Editable
from .render import page

NOT_ON_THE_FORM = frozenset({"tools", "webhook_secret"})  # a mirror of llm_config.tools; a write-only secret
FIELDS = forms.fields_from_schema(AssistantCreate.model_json_schema(), NOT_ON_THE_FORM)
LIST_LIMIT = 500


def _blank() -> dict[str, Any]:
    """A new assistant's form: the schema's defaults, the prompt left to write."""
    doc = AssistantCreate.model_validate({"system_prompt": "-"}).model_dump(by_alias=True, exclude=set(NOT_ON_THE_FORM))
    return {**doc, "id": None, "name": "New assistant", "system_prompt": ""}


EDITABLE = Editable(
    noun="assistant", path="/dashboard/assistants", back=("/dashboard/assistants", "Assistants"),
    envelope="assistant", create_model=AssistantCreate, update_model=AssistantUpdate,
    create_fields=FIELDS, edit_fields=FIELDS, load=ASSISTANTS.get, blank=_blank, name=lambda doc: doc["name"],
    api_create=api_assistants.create_assistant, api_update=api_assistants.update_assistant,
    api_delete=api_assistants.delete_assistant, template="assistant.html",
    deleting="is deleted for good. Its past calls keep their records.",
)


async def assistant_list(request: web.Request) -> web.StreamResponse:
    docs, total = await read(request, lambda d: ASSISTANTS.page_json(d, LIST_LIMIT, 0))
    return page(request, "assistants.html", title="Assistants", assistants=[json.loads(doc) for doc in docs],
                total=total, deleted=request.query.get("deleted") == "1")


async def create_assistant(request: web.Request) -> web.StreamResponse:
    """Through `POST /assistants`' handler; its one-time webhook secret is shown once, as the API shows it."""
    created = await EDITABLE.create(request)
    if isinstance(created, web.Response):
        return created
    return EDITABLE.render(request, created, FIELDS, {}, 201, secret=created.get("webhook_secret", ""))
