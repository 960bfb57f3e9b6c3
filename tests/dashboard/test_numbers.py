"""Numbers and SIP trunks in the dashboard: listed, created, edited and deleted through the API's own
handlers, with refusals next to their field, and never a trunk's password on a page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.api.fakes import FakeTelephony
from voicedock.config import Settings
from voicedock.secrets import SecretBox, generate_api_key
from voicedock.store import Database, records

from . import seed
from .conftest import csrf_of, sign_in_by_key
from .test_assistants import FormReader

PASSWORD = "hunter2-very-secret"


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[TestClient]], telephony: FakeTelephony) -> TestClient:
    return await make_client(telephony_service=telephony)


@pytest.fixture
async def admin(client: TestClient, sign_in_by_link: Callable[[], Awaitable[str]]) -> TestClient:
    await sign_in_by_link()
    return client


def add_trunk(db: Database, settings: Settings, name: str = "Carrier A") -> dict[str, Any]:
    box = SecretBox(settings.secret_key_path)
    return db.write_sync(lambda d: records.create_trunk(d, box, {
        "name": name, "host": "sip.carrier.example", "port": 5061, "transport": "tls", "codecs": ["ulaw"],
        "username": "acct42", "password": PASSWORD, "register": True}))


def stored_password(db: Database, settings: Settings, ident: str) -> str | None:
    row = db.read_sync(lambda d: records.trunk_row(d, ident))
    return SecretBox(settings.secret_key_path).decrypt(row["password_enc"]) if row["password_enc"] else None


def number(db: Database, phone: str) -> dict[str, Any] | None:
    return db.read_sync(lambda d: records.number_by_phone(d, phone))


async def fill(client: TestClient, path: str, **typed: str | list[str]) -> tuple[int, str]:
    """Post the form at `path` as a browser shows it, with `typed` typed over it (a list: the boxes ticked)."""
    page = await client.get(path)
    assert page.status == 200
    reader = FormReader()
    reader.feed((await page.text()).split('class="edit"', 1)[1])
    data = [(k, v) for k, v in reader.pairs if k not in typed]
    for k, v in typed.items():
        data += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    resp = await client.post(path, data=data, allow_redirects=False)
    return resp.status, await resp.text()


def field_error(text: str, name: str) -> str:
    found = re.search(rf'<p class="error field-error" id="err-{name}">([^<]+)</p>', text)
    assert found, f"no error next to {name}: " + " | ".join(re.findall(r'class="error[^"]*"[^>]*>([^<]*)<', text))
    return found.group(1)


async def test_the_list_shows_numbers_with_their_assistant_and_trunk_and_hides_the_password(
        admin: TestClient, db: Database, settings: Settings) -> None:
    assistant = seed.seed_assistant(db, "Front desk")
    trunk = add_trunk(db, settings)
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100", "assistant_id": assistant,
                                                      "sip_trunk_id": trunk["id"]}))
    text = await (await admin.get("/dashboard/numbers")).text()
    assert f'<a href="/dashboard/assistants/{assistant}">Front desk</a>' in text
    assert f'<a href="/dashboard/trunks/{trunk["id"]}">Carrier A</a>' in text
    assert "sip.carrier.example:5061" in text and "acct42" in text and ">set<" in text and PASSWORD not in text


async def test_the_test_call_hint_shows_the_sip_port_telephony_uses(admin: TestClient, db: Database) -> None:
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100"}))
    text = await (await admin.get("/dashboard/numbers")).text()
    assert '<code class="sip-uri">sip:+15550100@127.0.0.1:5070</code>' in text  # the fake's port, not 5060


async def test_without_telephony_the_hint_stays_general(make_client: Callable[..., Awaitable[TestClient]],
                                                        db: Database, settings: Settings) -> None:
    client = await make_client()
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100"}))
    from .conftest import login_link
    await client.get(login_link(db))
    text = await (await client.get("/dashboard/numbers")).text()
    assert "sip:NUMBER@127.0.0.1:5060" in text and "sip-uri" not in text


async def test_a_number_is_created_through_the_api_with_its_assistant_picked_by_name(
        admin: TestClient, db: Database, settings: Settings, telephony: FakeTelephony) -> None:
    assistant = seed.seed_assistant(db, "Front desk")
    trunk = add_trunk(db, settings)
    form = await (await admin.get("/dashboard/numbers/new")).text()
    assert f'<option value="{assistant}">Front desk</option>' in form
    assert 'placeholder="+31201234567"' in form  # the schema's example
    status, text = await fill(admin, "/dashboard/numbers/new", phone_number="+15550123", name="Sales line",
                              assistant_id=assistant, sip_trunk_id=trunk["id"])
    assert status == 303, text
    row = number(db, "+15550123")
    assert row and row["name"] == "Sales line" and row["assistant_id"] == assistant
    assert row["sip_trunk_id"] == trunk["id"]
    assert telephony.config_changes == 1  # pushed to Asterisk, as the API's handler does
    listing = await (await admin.get("/dashboard/numbers?saved=1")).text()
    assert "Saved." in listing and f'<a href="/dashboard/numbers/{row["id"]}">+15550123</a>' in listing


async def test_a_malformed_or_taken_number_is_refused_next_to_its_field(admin: TestClient, db: Database) -> None:
    status, text = await fill(admin, "/dashboard/numbers/new", phone_number="555-0100", name="Typo")
    assert status == 400 and "phone_number" in field_error(text, "phone_number")
    assert 'value="555-0100"' in text and 'value="Typo"' in text  # what was typed stays
    assert db.read_sync(lambda d: records.list_numbers(d, 10, 0))[1] == 0
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100"}))
    status, text = await fill(admin, "/dashboard/numbers/new", phone_number="+15550100")
    assert status == 409 and "already registered" in field_error(text, "phone_number")


async def test_a_number_is_edited_and_deleted_after_asking(admin: TestClient, db: Database,
                                                           telephony: FakeTelephony) -> None:
    assistant = seed.seed_assistant(db, "Night desk")
    ident = db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100", "name": "Old"}))["id"]
    form = await (await admin.get(f"/dashboard/numbers/{ident}")).text()
    assert 'name="phone_number"' not in form  # PATCH cannot change the number itself
    status, text = await fill(admin, f"/dashboard/numbers/{ident}", name="New", assistant_id=assistant)
    assert status == 303, text
    row = number(db, "+15550100")
    assert row and row["name"] == "New" and row["assistant_id"] == assistant
    status, text = await fill(admin, f"/dashboard/numbers/{ident}", name="x" * 201)
    assert status == 400 and "200" in field_error(text, "name")
    status, text = await fill(admin, f"/dashboard/numbers/{ident}", assistant_id="")  # no assistant
    assert status == 303 and number(db, "+15550100")["assistant_id"] is None  # type: ignore[index]

    confirm = await (await admin.get(f"/dashboard/numbers/{ident}/delete")).text()
    assert "Delete +15550100?" in confirm and number(db, "+15550100")  # asking deletes nothing
    done = await admin.post(f"/dashboard/numbers/{ident}/delete", data={"csrf_token": csrf_of(confirm)},
                            allow_redirects=False)
    assert done.status == 303 and number(db, "+15550100") is None
    listing = await (await admin.get(done.headers["Location"])).text()
    assert "Deleted." in listing and "+15550100" not in listing
    assert telephony.config_changes == 3  # two saves and the delete; the refused save pushed nothing


async def test_a_post_without_the_csrf_token_changes_nothing(admin: TestClient, db: Database,
                                                             settings: Settings) -> None:
    ident = db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100"}))["id"]
    trunk = add_trunk(db, settings)
    for path, data in [("/dashboard/numbers/new", {"phone_number": "+15550123"}),
                       (f"/dashboard/numbers/{ident}", {"name": "Hijacked"}),
                       (f"/dashboard/numbers/{ident}/delete", {}),
                       (f"/dashboard/trunks/{trunk['id']}", {"name": "Hijacked", "host": "evil.example"}),
                       (f"/dashboard/trunks/{trunk['id']}/delete", {})]:
        resp = await admin.post(path, data={**data, "csrf_token": "forged"})
        assert resp.status == 403, path
    assert number(db, "+15550123") is None and number(db, "+15550100")["name"] is None  # type: ignore[index]
    assert db.read_sync(lambda d: records.trunk_row(d, trunk["id"]))["name"] == "Carrier A"


async def test_a_read_only_session_may_look_not_change(client: TestClient, db: Database, settings: Settings) -> None:
    ident = db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100"}))["id"]
    trunk = add_trunk(db, settings)
    key = generate_api_key()
    db.write_sync(lambda d: records.create_api_key(d, "viewer", key, "read"))
    await sign_in_by_key(client, key)
    listing = await (await client.get("/dashboard/numbers")).text()
    assert "New number" not in listing and "New SIP trunk" not in listing
    form = await (await client.get(f"/dashboard/numbers/{ident}")).text()
    assert "<fieldset disabled>" in form and ">Save</button>" not in form and "Delete…" not in form
    token = csrf_of(form)
    for path, data in [("/dashboard/numbers/new", {"phone_number": "+15550123"}),
                       (f"/dashboard/numbers/{ident}", {"name": "Changed"}),
                       (f"/dashboard/numbers/{ident}/delete", {}),
                       ("/dashboard/trunks/new", {"name": "T", "host": "h.example", "codecs": "ulaw"}),
                       (f"/dashboard/trunks/{trunk['id']}/delete", {})]:
        resp = await client.post(path, data={**data, "csrf_token": token})
        assert resp.status == 403 and "read-only" in await resp.text(), path
    assert number(db, "+15550123") is None and number(db, "+15550100")["name"] is None  # type: ignore[index]
    assert db.read_sync(lambda d: records.list_trunks(d, 10, 0))[1] == 1


async def test_a_trunk_is_created_and_its_password_never_shown(admin: TestClient, db: Database,
                                                               settings: Settings) -> None:
    form = await (await admin.get("/dashboard/trunks/new")).text()
    assert 'type="password"' in form and 'value="5060"' in form  # the schema's default port
    status, text = await fill(admin, "/dashboard/trunks/new", name="Carrier B", host="sip.b.example", port="99999",
                              password=PASSWORD)
    assert status == 400 and "65535" in field_error(text, "port") and PASSWORD not in text
    status, text = await fill(admin, "/dashboard/trunks/new", name="Carrier B", host="sip.b.example",
                              transport="tcp", username="acct7", password=PASSWORD, codecs=["alaw", "g722"],
                              register="on")
    assert status == 303, text
    (row,), _ = db.read_sync(lambda d: records.list_trunks(d, 10, 0))
    trunk = records.trunk_out(row)
    assert (trunk["name"], trunk["host"], trunk["transport"], trunk["codecs"], trunk["register"]) == (
        "Carrier B", "sip.b.example", "tcp", ["alaw", "g722"], True)
    assert stored_password(db, settings, row["id"]) == PASSWORD
    for path in ("/dashboard/numbers", f"/dashboard/trunks/{row['id']}", f"/dashboard/trunks/{row['id']}/delete"):
        assert PASSWORD not in await (await admin.get(path)).text(), path


async def test_editing_a_trunk_keeps_the_password_left_empty(admin: TestClient, db: Database,
                                                             settings: Settings) -> None:
    trunk = add_trunk(db, settings)
    path = f"/dashboard/trunks/{trunk['id']}"
    form = await (await admin.get(path)).text()
    assert PASSWORD not in form and "A password is stored" in form
    status, text = await fill(admin, path, host="sip2.carrier.example")
    assert status == 303, text
    assert db.read_sync(lambda d: records.trunk_out(records.trunk_row(d, trunk["id"])))["host"] == "sip2.carrier.example"
    assert stored_password(db, settings, trunk["id"]) == PASSWORD
    status, text = await fill(admin, path, host="bad host!", password="new-secret-2")
    assert status == 400 and "host" in field_error(text, "host") and "new-secret-2" not in text
    assert stored_password(db, settings, trunk["id"]) == PASSWORD
    status, _ = await fill(admin, path, password="new-secret-2")
    assert status == 303 and stored_password(db, settings, trunk["id"]) == "new-secret-2"


async def test_a_trunk_in_use_is_not_deleted(admin: TestClient, db: Database, settings: Settings) -> None:
    trunk = add_trunk(db, settings)
    ident = db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100",
                                                              "sip_trunk_id": trunk["id"]}))["id"]
    confirm = await (await admin.get(f"/dashboard/trunks/{trunk['id']}/delete")).text()
    assert "Delete Carrier A?" in confirm
    refused = await admin.post(f"/dashboard/trunks/{trunk['id']}/delete", data={"csrf_token": csrf_of(confirm)})
    assert refused.status == 409 and "+15550100" in await refused.text()
    db.write_sync(lambda d: records.delete_number(d, ident))
    done = await admin.post(f"/dashboard/trunks/{trunk['id']}/delete", data={"csrf_token": csrf_of(confirm)},
                            allow_redirects=False)
    assert done.status == 303
    assert db.read_sync(lambda d: records.list_trunks(d, 10, 0))[1] == 0
