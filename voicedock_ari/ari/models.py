"""ARI resources (channel, bridge, playback, recording) as small typed dataclasses.

Only the fields the call controller uses are typed; the full JSON stays in `raw` so nothing
Asterisk sends is lost when a new need appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallerId:
    name: str = ""
    number: str = ""

    @classmethod
    def from_dict(cls, data: Json | None) -> CallerId:
        data = data or {}
        return cls(name=data.get("name", ""), number=data.get("number", ""))


@dataclass(frozen=True, slots=True)
class DialplanCep:
    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""

    @classmethod
    def from_dict(cls, data: Json | None) -> DialplanCep:
        data = data or {}
        return cls(
            context=data.get("context", ""),
            exten=data.get("exten", ""),
            priority=int(data.get("priority", 0)),
            app_name=data.get("app_name", ""),
            app_data=data.get("app_data", ""),
        )


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str = ""
    state: str = ""
    caller: CallerId = field(default_factory=CallerId)
    connected: CallerId = field(default_factory=CallerId)
    dialplan: DialplanCep = field(default_factory=DialplanCep)
    creationtime: str = ""
    language: str = ""
    channelvars: dict[str, str] = field(default_factory=dict)
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> Channel:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            state=data.get("state", ""),
            caller=CallerId.from_dict(data.get("caller")),
            connected=CallerId.from_dict(data.get("connected")),
            dialplan=DialplanCep.from_dict(data.get("dialplan")),
            creationtime=data.get("creationtime", ""),
            language=data.get("language", ""),
            channelvars=dict(data.get("channelvars") or {}),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Bridge:
    id: str
    technology: str = ""
    bridge_type: str = ""
    bridge_class: str = ""
    name: str = ""
    channels: tuple[str, ...] = ()
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> Bridge:
        return cls(
            id=data["id"],
            technology=data.get("technology", ""),
            bridge_type=data.get("bridge_type", ""),
            bridge_class=data.get("bridge_class", ""),
            name=data.get("name", ""),
            channels=tuple(data.get("channels") or ()),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Playback:
    id: str
    media_uri: str = ""
    target_uri: str = ""
    state: str = ""
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> Playback:
        return cls(
            id=data["id"],
            media_uri=data.get("media_uri", ""),
            target_uri=data.get("target_uri", ""),
            state=data.get("state", ""),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class LiveRecording:
    name: str
    format: str = ""
    state: str = ""
    target_uri: str = ""
    duration: int | None = None
    cause: str = ""
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> LiveRecording:
        return cls(
            name=data["name"],
            format=data.get("format", ""),
            state=data.get("state", ""),
            target_uri=data.get("target_uri", ""),
            duration=data.get("duration"),
            cause=data.get("cause", ""),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class ExternalMedia:
    """An externalMedia channel plus where Asterisk receives the RTP we send back."""

    channel: Channel
    local_address: str
    local_port: int

    @classmethod
    def from_dict(cls, data: Json) -> ExternalMedia:
        channel = Channel.from_dict(data)
        host = channel.channelvars.get("UNICASTRTP_LOCAL_ADDRESS", "")
        port = int(channel.channelvars.get("UNICASTRTP_LOCAL_PORT") or 0)
        return cls(channel=channel, local_address=host, local_port=port)
