"""Shared scripted engines for the conversation tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from voicedock.engines.base import EngineError, LLMChunk, Message, Tool
from voicedock.engines.fakes import FakeLLM
from voicedock.engines.loader import Engines, load_engines

INSTALLER = Path(__file__).resolve().parents[2] / "scripts" / "install-models"


@dataclass
class TrackingLLM(FakeLLM):
    """A FakeLLM that records how many tokens it produced and whether its stream was cut short."""

    produced: list[str] = field(default_factory=list)
    closed_early: int = 0

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]:
        finished = False
        try:
            async for chunk in super().stream(
                messages, tools, tool_choice=tool_choice, max_tokens=max_tokens, temperature=temperature
            ):
                if chunk.text:
                    self.produced.append(chunk.text)
                yield chunk
            finished = True
        finally:
            if not finished:
                self.closed_early += 1


def assistant(**fields: Any) -> dict[str, Any]:
    return {"system_prompt": "You book appointments for a dental clinic.", **fields}


@pytest.fixture(scope="session")
def ci_engines() -> Engines:
    """The `ci` profile's real engines, installed by the project's installer (a no-op once present)."""
    target = Path(os.environ.get("VOICEDOCK_TEST_MODELS_DIR") or Path(tempfile.gettempdir()) / "voicedock-test-models")
    try:
        return load_engines("ci", target)
    except EngineError:
        pass
    done = subprocess.run(
        [sys.executable, str(INSTALLER), "--profile", "ci", "--models-dir", str(target)], timeout=900, check=False
    )
    if done.returncode != 0:
        pytest.skip("the ci models could not be installed")
    return load_engines("ci", target)
