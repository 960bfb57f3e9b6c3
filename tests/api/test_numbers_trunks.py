"""Phone numbers (E.164, unique) and SIP trunks (write-only password)."""

from __future__ import annotations

import pytest

from .conftest import Api, assert_error
from .fakes import FakeTelephony


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends


async def assistant(api: Api) -> str:
    _, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    return body["assistant"]["id"]


async def test_number_lifecycle(api: Api) -> None:
    asst = await assistant(api)
    status, body, _ = await api.call("POST", "/numbers", {"phone_number": "+15550100", "name": "Main",
                                                          "assistant_id": asst})
    assert status == 201
    number = body["number"]
    assert set(number) == {"id", "phone_number", "name", "assistant_id", "sip_trunk_id", "created_at", "updated_at"}
    status, body, _ = await api.call("PATCH", f"/numbers/{number['id']}", {"name": "Support"})
    assert status == 200 and body["number"]["name"] == "Support" and body["number"]["assistant_id"] == asst
    status, body, _ = await api.call("GET", "/numbers")
    assert [n["phone_number"] for n in body["numbers"]] == ["+15550100"]
    status, _, _ = await api.call("DELETE", f"/numbers/{number['id']}")
    assert status == 200
    status, body, _ = await api.call("GET", f"/numbers/{number['id']}")
    assert_error(status, body, 404)


async def test_duplicate_number_is_409(api: Api) -> None:
    asst = await assistant(api)
    status, _, _ = await api.call("POST", "/numbers", {"number": "+31201234567", "assistant_id": asst})
    assert status == 201
    status, body, _ = await api.call("POST", "/numbers", {"phone_number": "+31201234567", "assistant_id": asst})
    assert_error(status, body, 409, "conflict", "phone_number")


async def test_numbers_must_be_e164(api: Api) -> None:
    for bad in ("0201234567", "+0123", "+31 20 123 4567", "31201234567", "+1234567890123456"):
        status, body, _ = await api.call("POST", "/numbers", {"phone_number": bad})
        assert_error(status, body, 400, "invalid_request", "phone_number")


async def test_unknown_assistant_or_trunk_is_422_naming_the_field(api: Api) -> None:
    status, body, _ = await api.call("POST", "/numbers", {"phone_number": "+15550101", "assistant_id": "asst_x"})
    assert_error(status, body, 422, "invalid_reference", "assistant_id")
    status, body, _ = await api.call("POST", "/numbers", {"phone_number": "+15550101", "sip_trunk_id": "trunk_x"})
    assert_error(status, body, 422, "invalid_reference", "sip_trunk_id")


async def test_trunk_password_is_write_only_and_encrypted(api: Api, db: object) -> None:
    body = {"name": "Carrier", "host": "sip.example.net", "username": "acme", "password": "s3cretPassw0rd",
            "register": True}
    status, created, _ = await api.call("POST", "/sip-trunks", body)
    assert status == 201, created
    trunk = created["sip_trunk"]
    assert trunk["port"] == 5060 and trunk["transport"] == "udp" and trunk["codecs"] == ["ulaw"]
    assert trunk["register"] is True and trunk["password_set"] is True
    assert "password" not in trunk and "s3cretPassw0rd" not in str(created)
    _, listing, _ = await api.call("GET", "/sip-trunks")
    assert "s3cretPassw0rd" not in str(listing)
    stored = db.read_sync(lambda d: str(list(d.query("SELECT * FROM sip_trunks"))))  # type: ignore[attr-defined]
    assert "s3cretPassw0rd" not in stored
    status, patched, _ = await api.call("PATCH", f"/sip-trunks/{trunk['id']}", {"port": 5080, "password": None})
    assert status == 200 and patched["sip_trunk"]["port"] == 5080 and patched["sip_trunk"]["password_set"] is False
    status, err, _ = await api.call("PATCH", f"/sip-trunks/{trunk['id']}", {"host": None})
    assert_error(status, err, 400, "invalid_request", "host")


async def test_trunk_in_use_cannot_be_deleted(api: Api) -> None:
    _, created, _ = await api.call("POST", "/sip-trunks", {"name": "T", "host": "10.0.0.1"})
    trunk_id = created["sip_trunk"]["id"]
    await api.call("POST", "/numbers", {"phone_number": "+15550102", "sip_trunk_id": trunk_id})
    status, body, _ = await api.call("DELETE", f"/sip-trunks/{trunk_id}")
    assert_error(status, body, 409, "conflict")


async def test_changes_reach_telephony(make_client: object, api_key: str, db: object) -> None:
    telephony = FakeTelephony(db)  # type: ignore[arg-type]
    api = Api(await make_client(telephony_service=telephony), api_key)  # type: ignore[operator]
    _, trunk, _ = await api.call("POST", "/sip-trunks", {"name": "T", "host": "sip.example.net"})
    _, number, _ = await api.call("POST", "/numbers", {"phone_number": "+15550103",
                                                        "sip_trunk_id": trunk["sip_trunk"]["id"]})
    await api.call("DELETE", f"/numbers/{number['number']['id']}")
    assert telephony.config_changes == 3
