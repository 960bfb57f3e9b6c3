"""Thin ARI client: REST calls, typed events and a self-reconnecting events websocket."""

from .client import AriClient
from .errors import AriConflict, AriError, AriNotFound
from .events import Connected, Event, parse_event
from .events_stream import EventStream
from .models import Bridge, Channel, ExternalMedia, LiveRecording, Playback

__all__ = [
    "AriClient",
    "AriConflict",
    "AriError",
    "AriNotFound",
    "Bridge",
    "Channel",
    "Connected",
    "Event",
    "EventStream",
    "ExternalMedia",
    "LiveRecording",
    "Playback",
    "parse_event",
]
