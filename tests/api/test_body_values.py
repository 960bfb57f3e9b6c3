"""A body is refused by how many values it holds before it is parsed, and a legitimate large assistant
is not: parsing costs per value, on the event loop that paces call audio."""

from __future__ import annotations

from typing import Any

import pytest

from api.spec import MAX_VALUES

from .conftest import Api, assert_error


def many_keys(keys: int) -> bytes:
    return ('{"system_prompt": "x", "metadata": {' + ",".join(f'"k{i}":1' for i in range(keys)) + "}}").encode()


def many_floats(floats: int) -> bytes:
    return ('{"system_prompt": "x", "metadata": {"f": [' + ",".join(["1.5"] * floats) + "]}}").encode()


def large_assistant(tools: int = 64) -> dict[str, Any]:
    """A long prompt, the most tools an assistant may have, each with a JSON schema, and metadata."""
    sentence = "When the caller asks about an order, confirm the number, the date: and the items, then reply. "
    schema = {"type": "object", "additionalProperties": False, "required": ["field_0"],
              "properties": {f"field_{p}": {"type": "string", "description": f"Field {p}, verbatim.",
                                            "enum": ["a", "b", "c", "d"]} for p in range(8)}}
    return {"system_prompt": (sentence * 250)[:20_000],
            "llm_config": {"tools": [{"type": "function", "name": f"tool_{t}", "description": f"Tool {t}: what it does.",
                                      "parameters": schema, "url": f"https://tools.example.com/t{t}"}
                                     for t in range(tools)]},
            "metadata": {f"crm_field_{m}": f"value, {m}: x" for m in range(200)}}


@pytest.mark.parametrize("raw", [many_keys(90_000), many_floats(260_000), many_keys(MAX_VALUES // 2 + 1),
                                 b'{"system_prompt": "x", "metadata": {"a": [' + b'"s"' * 50_000 + b"]}}"],
                         ids=["90k keys", "260k floats", "just over the bound", "strings with no separators"])
async def test_a_body_of_too_many_values_is_413_in_the_envelope(api: Api, raw: bytes) -> None:
    resp = await api.client.post("/api/v1/assistants", data=raw, headers=api.headers())
    body = await resp.json()
    assert_error(resp.status, body, 413, "payload_too_large", None)
    assert f"{MAX_VALUES:,} keys and values" in body["error"]["message"]


async def test_a_large_legitimate_assistant_is_created_whole(api: Api) -> None:
    sent = large_assistant()
    status, body, _ = await api.call("POST", "/assistants", sent)
    assert status == 201, body
    status, body, _ = await api.call("GET", f"/assistants/{body['assistant']['id']}")
    assert status == 200
    assert body["assistant"]["system_prompt"] == sent["system_prompt"]
    assert body["assistant"]["llm_config"]["tools"][63]["parameters"] == sent["llm_config"]["tools"][63]["parameters"]
    assert body["assistant"]["metadata"] == sent["metadata"]


async def test_floats_are_kept_and_one_too_long_for_a_float_is_still_400(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "metadata": {"f": [1.5, -0.25]}})
    assert status == 201 and body["assistant"]["metadata"] == {"f": [1.5, -0.25]}
    raw = b'{"system_prompt": "x", "metadata": {"f": ' + b"9" * 400 + b".5}}"
    resp = await api.client.post("/api/v1/assistants", data=raw, headers=api.headers())
    assert_error(resp.status, await resp.json(), 400, "invalid_json")


async def test_a_broken_tool_schema_is_still_422_with_the_reason(api: Api) -> None:
    body = {"system_prompt": "x", "tools": [{"type": "function", "name": "f",
                                              "parameters": {"type": "object", "properties": {"a": {"minLength": -1}}}}]}
    status, reply, _ = await api.call("POST", "/assistants", body)
    assert_error(status, reply, 422, "invalid_json_schema", "tools.0.parameters")
    assert "-1" in reply["error"]["message"]
