"""Hands an outbox mail row to the operator's SMTP server, or to Resend with a BYOK `resend` key.

SMTP wins when configured: on-prem, nothing leaves the site. Each attempt becomes an
``AttemptResult`` for the delivery log, with the server's address but never its credentials.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from email.message import EmailMessage

import aiohttp
import sqlite_utils

from ..config import Settings
from ..secrets import SecretBox
from ..store import Database
from ..store.records import byok_secret, list_byok
from ..timeutil import now_iso
from ..webhooks.outbox import DueEvent
from ..webhooks.transport import AttemptResult, MailOutcome
from .message import summary_email
from .smtp import SmtpRefused, SmtpServer, send_blocking

log = logging.getLogger("voicedock.mail")

RESEND_URL = "https://api.resend.com/emails"
NOT_CONFIGURED = ("notification_email needs a mail transport: set VOICEDOCK_SMTP_URL (and VOICEDOCK_MAIL_FROM) "
                  "on the server, or add a Resend key with POST /api/v1/byok {\"provider\": \"resend\"}")


def mail_configured(settings: Settings, d: sqlite_utils.Database) -> bool:
    """Whether a notification email would be sent at all (the API refuses the setting otherwise)."""
    return bool(settings.smtp_url) or "resend" in list_byok(d)


class Mailer:
    """The delivery worker's mail transport; `send` is called once per attempt."""

    def __init__(self, settings: Settings, db: Database, box: SecretBox, *, timeout: float = 15.0,
                 resend_url: str = RESEND_URL) -> None:
        self._settings = settings
        self._db = db
        self._box = box
        self._timeout = timeout
        self._resend_url = resend_url
        self._smtp = SmtpServer.parse(settings.smtp_url) if settings.smtp_url else None

    async def send(self, session: aiohttp.ClientSession, event: DueEvent) -> MailOutcome:
        started = time.perf_counter()
        try:
            mail = summary_email(json.loads(event.payload), sender=self._settings.mail_from,
                                 to=event.url.removeprefix("mailto:"), api_base=self._settings.api_base)
        except (ValueError, TypeError) as err:
            return _failed("", started, f"unreadable summary: {err}", permanent=True)
        if self._smtp is not None:
            return await self._send_smtp(self._smtp, mail, started)
        key = await self._db.read(lambda d: byok_secret(d, self._box, "resend"))
        if key is None:
            return _failed("", started, NOT_CONFIGURED, permanent=False)
        return await self._send_resend(session, key, mail, started)

    async def _send_smtp(self, server: SmtpServer, mail: EmailMessage, started: float) -> MailOutcome:
        attempted = now_iso()
        try:
            code = await asyncio.to_thread(send_blocking, server, mail, self._timeout)
        except SmtpRefused as err:
            log.warning("smtp refused a notification email", extra={"server": server.shown, "code": err.code})
            result = AttemptResult(attempted, server.shown, err.code, _ms(started), error=str(err)[:500])
            return MailOutcome(result, permanent=err.permanent)
        except OSError as err:
            log.warning("smtp server unreachable", extra={"server": server.shown, "error": type(err).__name__})
            return _failed(server.shown, started, f"{type(err).__name__}: {err}"[:500], attempted=attempted)
        return MailOutcome(AttemptResult(attempted, server.shown, code, _ms(started)))

    async def _send_resend(
        self, session: aiohttp.ClientSession, key: str, mail: EmailMessage, started: float
    ) -> MailOutcome:
        attempted = now_iso()
        body = {"from": mail["From"], "to": [mail["To"]], "subject": mail["Subject"],
                "text": mail.get_content()}
        try:
            async with asyncio.timeout(self._timeout):
                async with session.post(self._resend_url, json=body,
                                        headers={"Authorization": f"Bearer {key}"}) as resp:
                    status, snippet = resp.status, (await resp.text())[:500]
        except TimeoutError:
            return _failed(self._resend_url, started, f"timed out after {self._timeout:g} s", attempted=attempted)
        except (aiohttp.ClientError, OSError) as err:
            return _failed(self._resend_url, started, f"{type(err).__name__}: {err}"[:500], attempted=attempted)
        result = AttemptResult(attempted, self._resend_url, status, _ms(started), response_snippet=snippet)
        return MailOutcome(result, permanent=400 <= status < 500 and status not in (408, 429))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


def _failed(url: str, started: float, error: str, *, permanent: bool = False,
            attempted: str | None = None) -> MailOutcome:
    return MailOutcome(AttemptResult(attempted or now_iso(), url, None, _ms(started), error=error), permanent)
