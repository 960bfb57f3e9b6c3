"""What a tool's value may come from (`Said`), and a value with where it came from (`Grounded`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Said:
    """One thing the call holds that a value may come from."""

    text: str
    source: str  # caller | tool_result | context
    turn: int | None = None  # the caller's turn number (1 = first), for caller text


@dataclass(frozen=True)
class Grounded:
    """An argument value and where it came from (kept on the call record with the tool call)."""

    value: Any
    source: str  # caller | resolver | tool_result | context | schema
    turn: int | None = None
    said: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.source}
        if self.turn is not None:
            out["turn"] = self.turn
        if self.said:
            out["said"] = self.said[:200]
        return out
