"""Control commands for a call another node carries: sent on to that node, and its answer relayed.

Each node's heartbeat row names its API (`VOICEDOCK_NODE_URL`). A node that gets a command for a call
whose record names another node posts it there with a short timeout, with the caller's `Authorization`
header, and answers with the owner's status and JSON. Plain HTTP between nodes, no LISTEN/NOTIFY, so it
works behind PgBouncer's transaction pooling. The request says `X-VoiceDock-Forwarded: <this node>` and
is never sent on again, so two nodes that disagree about a call cannot pass it back and forth. It is also
signed with the nodes' shared `secret.key`; the signature stands in for an API key where there is none
(a dashboard session's command), on the control route only.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from voicedock.schemas.calls import ControlRequest
from voicedock.secrets import SecretBox
from voicedock.store.nodes import UP, find_node

from .auth import Grant
from .context import BOX, SETTINGS, read, reply
from .errors import ApiError
from .spec import read_body

log = logging.getLogger("voicedock.api")

FORWARDED = "X-VoiceDock-Forwarded"  # the node that sent the request on
SIGNATURE = "X-VoiceDock-Signature"  # t=<unix seconds>,sha256=<hex HMAC of the signed text>
CONNECT_SECONDS = 2.0
TOTAL_SECONDS = 10.0  # a session takes a command at once; end-call and transfer return once accepted
SIGNATURE_MAX_AGE = 60  # seconds either way: the nodes' clocks are kept in step already (NTP)


def _signed_text(method: str, path: str, node: str, timestamp: int, body: bytes) -> bytes:
    return b"\n".join([method.encode(), path.encode(), node.encode(), str(timestamp).encode(), body])


def sign(box: SecretBox, method: str, path: str, node: str, body: bytes, now: float) -> str:
    timestamp = int(now)
    return f"t={timestamp},sha256={box.sign(_signed_text(method, path, node, timestamp, body))}"


def verify(box: SecretBox, header: str, method: str, path: str, node: str, body: bytes, now: float) -> bool:
    """Whether `header` is a fresh signature of this request by a node holding the same key."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > SIGNATURE_MAX_AGE:
        return False
    expected = box.sign(_signed_text(method, path, node, timestamp, body))
    return hmac.compare_digest(expected, fields.get("sha256", ""))


async def node_grant(request: web.Request) -> Grant | None:
    """The grant of a request another node sent on without an API key (a dashboard's command), when its
    signature holds; None otherwise, and the API key is asked for as usual."""
    node = request.headers.get(FORWARDED)
    header = request.headers.get(SIGNATURE)
    if "Authorization" in request.headers or not node or not header:
        return None
    body = await read_body(request)
    if not verify(request.app[BOX], header, request.method, request.path, node, body, time.time()):
        return None
    return Grant(key_id=f"node:{node}", read_only=False)


async def to_owner(request: web.Request, call_id: str, owner: str, command: ControlRequest) -> web.Response:
    """Send `command` to the node `owner` that carries the call, and answer as it answered."""
    if request.headers.get(FORWARDED):
        raise ApiError(409, "call_not_live", f"Call {call_id} is carried by node {owner}, not by this one")
    node = await read(request, lambda d: find_node(d, owner))
    if node is None or node.status != UP or not node.url:
        state = "unknown" if node is None else node.status if node.status != UP else "not reachable by address"
        raise ApiError(409, "call_not_live",
                       f"Call {call_id} is carried by node {owner}, which is {state}; it takes no commands")
    path = f"/api/v1/calls/{quote(call_id, safe='')}/control"
    body = command.model_dump_json(by_alias=True).encode()
    here = request.app[SETTINGS].node_id
    headers = {"Content-Type": "application/json", FORWARDED: here,
               SIGNATURE: sign(request.app[BOX], "POST", path, here, body, time.time())}
    if "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    status, answer, retry_after = await _post(node.url + path, body, headers, call_id, owner)
    return _relay(status, answer, retry_after, call_id, owner)


async def _post(url: str, body: bytes, headers: dict[str, str], call_id: str,
                owner: str) -> tuple[int, Any, str | None]:
    timeout = aiohttp.ClientTimeout(total=TOTAL_SECONDS, sock_connect=CONNECT_SECONDS)
    try:
        async with (aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(url, data=body, headers=headers, allow_redirects=False) as resp):
            return resp.status, await resp.json(content_type=None), resp.headers.get("Retry-After")
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        log.warning("control command could not reach the call's node",
                    extra={"call_id": call_id, "node": owner, "error": type(err).__name__})
        raise ApiError(503, "node_unreachable",
                       f"Call {call_id} is carried by node {owner}, which did not answer; try again") from None


def _relay(status: int, answer: Any, retry_after: str | None, call_id: str, owner: str) -> web.Response:
    error = answer.get("error") if isinstance(answer, dict) else None
    if status < 300 and isinstance(answer, dict):
        return reply(answer, status=status)
    if status >= 400 and isinstance(error, dict) and isinstance(error.get("code"), str):
        raise ApiError(status, error["code"], str(error.get("message") or ""), error.get("param"),
                       headers={"Retry-After": retry_after} if retry_after else None)
    log.warning("the call's node answered a control command unexpectedly",
                extra={"call_id": call_id, "node": owner, "status": status})
    raise ApiError(503, "node_unreachable", f"Call {call_id} is carried by node {owner}, which answered "
                   f"with an unexpected HTTP {status}; try again")
