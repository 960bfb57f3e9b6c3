"""`VOICEDOCK_LLM_URL`: the profile's LLM served by a model server of its own (here llama-cpp-python's
OpenAI-compatible server with the ci model, on loopback, with an API key) instead of in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openai_server import ChatServer, chat_server
from voicedock.engines.base import EngineError
from voicedock.engines.llm_openai import OpenAILLM
from voicedock.engines.loader import load_engines, load_llm

pytestmark = pytest.mark.models
ASK = [{"role": "system", "content": "You are a friendly receptionist."}, {"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def server(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    with chat_server(ci_models_dir, tmp_path_factory.mktemp("chat") / "server.log") as running:
        yield running


@pytest.fixture
def without_llm_file(ci_models_dir: Path, tmp_path: Path) -> Path:
    """The ci models with every file but the LLM's: a node whose model runs elsewhere has none."""
    for entry in ci_models_dir.iterdir():
        if not entry.name.startswith("smollm2"):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


async def test_the_profiles_llm_is_the_servers_and_needs_no_model_file_here(
    server: ChatServer, without_llm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEDOCK_LLM_URL", server.base_url)
    monkeypatch.setenv("VOICEDOCK_LLM_KEY", server.api_key)
    # The end-of-turn words model always runs here; in the ci profile it is the LLM's own file, so
    # this node without that file goes without it.
    engines = load_engines("ci", without_llm_file, overrides={"turn": {"words": {}}})
    assert isinstance(engines.llm, OpenAILLM)
    assert engines.turn is not None and engines.turn.words is None
    before = len(server.requests())
    text = "".join([c.text async for c in engines.llm.stream(ASK, max_tokens=16)])
    assert text.strip()
    answer = await load_llm("ci", without_llm_file).complete_json(
        ASK, {"type": "object", "properties": {"greeting": {"type": "string"}}, "required": ["greeting"]},
        max_tokens=24)
    assert isinstance(answer["greeting"], str)
    assert len([line for line in server.requests()[before:] if " 200" in line]) >= 2  # both reached the server


async def test_a_wrong_key_for_the_server_is_an_engine_error(
    server: ChatServer, without_llm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEDOCK_LLM_URL", server.base_url)
    monkeypatch.setenv("VOICEDOCK_LLM_KEY", "sk-not-the-servers-key-000")
    llm = load_llm("ci", without_llm_file)
    with pytest.raises(EngineError):
        [c async for c in llm.stream(ASK, max_tokens=4)]


def test_without_the_setting_the_model_file_is_required(without_llm_file: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEDOCK_LLM_URL", raising=False)
    with pytest.raises(EngineError) as err:
        load_engines("ci", without_llm_file)
    assert err.value.code == "model_missing" and "smollm2" in str(err.value)


def test_health_names_the_server_without_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from voicedock.engines.loader import model_server_address

    monkeypatch.setenv("VOICEDOCK_LLM_URL", "http://ops:s3cret@10.0.0.7:8081/v1?token=abc")
    assert model_server_address() == "http://10.0.0.7:8081/v1"
    monkeypatch.delenv("VOICEDOCK_LLM_URL")
    assert model_server_address() is None


async def test_a_calls_head_and_history_are_evaluated_on_the_server_ahead_of_its_turns(
    server: ChatServer, without_llm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node's own server costs no one tokens: the call head is sent at call start and the
    history after each turn, so the slot that takes the next turn holds them already."""
    monkeypatch.setenv("VOICEDOCK_LLM_URL", server.base_url)
    monkeypatch.setenv("VOICEDOCK_LLM_KEY", server.api_key)
    llm = load_llm("ci", without_llm_file)
    before = len(server.requests())
    assert await llm.prefill(ASK[:1]) > 0
    assert await llm.warm([*ASK, {"role": "assistant", "content": "Hello!"}]) is True  # type: ignore[attr-defined]
    assert len([line for line in server.requests()[before:] if " 200" in line]) == 2
    monkeypatch.setenv("VOICEDOCK_LLM_KEY", "sk-not-the-servers-key-000")
    refused = load_llm("ci", without_llm_file)
    assert await refused.warm(ASK) is False  # type: ignore[attr-defined]  # a failed warm is no turn's error
