"""Refuse a `notification_email` this server could never send: no SMTP server and no Resend key.
Accepted, the summaries would never arrive while the customer waits for them."""

from __future__ import annotations

from aiohttp import web

from voicedock.mail import mail_configured
from voicedock.mail.sender import NOT_CONFIGURED

from .context import SETTINGS, read
from .errors import ApiError


async def check_mail_now(request: web.Request, notification_email: str | None) -> None:
    if notification_email:
        settings = request.app[SETTINGS]
        if not await read(request, lambda d: mail_configured(settings, d)):
            raise ApiError(422, "mail_not_configured", NOT_CONFIGURED, "notification_email")
