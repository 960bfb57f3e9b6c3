"""Music on hold for a caller waiting for a free line: Asterisk's res_musiconhold on the channel,
with the loop `scripts/install-asterisk` renders (`VOICEDOCK_CALL_QUEUE`)."""

from __future__ import annotations

import asyncio
import logging

from .ari.client import AriClient

log = logging.getLogger("voicedock.calls")


async def hold_music(ari: AriClient, channel_id: str, call_id: str, *, on: bool) -> bool:
    """Start or stop the music; False when Asterisk refused, which leaves the caller in silence."""
    try:
        await ari.request("POST" if on else "DELETE", f"/channels/{channel_id}/moh")
        return True
    except asyncio.CancelledError:
        raise
    except Exception:  # stopping it for a caller who hung up fails too: that is no news
        log.log(logging.WARNING if on else logging.DEBUG, "music on hold failed",
                extra={"call_id": call_id, "on": on}, exc_info=True)
        return False
