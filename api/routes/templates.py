"""Tool templates and analysis templates: reusable pieces of assistant configuration."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from voicedock.ids import new_id
from voicedock.schemas import templates as t
from voicedock.schemas.base import Deleted, PageQuery
from voicedock.store.documents import ANALYSIS_TEMPLATES, TOOL_TEMPLATES, DocumentTable, deep_merge

from ..context import create, read_now, reply, reply_page, write
from ..spec import Operation, validate


def crud(path: str, table: DocumentTable, id_kind: str, singular: str, plural: str, tag: str,
         create_model: type[BaseModel], update_model: type[BaseModel],
         envelope: type[BaseModel], listing: type[BaseModel]) -> list[Operation]:
    """The five routes of a document resource whose body is validated by `create_model`."""

    async def list_items(request: web.Request, query: PageQuery) -> web.Response:
        items, total = await read_now(request, lambda d: table.page_json(d, query.limit, query.offset))
        return reply_page(plural, items, query.limit, query.offset, total)

    async def create_item(request: web.Request, body: BaseModel) -> web.Response:
        doc = body.model_dump(by_alias=True)
        ident = new_id(id_kind)
        row = await create(request, singular.replace("_", " ") + "s", lambda d: table.insert(d, ident, doc))
        return reply({singular: row}, status=201)

    async def get_item(request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        return reply({singular: await read_now(request, lambda d: table.get(d, ident))})

    async def update_item(request: web.Request, body: BaseModel) -> web.Response:
        ident = request.match_info["id"]
        patch = body.model_dump(by_alias=True, exclude_unset=True)

        def apply(d: Any) -> dict[str, Any]:
            merged = validate(create_model, deep_merge(table.doc(d, ident), patch))
            return table.update(d, ident, merged.model_dump(by_alias=True))

        return reply({singular: await write(request, apply)})

    async def delete_item(request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        await write(request, lambda d: table.delete(d, ident))
        return reply({"id": ident, "deleted": True})

    for fn, verb in ((list_items, "list"), (create_item, "create"), (get_item, "get"),
                     (update_item, "update"), (delete_item, "delete")):
        fn.__name__ = f"{verb}_{singular}"
    name = singular.replace("_", " ")
    return [
        Operation("GET", path, list_items, f"List {name}s", tag, query=PageQuery, response=listing),
        Operation("POST", path, create_item, f"Create a {name}", tag, body=create_model, response=envelope,
                  status=201, errors=(403,)),
        Operation("GET", path + "/{id}", get_item, f"Get a {name}", tag, response=envelope, errors=(404,)),
        Operation("PATCH", path + "/{id}", update_item, f"Update a {name}", tag, body=update_model,
                  response=envelope, errors=(404,)),
        Operation("DELETE", path + "/{id}", delete_item, f"Delete a {name}", tag, response=Deleted,
                  errors=(404,)),
    ]


OPERATIONS = [
    *crud("/tool-templates", TOOL_TEMPLATES, "tool_template", "tool_template", "tool_templates", "Templates",
          t.ToolTemplateFields, t.ToolTemplateUpdate, t.ToolTemplateEnvelope, t.ToolTemplateList),
    *crud("/analysis-templates", ANALYSIS_TEMPLATES, "analysis_template", "analysis_template",
          "analysis_templates", "Templates", t.AnalysisTemplateFields, t.AnalysisTemplateUpdate,
          t.AnalysisTemplateEnvelope, t.AnalysisTemplateList),
]
