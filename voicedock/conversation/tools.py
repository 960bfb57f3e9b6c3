"""Tools as the session sees them, and the shapes of the decision a turn makes about them.

Small local models are unreliable at free-form tool calls, so a turn asks the LLM two small
grammar-constrained questions: which choice (an enum of plain-words labels), then the chosen
tool's arguments (its own schema, dates loosened to free text, nothing required). That proposal
is then grounded in what the call holds (grounding.py) and validated before anything runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import jsonschema

NO_TOOL = "none"
END_CALL = "end_call"
TRANSFER_CALL = "transfer_call"
_DATE_FORMATS = ("date", "time", "date-time")


@dataclass(frozen=True)
class ToolSpec:
    """One callable tool: a customer's function (webhook) or a built-in."""

    name: str
    kind: str  # function | end_call | transfer_call
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    is_async: bool = False
    destinations: tuple[Mapping[str, Any], ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)


def _destination_address(dest: Mapping[str, Any]) -> str:
    return str(dest.get("number") or dest.get("sip_uri") or dest.get("sipUri") or "")


def normalise_tools(raw_tools: Sequence[Mapping[str, Any]]) -> list[ToolSpec]:
    """Accept the API's flat shape and OpenAI's nested `{"function": {...}}` shape alike."""
    specs: list[ToolSpec] = []
    for raw in raw_tools:
        kind = str(raw.get("type") or "function")
        if kind == END_CALL:
            specs.append(ToolSpec(END_CALL, END_CALL, "End the call when the caller says goodbye or is done."))
        elif kind == TRANSFER_CALL:
            dests = tuple(d for d in raw.get("destinations") or [] if _destination_address(d))
            if dests:
                specs.append(_transfer_spec(dests))
        elif kind == "function":
            nested = raw.get("function")
            fn: Mapping[str, Any] = nested if isinstance(nested, Mapping) else raw
            name = fn.get("name")
            if not name:
                continue
            specs.append(
                ToolSpec(
                    name=str(name),
                    kind="function",
                    description=str(fn.get("description") or ""),
                    parameters=fn.get("parameters") or {"type": "object", "properties": {}},
                    is_async=bool(raw.get("async", False)),
                    config=raw,
                )
            )
    return specs


def _transfer_spec(dests: tuple[Mapping[str, Any], ...]) -> ToolSpec:
    addresses = [_destination_address(d) for d in dests]
    described = "; ".join(f"{a}: {d.get('description') or 'a person'}" for a, d in zip(addresses, dests, strict=True))
    params = {
        "type": "object",
        "properties": {"destination": {"type": "string", "enum": addresses}},
        "required": ["destination"],
    }
    return ToolSpec(
        TRANSFER_CALL,
        TRANSFER_CALL,
        f"Transfer the caller to a person. Destinations: {described}.",
        params,
        False,
        dests,
    )


def describe_tools(specs: Sequence[ToolSpec]) -> str:
    """The tool list for the system prompt: name, purpose and argument names with their hints."""
    lines = []
    for spec in specs:
        props = spec.parameters.get("properties") or {}
        required = set(spec.parameters.get("required") or [])
        args = []
        for name, prop in props.items():
            hint = prop.get("format") or prop.get("type") or "value"
            if "enum" in prop:
                hint = "|".join(str(v) for v in prop["enum"])
            args.append(f"{name}{'' if name in required else '?'}: {hint}")
        lines.append(f"- {spec.name}({', '.join(args)}): {spec.description}")
    return "\n".join(lines)


def _loosen(schema: Any) -> Any:
    """Grammar-side schema: date/time fields become free strings, so the model may copy the caller's
    words ("next Monday") for code to resolve instead of guessing an ISO date."""
    if isinstance(schema, Mapping):
        out = {k: _loosen(v) for k, v in schema.items() if not (k == "format" and schema.get(k) in _DATE_FORMATS)}
        if schema.get("format") in _DATE_FORMATS:
            out["minLength"] = 1
        return out
    if isinstance(schema, list):
        return [_loosen(v) for v in schema]
    return schema


def intent_label(spec: ToolSpec | None) -> str:
    """Plain words for a choice: a small model picks "talk to a person" more reliably than "transfer_call"."""
    if spec is None:
        return "something else"
    if spec.kind == END_CALL:
        return "say goodbye"
    if spec.kind == TRANSFER_CALL:
        return "talk to a person"
    return spec.name.replace("_", " ")


def intent_schema(specs: Sequence[ToolSpec]) -> dict[str, Any]:
    labels = [intent_label(s) for s in specs] + [intent_label(None)]
    return {"type": "object", "properties": {"intent": {"enum": labels}}, "required": ["intent"]}


def arguments_schema(spec: ToolSpec) -> dict[str, Any]:
    """The grammar for the model's proposal: nothing is required, so it can leave out what nobody said."""
    params: dict[str, Any] = _loosen(copy.deepcopy(dict(spec.parameters)))
    params.setdefault("type", "object")
    params.pop("required", None)
    return params


@dataclass(frozen=True)
class Decision:
    tool: ToolSpec | None
    arguments: dict[str, Any] = field(default_factory=dict)


_FORMATS = jsonschema.FormatChecker(formats=())
_FormatCheck = Callable[[object], bool]


def _format(name: str) -> Callable[[_FormatCheck], _FormatCheck]:
    """`_FORMATS.checks(name, raises=ValueError)`, typed: registers the check and returns it unchanged."""
    register: Callable[[_FormatCheck], _FormatCheck] = _FORMATS.checks(name, raises=ValueError)
    return register


@_format("date")
def _check_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@_format("time")
def _check_time(value: object) -> bool:
    return not isinstance(value, str) or bool(time.fromisoformat(value))


@_format("date-time")
def _check_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value))


def validation_errors(spec: ToolSpec, arguments: Mapping[str, Any]) -> list[str]:
    """Human-readable problems with the arguments; empty means the tool may be called."""
    validator_cls = jsonschema.validators.validator_for(spec.parameters, default=jsonschema.Draft202012Validator)
    try:
        validator_cls.check_schema(spec.parameters)
    except jsonschema.SchemaError as err:
        return [f"the tool's parameter schema is invalid: {err.message}"]
    validator = validator_cls(spec.parameters, format_checker=_FORMATS)
    return [e.message for e in sorted(validator.iter_errors(dict(arguments)), key=lambda e: list(e.path))]
