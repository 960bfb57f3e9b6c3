"""Editing an assistant in the dashboard: the API's schema, its PATCH handler, errors by the field."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient

from voicedock.schemas.assistants import AssistantCreate, stored_document
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records
from voicedock.store.documents import ASSISTANTS

from .conftest import csrf_of, sign_in_by_key


@pytest.fixture
async def assistant(db: Database, client: TestClient, sign_in_by_link: Callable[[], Awaitable[str]]) -> str:
    await sign_in_by_link()
    doc = AssistantCreate.model_validate({"name": "Front desk", "system_prompt": "Be brief."}).model_dump()
    db.write_sync(lambda d: ASSISTANTS.insert(d, "asst_front", stored_document(AssistantCreate.model_validate(doc))))
    return "asst_front"


async def form_page(client: TestClient, ident: str) -> str:
    resp = await client.get(f"/dashboard/assistants/{ident}")
    assert resp.status == 200
    return await resp.text()


async def test_the_form_has_a_labelled_control_for_each_schema_field(client: TestClient, assistant: str) -> None:
    text = await form_page(client, assistant)
    for name in ("name", "system_prompt", "max_duration_seconds", "gdpr_mode", "llm_config", "first_message_mode"):
        assert f'id="f-{name}"' in text and (f'for="f-{name}"' in text or f'<label class="check"><input type="checkbox" id="f-{name}"' in text), name
    assert 'name="webhook_secret"' not in text  # write-only: never shown
    assert "&#34;provider&#34;: &#34;local&#34;" in text  # nested settings as JSON


async def test_saving_sends_the_changes_through_the_api(client: TestClient, db: Database, assistant: str) -> None:
    status, _ = await post_one_change(client, assistant, name="Night desk", max_duration_seconds="600",
                                      first_message_mode="assistant-waits-for-user")
    assert status == 303
    saved = db.read_sync(lambda d: ASSISTANTS.get(d, assistant))
    assert saved["name"] == "Night desk" and saved["max_duration_seconds"] == 600
    assert saved["first_message_mode"] == "assistant-waits-for-user"
    assert "Saved." in await (await client.get(f"/dashboard/assistants/{assistant}?saved=1")).text()


class FormReader(HTMLParser):
    """What a browser would submit from a form: (name, value) pairs of its inputs, text areas and selects."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select = ""  # the open select's name
        self._field = ""  # the name the text being read belongs to (an open textarea, a selected option)
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and (a.get("type") != "checkbox" or "checked" in a):
            self.pairs.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self._select = a.get("name", "")
        elif tag == "option" and "selected" in a and "value" in a:
            self.pairs.append((self._select, a["value"]))
        elif tag in ("textarea", "option") and (tag == "textarea" or "selected" in a):
            self._field, self._text = a.get("name", self._select), ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("textarea", "option") and self._field:
            self.pairs.append((self._field, self._text))
            self._field = ""


async def post_one_change(client: TestClient, assistant: str, **change: str) -> tuple[int, str]:
    """Post the form as the browser shows it, with `change` typed over it."""
    reader = FormReader()
    reader.feed((await form_page(client, assistant)).split('class="edit"', 1)[1])
    data = [(k, v) for k, v in reader.pairs if k not in change] + list(change.items())
    resp = await client.post(f"/dashboard/assistants/{assistant}", data=data, allow_redirects=False)
    return resp.status, await resp.text()


async def test_a_bad_value_is_refused_next_to_its_field(client: TestClient, db: Database, assistant: str) -> None:
    status, text = await post_one_change(client, assistant, max_duration_seconds="5")
    assert status == 400
    error = re.search(r'<p class="error field-error" id="err-max_duration_seconds">([^<]+)</p>', text)
    assert error and "10" in error.group(1)
    assert 'value="5"' in text  # what was typed stays in the box
    assert db.read_sync(lambda d: ASSISTANTS.get(d, assistant))["max_duration_seconds"] == 300


async def test_nested_settings_are_checked_like_the_api(client: TestClient, assistant: str) -> None:
    status, text = await post_one_change(client, assistant, llm_config="{not json")
    assert status == 400 and 'id="err-llm_config">Not valid JSON' in text
    status, text = await post_one_change(client, assistant, llm_config='{"provider": "local", "temperature": 9}')
    assert status == 400 and 'id="err-llm_config"' in text


async def test_an_unchanged_form_saves_nothing(client: TestClient, db: Database, assistant: str) -> None:
    before = db.read_sync(lambda d: ASSISTANTS.get(d, assistant))
    status, text = await post_one_change(client, assistant)
    assert status == 303, re.findall(r'class="error[^"]*"[^>]*>([^<]*)<', text)
    assert db.read_sync(lambda d: ASSISTANTS.get(d, assistant))["updated_at"] == before["updated_at"]


async def test_a_read_only_session_sees_a_disabled_form(client: TestClient, db: Database, assistant: str) -> None:
    client.session.cookie_jar.clear()
    key = generate_api_key()
    db.write_sync(lambda d: records.create_api_key(d, "viewer", key, "read"))
    await sign_in_by_key(client, key)
    text = await form_page(client, assistant)
    assert "<fieldset disabled>" in text and ">Save</button>" not in text
    resp = await client.post(f"/dashboard/assistants/{assistant}", data={"csrf_token": csrf_of(text), "name": "X"})
    assert resp.status == 403


async def test_the_list_links_each_assistant(client: TestClient, assistant: str) -> None:
    text = await (await client.get("/dashboard/assistants")).text()
    assert f'<a href="/dashboard/assistants/{assistant}">Front desk</a>' in text and "1 assistant" in text


async def test_a_new_assistant_is_created_through_the_api(client: TestClient, db: Database, assistant: str) -> None:
    reader = FormReader()
    reader.feed((await (await client.get("/dashboard/assistants/new")).text()).split('class="edit"', 1)[1])
    typed = dict(reader.pairs)
    assert typed["name"] == "New assistant" and typed["max_duration_seconds"] == "300"
    data = [(k, v) for k, v in reader.pairs if k not in ("name", "system_prompt")]
    missing = await client.post("/dashboard/assistants/new", data=[*data, ("name", "Sales")])
    assert missing.status == 400 and 'id="err-system_prompt"' in await missing.text()

    created = await client.post("/dashboard/assistants/new",
                                data=[*data, ("name", "Sales"), ("system_prompt", "Sell politely.")])
    text = await created.text()
    assert created.status == 201 and "shown this once" in text
    secret = re.search(r'<code id="webhook-secret">([^<]+)</code>', text)
    docs = db.read_sync(lambda d: ASSISTANTS.page_json(d, 10, 0))[0]
    assert secret and len(docs) == 2 and secret.group(1) not in "".join(docs)  # stored encrypted only
    ident = re.search(r"<code>(asst_[0-9a-f]+)</code>", text).group(1)  # type: ignore[union-attr]
    saved = db.read_sync(lambda d: ASSISTANTS.get(d, ident))
    assert saved["name"] == "Sales" and saved["system_prompt"] == "Sell politely."
    assert saved["max_duration_seconds"] == 300 and saved["llm_config"]["provider"] == "local"
    again = await (await client.get(f"/dashboard/assistants/{ident}")).text()
    assert secret.group(1) not in again


async def test_delete_asks_first_and_refuses_while_a_number_uses_it(client: TestClient, db: Database,
                                                                    assistant: str) -> None:
    confirm = await (await client.get(f"/dashboard/assistants/{assistant}/delete")).text()
    assert "Delete Front desk?" in confirm
    assert db.read_sync(lambda d: ASSISTANTS.get(d, assistant))  # asking deletes nothing
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100", "assistant_id": assistant}))
    refused = await client.post(f"/dashboard/assistants/{assistant}/delete", data={"csrf_token": csrf_of(confirm)})
    assert refused.status == 409 and "+15550100" in await refused.text()
    number = db.read_sync(lambda d: records.number_by_phone(d, "+15550100"))
    db.write_sync(lambda d: records.delete_number(d, number["id"]))
    done = await client.post(f"/dashboard/assistants/{assistant}/delete", data={"csrf_token": csrf_of(confirm)},
                             allow_redirects=False)
    assert done.status == 303
    listing = await (await client.get(done.headers["Location"])).text()
    assert "Deleted." in listing and "Front desk" not in listing
