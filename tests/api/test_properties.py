"""Property-based tests: validators accept what the schema promises and nothing crashes on garbage."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.errors import ApiError
from api.ratelimit import RateLimiter
from api.spec import parse_json_object, validate
from voicedock.schemas.assistants import AssistantCreate
from voicedock.schemas.base import E164_PATTERN
from voicedock.schemas.telephony import NumberCreate

from .conftest import Api

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=4), max_leaves=20)
FIELDS = list(AssistantCreate.model_fields) + ["tools", "nope"]


@given(st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True))
def test_every_e164_number_is_accepted(number: str) -> None:
    assert validate(NumberCreate, {"phone_number": number}).phone_number == number  # type: ignore[attr-defined]


@given(st.text(max_size=20))
def test_a_number_is_accepted_exactly_when_it_is_e164(number: str) -> None:
    ok = re.fullmatch(E164_PATTERN.strip("^$"), number) is not None
    try:
        validate(NumberCreate, {"phone_number": number})
        accepted = True
    except ApiError as err:
        assert err.status == 400 and err.param == "phone_number"
        accepted = False
    assert accepted == ok


@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6))
def test_assistant_validation_either_passes_or_names_a_param(body: dict[str, Any]) -> None:
    try:
        validate(AssistantCreate, body)
    except ApiError as err:
        assert err.status == 400 and err.code == "invalid_request" and err.message
        assert err.param is None or err.param.split(".")[0] in FIELDS


@given(st.binary(max_size=200))
def test_parsing_any_bytes_gives_an_object_or_a_400(raw: bytes) -> None:
    try:
        assert isinstance(parse_json_object(raw), dict)
    except ApiError as err:
        assert err.status == 400


@given(st.lists(st.floats(min_value=0, max_value=300), min_size=1, max_size=50).map(sorted), st.integers(1, 10))
def test_rate_limiter_never_allows_more_than_the_limit_per_window(times: list[float], limit: int) -> None:
    now = [0.0]
    limiter = RateLimiter(limit, clock=lambda: now[0])
    allowed: list[float] = []
    for t in times:
        now[0] = t
        if limiter.hit("k").allowed:
            allowed.append(t)
    for t in allowed:
        assert sum(1 for u in allowed if t <= u < t + 60) <= limit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON)
async def test_no_body_ever_causes_a_server_error(api: Api, body: Any) -> None:
    for path in ("/assistants", "/numbers", "/sip-trunks", "/byok", "/tool-templates"):
        resp = await api.client.post("/api/v1" + path, data=json.dumps(body), headers=api.headers())
        assert resp.status < 500
        assert resp.content_type == "application/json"
