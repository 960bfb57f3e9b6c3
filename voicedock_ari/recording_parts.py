"""A call recorded in parts, one per process that ran it, joined into the one WAV the API serves.

A restart that picks a call up again bridges the caller anew, so Asterisk records the rest of the
call to a new file. The record has one `recording_url` (the contract's `GET /calls/{id}/recording`
is one WAV), so at the end the parts are joined in the order they were recorded. Asterisk's `wav`
is 16-bit PCM with the same header for every part; a part whose header Asterisk never finished
(it was killed while recording) still counts up to the end of its file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 4096  # Asterisk's header is 44 bytes; room for a few extra chunks before `data`


def resumed_part(call_id: str, now_ns: int) -> str:
    """The file name (without `.wav`) of a part recorded after a restart; later parts sort later."""
    return f"{call_id}-{now_ns:020d}"


def ordered_parts(call_id: str, names: Iterable[str]) -> list[str]:
    """The call's part names in recording order: its first part, then the resumed ones by time."""
    names = set(names)
    resumed = sorted(n for n in names if n.startswith(f"{call_id}-") and n[len(call_id) + 1:].isdigit())
    return ([call_id] if call_id in names else []) + resumed


@dataclass(frozen=True)
class WavLayout:
    fmt: bytes  # the `fmt ` chunk's body: parts are joined only when theirs are equal
    data_offset: int
    data_size: int


def wav_layout(head: bytes, file_size: int) -> WavLayout | None:
    """Where the audio of a WAV file is, from its first bytes; None when it is not a WAV."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    fmt: bytes | None = None
    pos = 12
    while pos + 8 <= len(head):
        kind, size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if kind == b"fmt ":
            fmt = head[body:body + size]
        elif kind == b"data":
            if fmt is None:
                return None
            left = file_size - body
            return WavLayout(fmt, body, left if size == 0 or size > left else size)
        pos = body + size + (size & 1)
    return None


def wav_header(fmt: bytes, data_size: int) -> bytes:
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_size) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_size))


def read_layout(path: Path) -> WavLayout | None:
    with path.open("rb") as f:
        return wav_layout(f.read(HEAD_BYTES), path.stat().st_size)


def join(parts: Sequence[Path], target: Path) -> list[Path]:
    """Write the audio of `parts` one after the other into `target`; the parts it used.

    A part that is no WAV, or whose format differs from the first part's, is left out (and left
    where it is): one file cannot hold two formats.
    """
    layouts = [(path, read_layout(path)) for path in parts]
    usable = [(p, lay) for p, lay in layouts if lay is not None]
    if not usable:
        return []
    fmt = usable[0][1].fmt
    usable = [(p, lay) for p, lay in usable if lay.fmt == fmt]
    with target.open("wb") as out:
        out.write(wav_header(fmt, sum(lay.data_size for _, lay in usable)))
        for path, lay in usable:
            with path.open("rb") as src:
                src.seek(lay.data_offset)
                _copy(src, out, lay.data_size)
    return [p for p, _ in usable]


def _copy(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    left = size
    while left > 0:
        chunk = src.read(min(left, 1 << 20))
        if not chunk:
            break
        dst.write(chunk)
        left -= len(chunk)
