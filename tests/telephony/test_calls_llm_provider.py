"""An assistant with `llm_config.provider: "openai"` on real calls through Asterisk: its replies come
from the OpenAI-compatible server named by its BYOK entry (a real one on loopback, which refuses
requests without that key), and a server that is down is heard as a short apology, call going on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from tests.openai_server import ChatServer, chat_server, prime
from voicedock.conversation.decide import system_prompt
from voicedock.conversation.turns import LLM_ERROR_APOLOGY
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines, load_llm
from voicedock.store import Database, records
from voicedock_ari.controller import CallController
from voicedock_bench.ports import free_port
from voicedock_cli.voice import byok_keys, providers_per_call

from .audio import dominant_hz, read_wav, tone
from .harness import ASSISTANT, start_live_call

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
LOCAL_REPLY = "This is the local model speaking."
SAID = ["Please tell me a short story about a cat.", "Tell me a joke."]
PROVIDER = {"provider": "openai", "model": "ci", "max_tokens": 16}


@pytest.fixture(scope="module")
def server(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    with chat_server(ci_models_dir, tmp_path_factory.mktemp("chat") / "server.log") as running:
        yield running


def provider_session(controller: CallController, store: Database, base_url: str, key: str) -> tuple[FakeLLM, FakeTTS]:
    """The server's wiring for per-assistant providers, with scripted ears and voice; the local LLM
    says something no remote model would, so a reply from it is recognised."""
    store.write_sync(lambda d: records.set_byok(d, controller.box, "openai", key, base_url))
    local, tts = FakeLLM(replies=[LOCAL_REPLY]), FakeTTS()
    controller.session_factory = voice_session_factory(
        fake_engines(stt=FakeSTT(SAID), llm=local, tts=tts),
        per_call=providers_per_call(byok_keys(store, controller.box)))
    return local, tts


def turns(count: int, gap_seconds: int) -> np.ndarray:
    """What the caller says (the scripted STT reads SAID from it), each utterance followed by a pause."""
    gap = np.zeros(8000 * gap_seconds, np.int16)
    return np.concatenate([np.zeros(8000, np.int16), *[np.concatenate([tone(440.0, 1.2), gap])] * count])


async def test_the_caller_hears_the_reply_of_the_configured_server(
    controller: CallController, store: Database, tmp_path: Path, server: ChatServer
) -> None:
    local, tts = provider_session(controller, store, server.base_url, server.api_key)
    now = datetime.now().astimezone()
    await asyncio.to_thread(prime, server, [{"role": "system", "content": system_prompt(
        ASSISTANT["system_prompt"], [], now, None)}, {"role": "user", "content": SAID[0]}])
    before = len(server.requests())
    async with start_live_call(controller, store, tmp_path, turns(1, 15), seconds=17, answered=False,
                               first_message_mode="assistant-waits-for-user", llm_config=PROVIDER) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 40)
        done = await placed.ended(20)

    served = server.requests()[before:]
    assert [line for line in served if " 200" in line], served  # it was asked, and it accepted the key
    said = [m["content"] for m in done["messages"] if m["role"] == "assistant"]
    assert len(said) == 1 and said[0].strip(), done["messages"]
    assert LOCAL_REPLY not in said and LLM_ERROR_APOLOGY not in said, said
    assert local.requests == [], "the local model was asked"
    assert " ".join(tts.spoken).split() == " ".join(said).split(), "what was spoken is not what was recorded"
    heard, rate = read_wav(placed.caller.heard_wav)  # type: ignore[arg-type]
    assert abs(dominant_hz(heard[int(abs(heard).argmax()):][: rate // 2], rate) - 440) < 20, "no reply was heard"


async def test_a_server_that_is_down_is_heard_as_an_apology_and_the_call_goes_on(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    local, tts = provider_session(controller, store, f"http://127.0.0.1:{free_port('tcp')}/v1", "sk-nobody-listens-1234")
    async with start_live_call(controller, store, tmp_path, turns(2, 5), seconds=16, answered=False,
                               first_message_mode="assistant-waits-for-user", llm_config=PROVIDER) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 40)
        done = await placed.ended(20)

    said = [m["content"] for m in done["messages"] if m["role"] == "assistant"]
    assert said == [LLM_ERROR_APOLOGY, LLM_ERROR_APOLOGY], done["messages"]  # both turns answered
    assert [m["content"] for m in done["messages"] if m["role"] == "user"] == SAID
    assert local.requests == [] and " ".join(tts.spoken) == f"{LLM_ERROR_APOLOGY} {LLM_ERROR_APOLOGY}"
    assert done["status"] == "ended" and done["ended_reason"] == "customer-ended-call", done["ended_reason"]


async def test_a_node_model_server_answers_the_local_assistants_calls(
    controller: CallController, store: Database, tmp_path: Path, server: ChatServer, ci_models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`VOICEDOCK_LLM_URL`: the profile's own LLM runs in a model server of its own, which the
    assistant with the default (local) provider is answered by, with no BYOK entry."""
    monkeypatch.setenv("VOICEDOCK_LLM_URL", server.base_url)
    monkeypatch.setenv("VOICEDOCK_LLM_KEY", server.api_key)
    tts = FakeTTS()
    controller.session_factory = voice_session_factory(
        fake_engines(stt=FakeSTT(SAID), llm=load_llm("ci", ci_models_dir), tts=tts))
    now = datetime.now().astimezone()
    await asyncio.to_thread(prime, server, [{"role": "system", "content": system_prompt(
        ASSISTANT["system_prompt"], [], now, None)}, {"role": "user", "content": SAID[0]}])
    before = len(server.requests())
    async with start_live_call(controller, store, tmp_path, turns(1, 15), seconds=17, answered=False,
                               first_message_mode="assistant-waits-for-user", llm_config={"max_tokens": 16}) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 40)
        done = await placed.ended(20)

    assert [line for line in server.requests()[before:] if " 200" in line], server.requests()[before:]
    said = [m["content"] for m in done["messages"] if m["role"] == "assistant"]
    assert len(said) == 1 and said[0].strip() and LLM_ERROR_APOLOGY not in said, done["messages"]
    assert " ".join(tts.spoken).split() == " ".join(said).split()
