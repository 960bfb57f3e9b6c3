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
                total=total, deleted=request.query.get("deleted") == "1")


def _form(request: web.Request, doc: dict[str, Any], values: dict[str, Any], status: int = 200,
          errors: dict[str, str] | None = None, general: str = "", secret: str = "") -> web.Response:
    ident = doc.get("id")
    return page(request, "assistant.html", status, title=f"Assistant {doc['name']}", assistant=doc,
                action=f"/dashboard/assistants/{ident}" if ident else "/dashboard/assistants/new",
                fields=[(f, values.get(f.name, forms.shown(f, doc.get(f.name)))) for f in FIELDS],
                errors=errors or {}, general=general, saved=request.query.get("saved") == "1", secret=secret)


def _blank() -> dict[str, Any]:
    """A new assistant's form: the schema's defaults, the prompt left to write."""
    doc = AssistantCreate.model_validate({"system_prompt": "-"}).model_dump(by_alias=True, exclude=set(NOT_ON_THE_FORM))
    return {**doc, "id": None, "name": "New assistant", "system_prompt": ""}


async def _submitted(request: web.Request, current: dict[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(what was typed, to show again; the fields that differ from `current`; fields that did not parse)."""
    form = await request.post()
    typed: dict[str, Any] = {f.name: form.getall(f.name, []) if f.kind == "choices" else form.get(f.name, "")
                             for f in FIELDS}
    typed.update({f.name: form.get(f.name) == "on" for f in FIELDS if f.kind == "checkbox"})
    changes, errors = forms.read_form(FIELDS, form, current)
    return typed, changes, errors


def _refused(request: web.Request, doc: dict[str, Any], typed: dict[str, Any], err: ApiError) -> web.Response:
    """The form again, the API's refusal next to the field it names (else above the form)."""
    field = (err.param or "").split(".")[0]
    if field in {f.name for f in FIELDS}:
        return _form(request, doc, typed, err.status, {field: err.message})
    return _form(request, doc, typed, err.status, general=err.message)


async def assistant_form(request: web.Request) -> web.StreamResponse:
    ident = request.match_info["id"]
    return _form(request, await read(request, lambda d: ASSISTANTS.get(d, ident)), {})


async def new_assistant_form(request: web.Request) -> web.StreamResponse:
    return _form(request, _blank(), {})


async def create_assistant(request: web.Request) -> web.StreamResponse:
    """Through `POST /assistants`' handler; its one-time webhook secret is shown once, as the API shows it."""
    doc = _blank()
    typed, fields, errors = await _submitted(request, {})
    if errors:
        return _form(request, doc, typed, 400, errors)
    try:
        body = validate(AssistantCreate, {k: v for k, v in fields.items() if v is not None})
        created = json.loads((await api_assistants.create_assistant(request, body=body)).text or "{}")["assistant"]
    except ApiError as err:
        return _refused(request, doc, typed, err)
    return _form(request, created, {}, 201, secret=created.get("webhook_secret", ""))


async def save_assistant(request: web.Request) -> web.StreamResponse:
    """Only the fields the operator changed are sent, as a PATCH would send them."""
    ident = request.match_info["id"]
    doc = await read(request, lambda d: ASSISTANTS.get(d, ident))
    typed, patch, errors = await _submitted(request, doc)
    if errors:
        return _form(request, doc, typed, 400, errors)
    if patch:
        try:
            await api_assistants.update_assistant(request, body=validate(AssistantUpdate, patch))
        except ApiError as err:
            return _refused(request, doc, typed, err)
    return see_other(f"/dashboard/assistants/{ident}?saved=1")


async def confirm_delete(request: web.Request) -> web.StreamResponse:
    ident = request.match_info["id"]
    doc = await read(request, lambda d: ASSISTANTS.get(d, ident))
    return page(request, "confirm_delete.html", title=f"Delete {doc['name']}", assistant=doc, error="")


async def delete_assistant(request: web.Request) -> web.StreamResponse:
    """Through `DELETE /assistants/{id}`' handler: refused while a number still answers with it."""
    ident = request.match_info["id"]
    try:
        await api_assistants.delete_assistant(request)
    except ApiError as err:
        doc = await read(request, lambda d: ASSISTANTS.get(d, ident))
        return page(request, "confirm_delete.html", err.status, title=f"Delete {doc['name']}", assistant=doc,
                    error=err.message)
    return see_other("/dashboard/assistants?deleted=1")
