"""Create, edit and delete pages for a record the API manages, the same for assistants, numbers and SIP
trunks: the form is generated from the API's own schema, a save goes through the API's own handler (so
the dashboard accepts and refuses exactly what the API does), a refusal is shown next to the field it
names with what was typed kept, and a delete asks first."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from aiohttp import web
from pydantic import BaseModel

from ..context import read
from ..errors import ApiError
from ..spec import validate
from . import forms
from .render import page, see_other
from .routes import Access, Page

ApiHandler = Callable[..., Awaitable[web.Response]]
Refine = Callable[[web.Request, list[forms.FormField]], Awaitable[list[forms.FormField]]]


@dataclass(frozen=True)
class Editable:
    noun: str  # "assistant", "number", "SIP trunk"
    path: str  # its forms are {path}/new, {path}/{id} and {path}/{id}/delete
    back: tuple[str, str]  # the list page: (href, link text)
    envelope: str  # the key the API's answers put the record under
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    create_fields: list[forms.FormField]
    edit_fields: list[forms.FormField]
    load: Callable[[sqlite_utils.Database, str], dict[str, Any]]  # the record, as the API shows it
    blank: Callable[[], dict[str, Any]]  # a new record's form: the schema's defaults
    name: Callable[[dict[str, Any]], str]
    api_create: ApiHandler
    api_update: ApiHandler
    api_delete: ApiHandler
    deleting: str  # what deleting does, said on the confirmation page
    refine: Refine | None = None  # e.g. id fields turned into a select of the records they may name
    template: str = "edit.html"

    def title(self, doc: dict[str, Any]) -> str:
        return f"{self.noun[:1].upper()}{self.noun[1:]} {self.name(doc)}"

    async def fields(self, request: web.Request, new: bool) -> list[forms.FormField]:
        fields = self.create_fields if new else self.edit_fields
        return await self.refine(request, fields) if self.refine else fields

    async def record(self, request: web.Request) -> dict[str, Any]:
        ident = request.match_info["id"]
        return await read(request, lambda d: self.load(d, ident))

    def render(self, request: web.Request, doc: dict[str, Any], fields: list[forms.FormField],
               values: dict[str, Any], status: int = 200, errors: dict[str, str] | None = None,
               general: str = "", **extra: Any) -> web.Response:
        ident = doc.get("id")
        return page(request, self.template, status, title=self.title(doc), heading=self.name(doc), record=doc,
                    noun=self.noun, back=self.back, action=f"{self.path}/{ident or 'new'}",
                    delete=f"{self.path}/{ident}/delete" if ident else "",
                    fields=[(f, values.get(f.name, forms.shown(f, doc.get(f.name)))) for f in fields],
                    errors=errors or {}, general=general, saved=request.query.get("saved") == "1", **extra)

    def refused(self, request: web.Request, doc: dict[str, Any], fields: list[forms.FormField],
                typed: dict[str, Any], err: ApiError) -> web.Response:
        errors, general = forms.refusal(fields, err)
        return self.render(request, doc, fields, typed, err.status, errors, general)

    async def form_page(self, request: web.Request) -> web.StreamResponse:
        return self.render(request, await self.record(request), await self.fields(request, False), {})

    async def new_page(self, request: web.Request) -> web.StreamResponse:
        return self.render(request, self.blank(), await self.fields(request, True), {})

    async def create(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The record as `POST`'s handler answers it, or the form again with why it was refused."""
        doc, fields, form = self.blank(), await self.fields(request, True), await request.post()
        values, errors = forms.read_form(fields, form, {})
        typed = forms.typed(fields, form)
        if errors:
            return self.render(request, doc, fields, typed, 400, errors)
        try:
            body = validate(self.create_model, {k: v for k, v in values.items() if v is not None})
            answer = await self.api_create(request, body=body)
        except ApiError as err:
            return self.refused(request, doc, fields, typed, err)
        created: dict[str, Any] = json.loads(answer.text or "{}")[self.envelope]
        return created

    async def create_then_list(self, request: web.Request) -> web.StreamResponse:
        created = await self.create(request)
        return created if isinstance(created, web.Response) else see_other(f"{self.back[0]}?saved=1")

    async def save(self, request: web.Request) -> web.StreamResponse:
        """Only the fields the operator changed are sent, as a PATCH would send them."""
        doc, fields, form = await self.record(request), await self.fields(request, False), await request.post()
        patch, errors = forms.read_form(fields, form, doc)
        typed = forms.typed(fields, form)
        if errors:
            return self.render(request, doc, fields, typed, 400, errors)
        if patch:
            try:
                await self.api_update(request, body=validate(self.update_model, patch))
            except ApiError as err:
                return self.refused(request, doc, fields, typed, err)
        return see_other(f"{self.path}/{doc['id']}?saved=1")

    def _confirm(self, request: web.Request, doc: dict[str, Any], status: int = 200, error: str = "") -> web.Response:
        return page(request, "confirm_delete.html", status, title=f"Delete {self.name(doc)}", heading=self.name(doc),
                    noun=self.noun, record=doc, form=f"{self.path}/{doc['id']}", deleting=self.deleting, error=error)

    async def confirm_delete(self, request: web.Request) -> web.StreamResponse:
        return self._confirm(request, await self.record(request))

    async def delete(self, request: web.Request) -> web.StreamResponse:
        """Through the API's DELETE handler, with its refusals (a record still in use) on the same page."""
        try:
            await self.api_delete(request)
        except ApiError as err:
            return self._confirm(request, await self.record(request), err.status, err.message)
        return see_other(f"{self.back[0]}?deleted=1")

    def pages(self, create: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None) -> list[Page]:
        """Its routes: looking needs a session, changing an admin session and the CSRF token."""
        return [
            Page("GET", f"{self.path}/new", self.new_page, Access.VIEW),
            Page("POST", f"{self.path}/new", create or self.create_then_list, Access.ADMIN),
            Page("GET", f"{self.path}/{{id}}", self.form_page, Access.VIEW),
            Page("POST", f"{self.path}/{{id}}", self.save, Access.ADMIN),
            Page("GET", f"{self.path}/{{id}}/delete", self.confirm_delete, Access.VIEW),
            Page("POST", f"{self.path}/{{id}}/delete", self.delete, Access.ADMIN),
        ]
