"""Load and validate the grounding set (data/*.json; the format is in schema.md).

Validation runs on every load, so a case with a typo (a tool the domain lacks, an expected value
the caller never gave, a date that is not a date) fails loudly instead of silently scoring a
system against a wrong answer. The dev/test split is a fixed function of the dialogue id, decided
before any run, so nobody can move a case between the halves after seeing a result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from voicedock.assistant import CallAssistant

from .normalise import as_date, as_time, plain

DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("dev", "test")
BUILTINS = ("end_call", "transfer_call")
DEV_PERCENT = 40

_MATCHER = {"type": "object", "properties": {"contains": {"type": "array", "minItems": 1, "items": {
    "type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}}}, "required": ["contains"],
    "additionalProperties": False}
_ARGUMENTS = {"type": "object", "additionalProperties": {
    "anyOf": [{"type": ["string", "integer", "number", "boolean"]}, _MATCHER]}}
_CALL = {"type": "object", "properties": {"tool": {"type": "string"}, "arguments": _ARGUMENTS, "result": {}},
         "required": ["tool", "arguments"], "additionalProperties": False}
_FACT = {"type": "object", "properties": {
    "answerable": {"type": "boolean"}, "topic": {"type": "string"},
    "keywords": {"type": "array", "items": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}},
    "wrong": {"type": "array", "items": {"type": "string", "minLength": 1}}},
    "required": ["answerable"], "additionalProperties": False}
_TURN = {"type": "object", "properties": {
    "caller": {"type": "string", "minLength": 1},
    "gives": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
    "expect": {"type": "object", "properties": {
        "tool": {"type": ["string", "null"]}, "arguments": _ARGUMENTS, "result": {},
        "asks_for": {"type": "array", "items": {"type": "string"}}, "also_ok": {"type": "array", "items": _CALL}},
        "required": ["tool"], "additionalProperties": False},
    "fact": _FACT}, "required": ["caller", "expect"], "additionalProperties": False}
SPLIT_SCHEMA = {"type": "object", "properties": {
    "version": {"const": 1}, "split": {"enum": list(SPLITS)},
    "dialogues": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"}, "domain": {"type": "string"}, "now": {"type": "string"},
        "about": {"type": "string"}, "turns": {"type": "array", "minItems": 1, "maxItems": 7, "items": _TURN},
        "outcome": {"type": "array", "items": {"type": "object", "properties": {
            "event": {"type": "string"}, "values": {"type": "object"}}, "required": ["event", "values"]}}},
        "required": ["id", "domain", "now", "turns", "outcome"], "additionalProperties": False}}},
    "required": ["version", "split", "dialogues"]}
DOMAINS_SCHEMA = {"type": "object", "properties": {"version": {"const": 1}, "domains": {
    "type": "object", "additionalProperties": {"type": "object", "properties": {
        "about": {"type": "string"}, "assistant": {"type": "object"},
        "events": {"type": "object", "additionalProperties": {"type": "string"}},
        "default_results": {"type": "object"}}, "required": ["assistant", "events"]}}}, "required": ["domains"]}


class DatasetError(ValueError):
    """The data files break the format or contradict themselves; the message names the case."""


@dataclass(frozen=True)
class Domain:
    name: str
    assistant: dict[str, Any]
    events: dict[str, str]  # tool name -> the outcome event it makes (booked, tracked, transferred...)
    default_results: dict[str, Any]
    parsed: CallAssistant = field(repr=False, compare=False)

    @property
    def tools(self) -> dict[str, dict[str, Any]]:
        """Tool name -> its raw config (built-ins under their type)."""
        return {str(t.get("name") or t["type"]): t for t in self.assistant["llm_config"]["tools"]}

    def params(self, tool: str) -> dict[str, Any]:
        raw = self.tools[tool]
        if raw["type"] == "transfer_call":
            return {"properties": {"destination": {"type": "string"}}, "required": ["destination"]}
        return dict(raw.get("parameters") or {"properties": {}})

    @property
    def destinations(self) -> list[str]:
        raw = self.tools.get("transfer_call") or {}
        return [str(d.get("number") or d.get("sip_uri")) for d in raw.get("destinations") or []]


def split_of(dialogue_id: str) -> str:
    """The fixed split rule: the first 32 bits of sha1(id), mod 100, below 40 -> dev, else test."""
    return "dev" if int(hashlib.sha1(dialogue_id.encode()).hexdigest()[:8], 16) % 100 < DEV_PERCENT else "test"


@cache
def load_domains(path: Path = DATA / "domains.json") -> dict[str, Domain]:
    raw = json.loads(path.read_text())
    _check(raw, DOMAINS_SCHEMA, str(path))
    out = {}
    for name, d in raw["domains"].items():
        try:
            parsed = CallAssistant.parse(d["assistant"])
        except ValueError as err:
            raise DatasetError(f"domain {name}: assistant does not parse: {err}") from None
        out[name] = Domain(name, d["assistant"], dict(d["events"]), dict(d.get("default_results") or {}), parsed)
    return out


def load_split(split: str, data_dir: Path = DATA) -> list[dict[str, Any]]:
    """The dialogues of one split ("dev", "test" or "all"), validated."""
    if split == "all":
        return [d for s in SPLITS for d in load_split(s, data_dir)]
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; one of dev, test, all")
    path = data_dir / f"{split}.json"
    raw = json.loads(path.read_text())
    _check(raw, SPLIT_SCHEMA, str(path))
    domains = load_domains(data_dir / "domains.json")
    for dialogue in raw["dialogues"]:
        if split_of(dialogue["id"]) != split:
            raise DatasetError(f"{dialogue['id']}: belongs in {split_of(dialogue['id'])}.json by the split rule")
        validate_dialogue(dialogue, domains)
    return list(raw["dialogues"])


def _check(instance: Any, schema: Mapping[str, Any], where: str) -> None:
    try:
        jsonschema.validate(instance, dict(schema))
    except jsonschema.ValidationError as err:
        raise DatasetError(f"{where}: {'/'.join(map(str, err.absolute_path))}: {err.message}") from None


def validate_dialogue(dialogue: Mapping[str, Any], domains: Mapping[str, Domain]) -> None:
    """Consistency beyond the schema: tools exist, expected values were given by the caller, endings end."""
    did = dialogue["id"]
    domain = domains.get(dialogue["domain"])
    if domain is None:
        raise DatasetError(f"{did}: unknown domain {dialogue['domain']!r}")
    now = datetime.fromisoformat(dialogue["now"])
    if now.tzinfo is None:
        raise DatasetError(f"{did}: now must carry a UTC offset")
    known_keys = {k for tool in domain.tools for k in domain.params(tool).get("properties", {})}
    given: dict[str, Any] = {}
    results: list[str] = []
    turns = dialogue["turns"]
    for i, turn in enumerate(turns):
        where = f"{did} turn {i + 1}"
        for key, value in (turn.get("gives") or {}).items():
            if key not in known_keys:
                raise DatasetError(f"{where}: gives unknown value {key!r}")
            _check_format(key, value, where)
            given[key] = value
        expect = turn["expect"]
        for key in expect.get("asks_for") or []:
            if key not in known_keys:
                raise DatasetError(f"{where}: asks_for unknown value {key!r}")
        calls = ([expect] if expect["tool"] is not None else []) + list(expect.get("also_ok") or [])
        for call in calls:
            _check_call(call, domain, given, results, where)
        if expect["tool"] is not None and ("arguments" not in expect):
            raise DatasetError(f"{where}: an expected tool needs its arguments")
        if expect["tool"] is None and "arguments" in expect and expect["arguments"]:
            raise DatasetError(f"{where}: arguments given but no tool expected")
        ends = expect["tool"] in BUILTINS or any(c["tool"] in BUILTINS for c in expect.get("also_ok") or [])
        later = turns[i + 1:]
        if expect["tool"] in BUILTINS and later:
            raise DatasetError(f"{where}: {expect['tool']} must be the dialogue's last turn")
        if ends and any(t["expect"]["tool"] not in (None, "end_call") or "fact" in t for t in later):
            raise DatasetError(f"{where}: an acceptable ending may only be followed by closing turns")
        fact = turn.get("fact")
        if fact is not None and fact["answerable"] != bool(fact.get("keywords")):
            raise DatasetError(f"{where}: an answerable fact needs keywords; an unanswerable one has none")
        if "result" in expect:
            results.append(json.dumps(expect["result"]))
    events = set(domain.events.values())
    for item in dialogue["outcome"]:
        if item["event"] not in events:
            raise DatasetError(f"{did}: outcome event {item['event']!r} is none of {sorted(events)}")


def _check_format(key: str, value: Any, where: str) -> None:
    if key == "date" and as_date(value) is None:
        raise DatasetError(f"{where}: {value!r} is not YYYY-MM-DD")
    if key == "time" and (as_time(value) is None or len(str(value)) != 5):
        raise DatasetError(f"{where}: {value!r} is not HH:MM")


def _check_call(call: Mapping[str, Any], domain: Domain, given: Mapping[str, Any], results: list[str],
                where: str) -> None:
    tool = call["tool"]
    if tool not in domain.tools:
        raise DatasetError(f"{where}: the domain has no tool {tool!r}")
    params = domain.params(tool)
    args = call.get("arguments") or {}
    props = params.get("properties") or {}
    missing = [k for k in params.get("required") or [] if k not in args]
    extra = [k for k in args if k not in props]
    if missing or extra:
        raise DatasetError(f"{where}: {tool} arguments missing {missing} / unknown {extra}")
    if tool == "transfer_call":
        if args["destination"] not in domain.destinations:
            raise DatasetError(f"{where}: transfer destination {args['destination']!r} is not configured")
        return
    for key, value in args.items():
        _check_format(key, value, where)
        if isinstance(value, Mapping):
            continue  # free text, judged by keywords
        from_caller = key in given and plain(given[key]) == plain(value)
        from_result = any(plain(value) in plain(r) for r in results)
        if not (from_caller or from_result):
            raise DatasetError(f"{where}: {tool}.{key}={value!r} was not given by the caller (gives) nor returned")


def expected_calls(turn: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every acceptable outcome of a turn: the expected one first, then `also_ok`; tool None = no tool."""
    expect = turn["expect"]
    first = {"tool": expect["tool"], "arguments": dict(expect.get("arguments") or {})}
    return [first, *[{"tool": c["tool"], "arguments": dict(c["arguments"])} for c in expect.get("also_ok") or []]]


def counts(dialogues: list[dict[str, Any]]) -> dict[str, Any]:
    """The set's shape: dialogues and turns per domain, the no-tool share, fact questions."""
    turns = [(d["domain"], t) for d in dialogues for t in d["turns"]]
    facts = [t["fact"] for _, t in turns if "fact" in t]
    per_domain: dict[str, dict[str, int]] = {}
    for d in dialogues:
        row = per_domain.setdefault(d["domain"], {"dialogues": 0, "turns": 0, "no_tool_turns": 0, "facts": 0})
        row["dialogues"] += 1
        row["turns"] += len(d["turns"])
        row["no_tool_turns"] += sum(t["expect"]["tool"] is None for t in d["turns"])
        row["facts"] += sum("fact" in t for t in d["turns"])
    no_tool = sum(t["expect"]["tool"] is None for _, t in turns)
    unanswerable = sum(not f["answerable"] for f in facts)
    return {
        "dialogues": len(dialogues), "turns": len(turns), "domains": len(per_domain),
        "no_tool_turns": no_tool, "no_tool_share": round(no_tool / max(1, len(turns)), 3),
        "tool_turns": len(turns) - no_tool, "fact_questions": len(facts), "unanswerable": unanswerable,
        "unanswerable_share": round(unanswerable / max(1, len(facts)), 3), "per_domain": per_domain,
    }
