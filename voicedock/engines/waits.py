"""How long requests wait for an engine before it starts on them, by stage.

With several calls on one node the shared engines are where turns queue: one `Llama` runs one
generation at a time, one Whisper model one utterance. Each engine reports the wait of every
request here; the server passes them on to `/metrics` (`voicedock_engine_wait_seconds{stage}`),
so an operator sees which stage concurrent calls wait for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("voicedock.engines")

Listener = Callable[[str, float], None]


class Waits:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Receive every (stage, seconds); returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def observe(self, stage: str, seconds: float) -> None:
        for listener in list(self._listeners):
            try:
                listener(stage, max(0.0, seconds))
            except Exception:  # a broken listener must never fail a turn
                log.warning("engine wait listener failed", exc_info=True)


WAITS = Waits()  # one per process, as the engines are
