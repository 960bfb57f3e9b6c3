"""Thin ARI REST client on aiohttp: only the calls VoiceDock makes, typed results, typed errors.

Teardown helpers (`hangup`, `destroy_bridge`, `stop_playback`) return False for 404 instead of
raising, because "already gone" is the normal outcome of a race with the caller hanging up.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import aiohttp

from ..settings import AsteriskSettings
from .errors import AriConflict, AriError, AriNotFound, error_for_status
from .events_stream import EventStream
from .models import Bridge, Channel, ExternalMedia, Json, LiveRecording, Playback

Params = Mapping[str, str | int | float | bool | None]


def _clean(params: Params) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class AriClient:
    """One ARI connection (REST session + events); use `async with` or call `aclose()`."""

    def __init__(
        self,
        settings: AsteriskSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self.app = settings.app
        self.base_url = settings.ari_url.rstrip("/") + "/ari"
        token = base64.b64encode(f"{settings.ari_user}:{settings.ari_password}".encode()).decode()
        self._auth_headers = {"Authorization": f"Basic {token}"}
        self._own_session = session is None
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._own_session = True
        return self._session

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def ws_connect(self, path: str, params: Params, heartbeat: float) -> Any:
        """Authenticated websocket to an ARI path (used by `EventStream`)."""
        return self.session.ws_connect(
            self.base_url + path, params=_clean(params), headers=self._auth_headers, heartbeat=heartbeat
        )

    def events(self, **kwargs: Any) -> EventStream:
        """The app's event stream (subscribeAll=false; reconnects by itself)."""
        return EventStream(self, **kwargs)

    async def request(self, method: str, path: str, params: Params | None = None, body: Json | None = None) -> Any:
        """One REST call; JSON body or None on 204, `AriError` subclasses on failure."""
        url = self.base_url + path
        kwargs: dict[str, Any] = {"params": _clean(params or {}), "headers": self._auth_headers}
        if body is not None:
            kwargs["json"] = body
        try:
            async with self.session.request(method, url, **kwargs) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    message = _error_message(raw) or resp.reason or ""
                    raise error_for_status(resp.status, f"{method} {path}: {resp.status} {message}")
                return json.loads(raw) if raw else None
        except AriError:
            raise
        except (aiohttp.ClientError, TimeoutError) as err:
            raise AriError(f"{method} {path}: {err!r}", code="unreachable") from err

    # Asterisk

    async def info(self) -> Json:
        """Cheap liveness probe (GET /asterisk/info)."""
        return await self.request("GET", "/asterisk/info")  # type: ignore[no-any-return]

    # Channels

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> bool:
        """Hang up; False when the channel was already gone."""
        return await _ignore_missing(self.request("DELETE", f"/channels/{channel_id}", {"reason": reason}))

    async def get_channel(self, channel_id: str) -> Channel | None:
        try:
            return Channel.from_dict(await self.request("GET", f"/channels/{channel_id}"))
        except AriNotFound:
            return None

    async def list_channels(self) -> list[Channel]:
        return [Channel.from_dict(c) for c in await self.request("GET", "/channels")]

    async def originate(
        self,
        endpoint: str,
        *,
        app_args: str | None = None,
        caller_id: str | None = None,
        ring_seconds: int = 30,
        channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Dial out (e.g. `PJSIP/+15550100@trunk`); the answered channel enters this app via StasisStart."""
        params = {
            "endpoint": endpoint,
            "app": self.app,
            "appArgs": app_args,
            "callerId": caller_id,
            "timeout": ring_seconds,
            "channelId": channel_id,
        }
        body = {"variables": dict(variables)} if variables else None
        return Channel.from_dict(await self.request("POST", "/channels", params, body))

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", {"variable": variable, "value": value})

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave Stasis into the dialplan (used for transfers via the voicedock-transfer context)."""
        params = {"context": context, "extension": extension, "priority": priority, "label": label}
        await self.request("POST", f"/channels/{channel_id}/continue", params)

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        """Blind transfer at the channel driver level (SIP REFER / 302 where supported)."""
        await self.request("POST", f"/channels/{channel_id}/redirect", {"endpoint": endpoint})

    async def send_dtmf(self, channel_id: str, digits: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/dtmf", {"dtmf": digits})

    async def external_media(
        self,
        external_host: str,
        *,
        format: str = "ulaw",
        channel_id: str | None = None,
        encapsulation: str = "rtp",
        transport: str = "udp",
        connection_type: str = "client",
        direction: str = "both",
        variables: Mapping[str, str] | None = None,
    ) -> ExternalMedia:
        """Create a channel that streams the bridge's audio to `external_host` ("host:port")."""
        params = {
            "app": self.app,
            "external_host": external_host,
            "format": format,
            "channelId": channel_id,
            "encapsulation": encapsulation,
            "transport": transport,
            "connection_type": connection_type,
            "direction": direction,
        }
        body = {"variables": dict(variables)} if variables else None
        return ExternalMedia.from_dict(await self.request("POST", "/channels/externalMedia", params, body))

    async def play(
        self, target_id: str, media: str | Iterable[str], *, playback_id: str | None = None, bridge: bool = False
    ) -> Playback:
        """Play `sound:`, `tone:`, `recording:` URIs on a channel (or a bridge with bridge=True)."""
        uris = media if isinstance(media, str) else ",".join(media)
        kind = "bridges" if bridge else "channels"
        data = await self.request("POST", f"/{kind}/{target_id}/play", {"media": uris, "playbackId": playback_id})
        return Playback.from_dict(data)

    async def stop_playback(self, playback_id: str) -> bool:
        return await _ignore_missing(self.request("DELETE", f"/playbacks/{playback_id}"))

    async def record(
        self,
        target_id: str,
        name: str,
        *,
        format: str = "wav",
        max_duration_seconds: int = 0,
        max_silence_seconds: int = 0,
        if_exists: str = "fail",
        beep: bool = False,
        bridge: bool = False,
    ) -> LiveRecording:
        """Record a channel or bridge to /var/spool/asterisk/recording/<name>.<format> in the chroot."""
        params: Params = {
            "name": name,
            "format": format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds,
            "ifExists": if_exists,
            "beep": beep,
        }
        kind = "bridges" if bridge else "channels"
        return LiveRecording.from_dict(await self.request("POST", f"/{kind}/{target_id}/record", params))

    async def stop_recording(self, name: str) -> bool:
        return await _ignore_missing(self.request("POST", f"/recordings/live/{name}/stop"))

    # Bridges

    async def create_bridge(
        self, *, type: str = "mixing", bridge_id: str | None = None, name: str | None = None
    ) -> Bridge:
        params = {"type": type, "bridgeId": bridge_id, "name": name}
        return Bridge.from_dict(await self.request("POST", "/bridges", params))

    async def add_channel(self, bridge_id: str, channel_id: str) -> None:
        """Add one channel; add several one at a time (a list can fail as a whole on one bad id)."""
        await self.request("POST", f"/bridges/{bridge_id}/addChannel", {"channel": channel_id})

    async def remove_channel(self, bridge_id: str, channel_id: str) -> bool:
        return await _ignore_missing(
            self.request("POST", f"/bridges/{bridge_id}/removeChannel", {"channel": channel_id})
        )

    async def destroy_bridge(self, bridge_id: str, *, attempts: int = 5) -> bool:
        """Destroy; False when already gone.

        Right after its last channel hangs up, a bridge can answer 409 "not in Stasis
        application" for a few milliseconds while Asterisk dissolves it; that is retried and
        then settled by looking the bridge up.
        """
        for attempt in range(attempts):
            try:
                return await _ignore_missing(self.request("DELETE", f"/bridges/{bridge_id}"))
            except AriConflict:
                if await self.get_bridge(bridge_id) is None:
                    return False
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))
        return False

    async def get_bridge(self, bridge_id: str) -> Bridge | None:
        try:
            return Bridge.from_dict(await self.request("GET", f"/bridges/{bridge_id}"))
        except AriNotFound:
            return None

    async def list_bridges(self) -> list[Bridge]:
        return [Bridge.from_dict(b) for b in await self.request("GET", "/bridges")]


async def _ignore_missing(call: Any) -> bool:
    try:
        await call
    except AriNotFound:
        return False
    return True


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")[:200]
    return str(data.get("message", "")) if isinstance(data, dict) else ""
