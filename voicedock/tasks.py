"""Background tasks with one owner: a set that keeps them alive, and cancellation that waits.

asyncio keeps only weak references to tasks, so an owner holds each one until it finishes; an
owner that ends cancels what it still holds and waits for it, so nothing outlives its lifecycle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

log = logging.getLogger("voicedock")
T = TypeVar("T")


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait for it; its errors are its own, but our own cancellation propagates."""
    if task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception as err:
        log.debug("cancelled task ended with %r", err)


async def every(interval: float, step: Callable[[], Awaitable[Any]], what: str) -> None:
    """Run `step` now and then every `interval` seconds until cancelled; a failed pass is logged
    (as `what`) and the next one retries, so one bad pass never stops a background job."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; the next one retries", what)
        await asyncio.sleep(interval)


class TaskSet:
    """Tasks one owner started and must stop: `spawn` them, `aclose` cancels and awaits the rest."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(list(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)

    def cancel(self) -> None:
        """Cancel every task without waiting (for owners that cannot await)."""
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """Cancel every task (except the one calling) and wait until each has finished."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                await cancel_and_wait(task)
