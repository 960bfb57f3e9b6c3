"""A free loopback port for a server or a caller a benchmark or test is about to start.

The operating system picks the port; it is released before it is returned, so another process
could take it in between, which is acceptable on a test machine.
"""

from __future__ import annotations

import socket
from typing import Literal

_KINDS = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


def free_port(kind: Literal["tcp", "udp"] = "tcp", host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing is bound to at the moment, for TCP or UDP."""
    with socket.socket(socket.AF_INET, _KINDS[kind]) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
