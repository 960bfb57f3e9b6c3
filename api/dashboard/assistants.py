"""Assistants: a list, and an edit form generated from the API's own schema and saved through the
API's own PATCH handler, so the dashboard accepts and refuses exactly what `PATCH /assistants/{id}` does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from voicedock.schemas.assistants import AssistantCreate, AssistantUpdate
from voicedock.store.documents import ASSISTANTS

from ..context import read
from ..errors import ApiError
from ..routes import assistants as api_assistants
from ..spec import validate
from . import forms
from .render import page, see_other

NOT_ON_THE_FORM = frozenset({"tools", "webhook_secret"})  # a mirror of llm_config.tools; a write-only secret
FIELDS = forms.fields_from_schema(AssistantCreate.model_json_schema(), NOT_ON_THE_FORM)
LIST_LIMIT = 500


async def assistant_list(request: web.Request) -> web.StreamResponse:
    docs, total = await read(request, lambda d: ASSISTANTS.page_json(d, LIST_LIMIT, 0))
    return page(request, "assistants.html", title="Assistants", assistants=[json.loads(doc) for doc in docs],
                total=total)


def _form(request: web.Request, doc: dict[str, Any], values: dict[str, Any], status: int = 200,
          errors: dict[str, str] | None = None, general: str = "") -> web.Response:
    return page(request, "assistant.html", status, title=f"Assistant {doc['name']}", assistant=doc,
                fields=[(f, values.get(f.name, forms.shown(f, doc.get(f.name)))) for f in FIELDS],
                errors=errors or {}, general=general, saved=request.query.get("saved") == "1")


async def assistant_form(request: web.Request) -> web.StreamResponse:
    ident = request.match_info["id"]
    return _form(request, await read(request, lambda d: ASSISTANTS.get(d, ident)), {})


async def save_assistant(request: web.Request) -> web.StreamResponse:
    """Only the fields the operator changed are sent, as a PATCH would send them."""
    ident = request.match_info["id"]
    doc = await read(request, lambda d: ASSISTANTS.get(d, ident))
    form = await request.post()
    typed: dict[str, Any] = {f.name: form.getall(f.name, []) if f.kind == "choices" else form.get(f.name, "")
                             for f in FIELDS}
    typed.update({f.name: form.get(f.name) == "on" for f in FIELDS if f.kind == "checkbox"})
    patch, errors = forms.read_form(FIELDS, form, doc)
    if errors:
        return _form(request, doc, typed, 400, errors)
    if patch:
        try:
            await api_assistants.update_assistant(request, body=validate(AssistantUpdate, patch))
        except ApiError as err:
            field = (err.param or "").split(".")[0]
            if field in {f.name for f in FIELDS}:
                return _form(request, doc, typed, err.status, {field: err.message})
            return _form(request, doc, typed, err.status, general=err.message)
    return see_other(f"/dashboard/assistants/{ident}?saved=1")
