"""Calls left live that no telephony server can ever pick up again: closed when a server starts.

A call the store shows as live is recovered by the first server that connects to ARI
(docs/telephony.md), so a server without telephony (`--no-telephony`, ARI unreachable) leaves it
for that server. But on a host where no Asterisk is configured at all (the installer's secrets
file is missing: the data directory was restored onto another machine, or Asterisk was removed),
no server on this data directory can reach the Asterisk those calls were on, and they would look
live forever. Such a start closes them as a restart would close a call whose channel is gone.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path

from voicedock.config import Settings
from voicedock.store import Database, lost_calls
from voicedock.webhooks import DeliveryWorker
from voicedock_ari.settings import SECRETS_RELATIVE

log = logging.getLogger("voicedock.calls")


def asterisk_configured(root: Path) -> bool:
    """Whether this host has an Asterisk for VoiceDock; one whose file this user cannot read counts."""
    try:
        os.stat(root / SECRETS_RELATIVE)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True  # there, but not ours to read: a server run as the right user may recover the calls
    return True


async def close_unreachable(db: Database, settings: Settings, worker: DeliveryWorker) -> int:
    """End every live call `ended`/`service-restarted` at its last activity; how many there were."""
    lost = await db.read(partial(lost_calls.live_calls, node=settings.node_id))
    for call in lost:
        await db.write(partial(lost_calls.close, lost=call, price_per_minute=settings.price_per_minute))
        log.warning("call closed: no Asterisk is configured to recover it",
                    extra={"call_id": call.record.call_id, "ended_reason": lost_calls.SERVICE_RESTARTED})
    if lost:
        worker.poke()
    return len(lost)
