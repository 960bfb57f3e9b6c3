"""Edit forms generated from a pydantic model's JSON schema, so a field added to the API's schema
appears in the dashboard with the same limits, and a form posts back exactly what the API accepts.

Scalars become inputs (text, number, checkbox, select), a list of choices becomes checkboxes, and
anything nested (the engine configs, plans, metadata) a JSON text area. A write-only secret becomes a
password box that is always shown empty: left empty, it is not sent, so the stored secret stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from multidict import MultiMapping

from ..errors import ApiError

ACRONYMS = {"llm": "LLM", "stt": "STT", "tts": "TTS", "gdpr": "GDPR", "url": "URL", "id": "ID", "sip": "SIP"}
LONG_TEXT = 4096  # a string that may be longer than this (a prompt) gets a text area


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text | textarea | password | integer | number | checkbox | select | choices | json
    help: str = ""
    required: bool = False
    nullable: bool = False
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    placeholder: str = ""
    labels: tuple[str, ...] = ()  # what a select shows for each of `options`, when not the option itself


def _label(name: str) -> str:
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def _field(name: str, prop: Mapping[str, Any], required: bool) -> FormField:
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    spec = options[0] if len(options) == 1 else {}
    kind = spec.get("type")
    examples = [str(e) for e in prop.get("examples", spec.get("examples", ()))]
    base = FormField(name=name, label=_label(name), kind="json", help=str(prop.get("description", "")),
                     required=required, nullable=len(options) < len(prop.get("anyOf", [prop])),
                     placeholder=examples[0] if examples else "")
    if kind == "string" and "enum" in spec:
        return replace(base, kind="select", options=tuple(spec["enum"]))
    if kind == "string":
        length = spec.get("maxLength")
        return replace(base, kind="textarea" if (length or 0) > LONG_TEXT else "text", max_length=length)
    if kind in ("integer", "number"):
        return replace(base, kind=kind, minimum=spec.get("minimum"), maximum=spec.get("maximum"))
    if kind == "boolean":
        return replace(base, kind="checkbox")
    if kind == "array" and "enum" in spec.get("items", {}):
        return replace(base, kind="choices", options=tuple(spec["items"]["enum"]))
    return base


def fields_from_schema(schema: Mapping[str, Any], skip: frozenset[str] = frozenset(),
                       secrets: frozenset[str] = frozenset()) -> list[FormField]:
    """One field per property but `skip`; those in `secrets` (write-only) become password boxes."""
    required = set(schema.get("required", ()))
    fields = [_field(name, prop, name in required) for name, prop in schema["properties"].items() if name not in skip]
    return [replace(f, kind="password", help="") if f.name in secrets else f for f in fields]


def with_choices(fields: list[FormField], name: str, choices: Mapping[str, str]) -> list[FormField]:
    """`name` (an id field) as a select of `choices` (id: label), so a reference is picked, not typed."""
    return [replace(f, kind="select", options=tuple(choices), labels=tuple(choices.values()))
            if f.name == name else f for f in fields]


def shown(field: FormField, value: Any) -> Any:
    """The value as the form shows it: text for inputs, indented JSON for nested settings, never a secret."""
    if field.kind == "password":
        return ""
    if field.kind == "json":
        return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
    if field.kind in ("checkbox", "choices"):
        return value
    return "" if value is None else str(value)


def _number(text: str, kind: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text  # left as typed: the model's validation names the field
    return int(number) if kind == "integer" and number.is_integer() else number


def read_form(fields: list[FormField], form: MultiMapping[Any], current: Mapping[str, Any]
              ) -> tuple[dict[str, Any], dict[str, str]]:
    """(the fields that changed, as the API's PATCH takes them; errors by field for JSON that does not parse)."""
    patch: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        raw = form.get(field.name)
        text = raw.strip() if isinstance(raw, str) else ""
        value: Any
        if field.kind == "checkbox":
            value = raw == "on"
        elif field.kind == "choices":
            value = [v for v in form.getall(field.name, []) if isinstance(v, str)]
        elif not text:
            value = None if field.nullable or field.kind == "json" else ""
        elif field.kind == "json":
            try:
                value = json.loads(text)
            except ValueError as err:
                errors[field.name] = f"Not valid JSON: {err}"
                continue
        elif field.kind in ("integer", "number"):
            value = _number(text, field.kind)
        else:
            value = raw if field.kind == "textarea" else text
        if value is None and field.kind == "json" and current.get(field.name) is not None:
            errors[field.name] = "Give the settings as a JSON object; an empty box cannot clear them."
        elif value != current.get(field.name):
            patch[field.name] = value
    return patch, errors


def typed(fields: list[FormField], form: MultiMapping[Any]) -> dict[str, Any]:
    """What was typed, to show again in a refused form (a secret is not shown again)."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.kind == "choices":
            values[f.name] = form.getall(f.name, [])
        elif f.kind == "checkbox":
            values[f.name] = form.get(f.name) == "on"
        elif f.kind != "password":
            values[f.name] = form.get(f.name, "")
    return values


def refusal(fields: list[FormField], err: ApiError) -> tuple[dict[str, str], str]:
    """The API's refusal as (errors by field, when it names one of `fields`; else a general message)."""
    name = (err.param or "").split(".")[0]
    if name in {f.name for f in fields}:
        return {name: err.message}, ""
    return {}, err.message
