"""Every failure answers in the documented envelope, never a stack trace or an HTML page."""

from __future__ import annotations

import pytest

from .conftest import Api, assert_error


async def test_unknown_route_is_404_envelope(api: Api) -> None:
    for path in ("/api/v1/nope", "/nope", "/api/v2/assistants"):
        resp = await api.client.get(path, headers=api.headers())
        assert resp.content_type == "application/json"
        assert_error(resp.status, await resp.json(), 404, "not_found")


async def test_wrong_method_is_405_with_allow(api: Api) -> None:
    resp = await api.client.put("/api/v1/assistants", headers=api.headers(), json={})
    assert_error(resp.status, await resp.json(), 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"] and "GET" in resp.headers["Allow"]


@pytest.mark.parametrize("raw", ['{"system_prompt": "x"', "not json", "\xff\xfe", '{"a": NaN',
                                 '{"system_prompt": "x", "metadata": {"a": NaN}}',
                                 '{"system_prompt": "x", "metadata": {"a": Infinity}}',
                                 '{"system_prompt": "x", "metadata": {"a": 1e400}}'])
async def test_malformed_json_is_400(api: Api, raw: str) -> None:
    resp = await api.client.post("/api/v1/assistants", data=raw.encode("latin-1"), headers=api.headers())
    body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] in ("invalid_json", "invalid_request")


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", ""])
async def test_body_must_be_an_object(api: Api, raw: str) -> None:
    resp = await api.client.post("/api/v1/assistants", data=raw, headers=api.headers())
    assert_error(resp.status, await resp.json(), 400, "invalid_request")


async def test_unknown_field_names_the_param(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "colour": "blue"})
    assert_error(status, body, 400, "invalid_request", "colour")
    assert "colour" in body["error"]["message"]


async def test_wrongly_typed_field_names_the_param(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "max_duration_seconds": "600"})
    assert_error(status, body, 400, "invalid_request", "max_duration_seconds")
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "is_active": "yes"})
    assert_error(status, body, 400, "invalid_request", "is_active")


async def test_nested_errors_name_the_path(api: Api) -> None:
    bad_tool = {"type": "function", "name": "has spaces"}
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "llm_config": {"tools": [bad_tool]}})
    assert_error(status, body, 400, "invalid_request", "llm_config.tools.0.name")
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "tools": [{"type": "teleport"}]})
    assert_error(status, body, 400, "invalid_request", "tools.0.type")
    schema_plan = {"structured_data_plan": {"enabled": True, "schema": {"type": "no-such-type"}}}
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "analysis_plan": schema_plan})
    assert_error(status, body, 422, "invalid_json_schema", "analysis_plan.structured_data_plan.schema")


async def test_unknown_query_parameter_is_400(api: Api) -> None:
    status, body, _ = await api.call("GET", "/assistants?colour=blue")
    assert_error(status, body, 400, "invalid_request", "colour")
    status, body, _ = await api.call("GET", "/assistants?limit=lots")
    assert_error(status, body, 400, "invalid_request", "limit")
    status, body, _ = await api.call("GET", "/account?x=1")
    assert_error(status, body, 400, "invalid_request", "x")


async def test_body_over_one_mib_is_413(api: Api) -> None:
    big = '{"system_prompt": "' + "a" * (1024 * 1024) + '"}'
    resp = await api.client.post("/api/v1/assistants", data=big, headers=api.headers())
    assert_error(resp.status, await resp.json(), 413, "payload_too_large")


async def test_not_found_resources_use_the_envelope(api: Api) -> None:
    for path in ("/assistants/asst_missing", "/numbers/num_missing", "/sip-trunks/trunk_missing",
                 "/calls/call_missing", "/tool-templates/x", "/analysis-templates/x"):
        status, body, _ = await api.call("GET", path)
        assert_error(status, body, 404, "resource_not_found")


@pytest.mark.parametrize("raw", ["[" * 100_000, '{"system_prompt": "x", "metadata": {"a": ' + '{"b": ' * 990 + "1" + "}" * 991 + "}",
                                 '{"system_prompt": "x", "metadata": ' + '{"b": ' * 40 + "1" + "}" * 41])
async def test_deeply_nested_bodies_are_400_not_500(api: Api, raw: str) -> None:
    resp = await api.client.post("/api/v1/assistants", data=raw, headers=api.headers())
    assert_error(resp.status, await resp.json(), 400, "invalid_request")
    assert "nested" in (await resp.json())["error"]["message"]


async def test_a_tool_schema_that_is_not_a_json_schema_is_422_naming_the_field(api: Api) -> None:
    body = {"system_prompt": "x", "tools": [{"type": "function", "name": "f", "parameters": {"type": 5}}]}
    status, reply, _ = await api.call("POST", "/assistants", body)
    assert status == 422
    assert reply["error"]["code"] == "invalid_json_schema"
    assert reply["error"]["param"] == "tools.0.parameters"


async def test_an_unknown_time_zone_is_422_and_a_known_one_is_kept(api: Api) -> None:
    status, reply, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "timezone": "Mars/Olympus"})
    assert status == 422 and reply["error"]["code"] == "unknown_timezone" and reply["error"]["param"] == "timezone"
    status, reply, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "timezone": "Europe/Amsterdam"})
    assert status == 201 and reply["assistant"]["timezone"] == "Europe/Amsterdam"
