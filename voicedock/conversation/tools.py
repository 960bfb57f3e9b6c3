"""Tools as the session sees them, and the one structured decision a turn makes about them.

Small local models are unreliable at free-form tool calls, so a turn asks the LLM two small
grammar-constrained questions: which choice (an enum of plain-words labels), then the chosen
tool's arguments (its own schema, dates loosened to free text). Dates and times are then
resolved in code from the caller's words, and the arguments are validated before anything runs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import jsonschema

from voicedock.engines.datetime_resolve import resolve, resolve_arguments

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
            fn = raw.get("function") if isinstance(raw.get("function"), Mapping) else raw
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
    params = _loosen(copy.deepcopy(dict(spec.parameters)))
    params.setdefault("type", "object")
    return params


@dataclass(frozen=True)
class Decision:
    tool: ToolSpec | None
    arguments: dict[str, Any] = field(default_factory=dict)


RUN = "run"
ASK = "ask"
DROP = "drop"


@dataclass(frozen=True)
class Verdict:
    """What the session does with the model's choice: `run` the tool with `arguments`, `ask` the
    caller for what `errors` says is missing, or `drop` it and answer as if no tool was chosen."""

    action: str  # run | ask | drop
    tool: ToolSpec | None
    arguments: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def runs(self) -> ToolSpec | None:
        return self.tool if self.action == RUN else None


def settle(decision: Decision, now: datetime, caller_text: str = "", earlier: Sequence[str] = ()) -> Verdict:
    """The system's decision: the model's choice, kept only where the caller's words support it.

    A small model picks a function tool for plain questions ("What are your opening hours?").
    For a function tool with parameters, the caller's turn supports the choice when it gives at
    least one of the tool's argument values (a date or time said in this turn, a string or number
    it contains) or names the tool's action. With arguments that do not validate, a supported
    choice asks the caller for what is missing ("I'd like to book a cleaning"); an unsupported one
    is dropped, so the reply answers the question instead of asking for a date. With complete
    arguments, a tool with date or time fields whose values all come from earlier turns ("Do I
    need to bring anything?" right after a booking) also needs the turn to use the tool's verb
    ("book") or open with a yes; other tools run, since the model may compose their values
    ("Text me" → a message). Built-ins and tools without parameters are not checked here.
    """
    spec = decision.tool
    if spec is None:
        return Verdict(DROP, None)
    args = prepare_arguments(spec, decision.arguments, now, caller_text, earlier)
    errors = tuple(validation_errors(spec, args))
    if spec.kind != "function" or not (spec.parameters.get("properties") or {}):
        return Verdict(ASK if errors else RUN, spec, args, errors)
    given = values_from_turn(spec, args, caller_text, now)
    if errors:
        named = given or _names_action(spec, caller_text, every_word=True)
        return Verdict(ASK if named else DROP, spec, args, errors)
    dated = any(_iso_fields(spec.parameters, fmt) for fmt in _DATE_FORMATS)
    if not dated or given or _names_action(spec, caller_text, every_word=False) or _AFFIRMATIVE.match(caller_text):
        return Verdict(RUN, spec, args)
    return Verdict(DROP, spec, args)


def values_from_turn(spec: ToolSpec, args: Mapping[str, Any], caller_text: str, now: datetime) -> list[str]:
    """The argument names whose values the caller's turn itself contains."""
    props = spec.parameters.get("properties") or {}
    said = resolve(_spoken(caller_text), now) if caller_text else None
    words = caller_text.casefold()
    found = []
    for key, value in args.items():
        fmt = (props.get(key) or {}).get("format")
        if fmt in _DATE_FORMATS:
            if said is not None and (
                said.date if fmt == "date" else said.time if fmt == "time" else said.date or said.time
            ):
                found.append(key)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip().casefold()
            if len(text) >= 2 and re.search(rf"(?<!\w){re.escape(text)}(?!\w)", words):
                found.append(key)
    return found


def _name_words(spec: ToolSpec) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", spec.name)
    return [w.casefold() for w in re.split(r"[\W_]+", spaced) if w]


def _names_action(spec: ToolSpec, caller_text: str, *, every_word: bool) -> bool:
    """Whether the caller used the tool's verb (the first word of its name) or, with `every_word`,
    any word of its name of four letters or more; "booking" and "available" count as "book" and
    "availability" (a shared start of five letters, or the whole of a shorter word)."""
    names = _name_words(spec)
    names = [w for w in names if len(w) >= 4] if every_word else names[:1]
    said = re.findall(r"\w+", caller_text.casefold())
    return any(w.startswith(n[:5]) for n in names for w in said)


_AFFIRMATIVE = re.compile(r"\s*(yes|yeah|yep|yup|sure|ok|okay|alright|correct|go ahead|please do)\b", re.I)


def _iso_fields(schema: Mapping[str, Any], fmt: str) -> list[str]:
    return [k for k, p in (schema.get("properties") or {}).items() if isinstance(p, Mapping) and p.get("format") == fmt]


def prepare_arguments(
    spec: ToolSpec,
    arguments: Mapping[str, Any],
    now: datetime,
    caller_text: str = "",
    earlier: Sequence[str] = (),
) -> dict[str, Any]:
    """Resolve relative dates and times; a date or time the caller just said wins over the model's,
    because the code's calendar arithmetic is right where a small model's often is not.

    A date or time the model wrote that appears nowhere in the conversation (`earlier`: older
    message texts, newest first, system prompt excluded) is replaced by the newest one that does,
    or dropped so validation asks the caller: a small model otherwise invents "today at 10:00".
    """
    schema = spec.parameters
    args = resolve_arguments({k: _spoken(v) for k, v in arguments.items()}, schema, now)
    said = resolve(_spoken(caller_text), now) if caller_text else None
    _ground(args, schema, now, said, earlier)
    if said is not None:
        date_fields, time_fields = _iso_fields(schema, "date"), _iso_fields(schema, "time")
        moment_fields = _iso_fields(schema, "date-time")
        if said.date and len(date_fields) == 1:
            args[date_fields[0]] = said.date.isoformat()
        if said.time and len(time_fields) == 1:
            args[time_fields[0]] = said.time.strftime("%H:%M")
        if (said.date or said.time) and len(moment_fields) == 1:
            base = _existing_moment(args.get(moment_fields[0]), now)
            day = said.date or (base.date() if base else now.date())
            clock = said.time or (base.time() if base else time(0, 0))
            args[moment_fields[0]] = datetime.combine(day, clock, tzinfo=now.tzinfo).isoformat()
    for key in [k for k, v in args.items() if v in ("", None) and k not in (schema.get("required") or [])]:
        del args[key]
    return args


def _ground(args: dict[str, Any], schema: Mapping[str, Any], now: datetime, said: Any, earlier: Sequence[str]) -> None:
    found = [resolve(_spoken(text), now) for text in earlier]
    for fmt, attr, render in (("date", "date", date.isoformat), ("time", "time", lambda t: t.strftime("%H:%M"))):
        fields = _iso_fields(schema, fmt)
        if len(fields) != 1 or (said is not None and getattr(said, attr)):
            continue
        key = fields[0]
        known = [render(getattr(r, attr)) for r in found if getattr(r, attr)]
        known += [m for text in earlier for m in re.findall(_ISO[fmt], text)]
        if key in args and args[key] not in known:
            if known:
                args[key] = known[0]
            else:
                del args[key]


_ISO = {"date": r"\b\d{4}-\d{2}-\d{2}\b", "time": r"\b\d{2}:\d{2}\b"}
_WEEKDAY_NEXT_WEEK = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+(of\s+)?next\s+week\b", re.I
)


def _spoken(value: Any) -> Any:
    """ "Wednesday next week" means "next Wednesday"; the resolver knows only the second form."""
    return _WEEKDAY_NEXT_WEEK.sub(r"next \1", value) if isinstance(value, str) else value


def _existing_moment(value: Any, now: datetime) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _check_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@_FORMATS.checks("time", raises=ValueError)
def _check_time(value: object) -> bool:
    return not isinstance(value, str) or bool(time.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
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
