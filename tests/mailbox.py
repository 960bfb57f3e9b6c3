"""A real SMTP server on loopback (aiosmtpd) that keeps what it received and can refuse first."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Mailbox:
    """aiosmtpd handler: answers `refuse_first` DATA commands with 451, then accepts."""

    def __init__(self, refuse_first: int = 0, password: str | None = None) -> None:
        self.refuse_first = refuse_first
        self.password = password
        self.refused = 0
        self.received: list[EmailMessage] = []
        self.logins: list[str] = []
        self._arrived = threading.Condition()  # handle_DATA runs on aiosmtpd's own thread and loop

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.refuse_first:
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == self.password
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    async def wait(self, count: int = 1, seconds: float = 10.0) -> list[EmailMessage]:
        """The mails received, once there are `count`; TimeoutError after `seconds`."""

        def wait_sync() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.received) >= count, seconds)

        if not await asyncio.to_thread(wait_sync):
            raise TimeoutError(f"{len(self.received)} of {count} mails arrived in {seconds:g} s")
        return self.received


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def smtp_server(mailbox: Mailbox) -> AsyncIterator[int]:
    """Serve `mailbox` on a loopback port (its own thread, as aiosmtpd's Controller runs it)."""
    port = free_port()
    options: dict[str, Any] = {}
    if mailbox.password is not None:
        options = {"authenticator": mailbox.authenticate, "auth_require_tls": False}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    await asyncio.to_thread(controller.start)
    try:
        yield port
    finally:
        await asyncio.to_thread(controller.stop)
