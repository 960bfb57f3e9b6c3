"""ARI events as typed dataclasses, parsed with `parse_event(json)`.

Unknown event types become `UnknownEvent` instead of failing, because Asterisk adds events
across versions and one new type must not break call handling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .models import Bridge, Channel, Json, LiveRecording, Playback


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    application: str = ""
    timestamp: str = ""
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    TYPE: ClassVar[str] = ""

    @classmethod
    def _base(cls, data: Json) -> dict[str, Any]:
        return {
            "type": data.get("type", cls.TYPE),
            "application": data.get("application", ""),
            "timestamp": data.get("timestamp", ""),
            "raw": data,
        }

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(**cls._base(data))

    @property
    def channel_id(self) -> str | None:
        """The channel the event is about, for routing events to their call."""
        channel = getattr(self, "channel", None)
        return channel.id if isinstance(channel, Channel) else None


@dataclass(frozen=True, slots=True)
class UnknownEvent(Event):
    pass


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """Not from Asterisk: the events websocket (re)connected; `attempt` > 0 means events may have been missed."""

    attempt: int = 0
    TYPE: ClassVar[str] = "VoiceDockConnected"


@dataclass(frozen=True, slots=True)
class _ChannelEvent(Event):
    channel: Channel = field(default_factory=lambda: Channel(id=""))

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(**cls._base(data), channel=Channel.from_dict(data["channel"]))


@dataclass(frozen=True, slots=True)
class StasisStart(Event):
    channel: Channel = field(default_factory=lambda: Channel(id=""))
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None
    TYPE: ClassVar[str] = "StasisStart"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        replaced = data.get("replace_channel")
        return cls(
            **cls._base(data),
            channel=Channel.from_dict(data["channel"]),
            args=tuple(data.get("args") or ()),
            replace_channel=Channel.from_dict(replaced) if replaced else None,
        )


@dataclass(frozen=True, slots=True)
class StasisEnd(_ChannelEvent):
    TYPE: ClassVar[str] = "StasisEnd"


@dataclass(frozen=True, slots=True)
class ChannelStateChange(_ChannelEvent):
    TYPE: ClassVar[str] = "ChannelStateChange"


@dataclass(frozen=True, slots=True)
class ChannelDtmfReceived(Event):
    channel: Channel = field(default_factory=lambda: Channel(id=""))
    digit: str = ""
    duration_ms: int = 0
    TYPE: ClassVar[str] = "ChannelDtmfReceived"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(
            **cls._base(data),
            channel=Channel.from_dict(data["channel"]),
            digit=data.get("digit", ""),
            duration_ms=int(data.get("duration_ms", 0)),
        )


@dataclass(frozen=True, slots=True)
class ChannelHangupRequest(Event):
    channel: Channel = field(default_factory=lambda: Channel(id=""))
    cause: int = 0
    soft: bool = False
    TYPE: ClassVar[str] = "ChannelHangupRequest"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(
            **cls._base(data),
            channel=Channel.from_dict(data["channel"]),
            cause=int(data.get("cause", 0)),
            soft=bool(data.get("soft", False)),
        )


@dataclass(frozen=True, slots=True)
class ChannelDestroyed(Event):
    channel: Channel = field(default_factory=lambda: Channel(id=""))
    cause: int = 0
    cause_txt: str = ""
    TYPE: ClassVar[str] = "ChannelDestroyed"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(
            **cls._base(data),
            channel=Channel.from_dict(data["channel"]),
            cause=int(data.get("cause", 0)),
            cause_txt=data.get("cause_txt", ""),
        )


@dataclass(frozen=True, slots=True)
class ChannelVarset(Event):
    channel: Channel | None = None
    variable: str = ""
    value: str = ""
    TYPE: ClassVar[str] = "ChannelVarset"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        channel = data.get("channel")
        return cls(
            **cls._base(data),
            channel=Channel.from_dict(channel) if channel else None,
            variable=data.get("variable", ""),
            value=data.get("value", ""),
        )


@dataclass(frozen=True, slots=True)
class _BridgeChannelEvent(Event):
    bridge: Bridge = field(default_factory=lambda: Bridge(id=""))
    channel: Channel = field(default_factory=lambda: Channel(id=""))

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(
            **cls._base(data),
            bridge=Bridge.from_dict(data["bridge"]),
            channel=Channel.from_dict(data["channel"]),
        )


@dataclass(frozen=True, slots=True)
class ChannelEnteredBridge(_BridgeChannelEvent):
    TYPE: ClassVar[str] = "ChannelEnteredBridge"


@dataclass(frozen=True, slots=True)
class ChannelLeftBridge(_BridgeChannelEvent):
    TYPE: ClassVar[str] = "ChannelLeftBridge"


@dataclass(frozen=True, slots=True)
class BridgeDestroyed(Event):
    bridge: Bridge = field(default_factory=lambda: Bridge(id=""))
    TYPE: ClassVar[str] = "BridgeDestroyed"

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(**cls._base(data), bridge=Bridge.from_dict(data["bridge"]))


@dataclass(frozen=True, slots=True)
class _PlaybackEvent(Event):
    playback: Playback = field(default_factory=lambda: Playback(id=""))

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(**cls._base(data), playback=Playback.from_dict(data["playback"]))


@dataclass(frozen=True, slots=True)
class PlaybackStarted(_PlaybackEvent):
    TYPE: ClassVar[str] = "PlaybackStarted"


@dataclass(frozen=True, slots=True)
class PlaybackFinished(_PlaybackEvent):
    TYPE: ClassVar[str] = "PlaybackFinished"


@dataclass(frozen=True, slots=True)
class _RecordingEvent(Event):
    recording: LiveRecording = field(default_factory=lambda: LiveRecording(name=""))

    @classmethod
    def from_dict(cls, data: Json) -> Event:
        return cls(**cls._base(data), recording=LiveRecording.from_dict(data["recording"]))


@dataclass(frozen=True, slots=True)
class RecordingStarted(_RecordingEvent):
    TYPE: ClassVar[str] = "RecordingStarted"


@dataclass(frozen=True, slots=True)
class RecordingFinished(_RecordingEvent):
    TYPE: ClassVar[str] = "RecordingFinished"


@dataclass(frozen=True, slots=True)
class RecordingFailed(_RecordingEvent):
    TYPE: ClassVar[str] = "RecordingFailed"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        StasisStart,
        StasisEnd,
        ChannelStateChange,
        ChannelDtmfReceived,
        ChannelHangupRequest,
        ChannelDestroyed,
        ChannelVarset,
        ChannelEnteredBridge,
        ChannelLeftBridge,
        BridgeDestroyed,
        PlaybackStarted,
        PlaybackFinished,
        RecordingStarted,
        RecordingFinished,
        RecordingFailed,
    )
}


def parse_event(data: Json) -> Event:
    """Typed event for a decoded ARI message; a known type with missing fields degrades to UnknownEvent."""
    cls = EVENT_TYPES.get(str(data.get("type", "")))
    if cls is None:
        return UnknownEvent.from_dict(data)
    try:
        return cls.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return UnknownEvent.from_dict(data)
