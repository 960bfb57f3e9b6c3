"""Control commands for a call another node carries, and recordings another node holds: sent on to
that node, and its answer relayed.

Each node's heartbeat row names its API (`VOICEDOCK_NODE_URL`). A node that gets a command for a call
whose record names another node posts it there with a short timeout, with the caller's `Authorization`
header, and answers with the owner's status and JSON. Plain HTTP between nodes, no LISTEN/NOTIFY, so it
works behind PgBouncer's transaction pooling. The request says `X-VoiceDock-Forwarded: <this node>` and
is never sent on again, so two nodes that disagree about a call cannot pass it back and forth. It is also
signed with the nodes' shared `secret.key`; the signature stands in for an API key where there is none
(a dashboard session's command or download), on the control and recording routes only.

A recording is a file in the data directory of the node that recorded the call: asked of another
node, it is fetched from the recording node the same way and streamed on, so the API on any node
serves every call's recording while that node is up.
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


async def _live_owner(request: web.Request, owner: str, status: int, code: str, refusal: str) -> str:
    """The API address of the node `owner` when it is up; else an ApiError saying `refusal` (its
    `{state}` filled in)."""
    node = await read(request, lambda d: find_node(d, owner))
    if node is None or node.status != UP or not node.url:
        state = "unknown" if node is None else node.status if node.status != UP else "not reachable by address"
        raise ApiError(status, code, refusal.format(state=state))
    return node.url


def _headers(request: web.Request, method: str, path: str, body: bytes) -> dict[str, str]:
    """This node's name and signature, and the caller's API key when it gave one."""
    here = request.app[SETTINGS].node_id
    headers = {FORWARDED: here, SIGNATURE: sign(request.app[BOX], method, path, here, body, time.time())}
    if "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    return headers


async def to_owner(request: web.Request, call_id: str, owner: str, command: ControlRequest) -> web.Response:
    """Send `command` to the node `owner` that carries the call, and answer as it answered."""
    if request.headers.get(FORWARDED):
        raise ApiError(409, "call_not_live", f"Call {call_id} is carried by node {owner}, not by this one")
    url = await _live_owner(request, owner, 409, "call_not_live",
                            f"Call {call_id} is carried by node {owner}, which is {{state}}; it takes no commands")
    path = f"/api/v1/calls/{quote(call_id, safe='')}/control"
    body = command.model_dump_json(by_alias=True).encode()
    headers = {"Content-Type": "application/json", **_headers(request, "POST", path, body)}
    status, answer, retry_after = await _post(url + path, body, headers, call_id, owner)
    return _relay(status, answer, retry_after, call_id, owner)


async def recording_from_owner(request: web.Request, call_id: str, owner: str) -> web.StreamResponse:
    """Stream the recording of a call that the node `owner` recorded, fetched from it."""
    if request.headers.get(FORWARDED):
        raise ApiError(404, "recording_not_found", "This call has no recording")
    url = await _live_owner(request, owner, 503, "node_unreachable",
                            f"Call {call_id} was recorded by node {owner}, which is {{state}}; the recording is out "
                            "of reach")
    path = f"/api/v1/calls/{quote(call_id, safe='')}/recording"
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_SECONDS, sock_read=TOTAL_SECONDS)
    out: web.StreamResponse | None = None
    try:
        async with (aiohttp.ClientSession(timeout=timeout) as session,
                    session.get(url + path, headers=_headers(request, "GET", path, b""),
                                allow_redirects=False) as resp):
            if resp.status != 200:
                return _relay(resp.status, await resp.json(content_type=None), resp.headers.get("Retry-After"),
                              call_id, owner)
            out = web.StreamResponse(headers={"Content-Type": "audio/wav"})
            if resp.content_length is not None:
                out.content_length = resp.content_length
            await out.prepare(request)
            async for chunk in resp.content.iter_chunked(64 * 1024):
                await out.write(chunk)
            await out.write_eof()
            return out
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        log.warning("a recording could not be fetched from the call's node",
                    extra={"call_id": call_id, "node": owner, "error": type(err).__name__})
        if out is not None:  # the headers are gone: the client sees the file cut short
            return out
        raise ApiError(503, "node_unreachable",
                       f"Call {call_id} was recorded by node {owner}, which did not answer; try again") from None


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
