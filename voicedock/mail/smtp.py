"""One email through the operator's SMTP server, with stdlib ``smtplib`` in a worker thread.

A send is rare (one per ended call) and short, so a thread per send costs less than another
dependency; the event loop never waits on the network here.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """`VOICEDOCK_SMTP_URL` parsed; `shown` is the address without credentials, for logs."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("VOICEDOCK_SMTP_URL must look like smtp://, smtp+starttls:// or smtps://"
                             "[user:password@]host[:port]")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def shown(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


class SmtpRefused(Exception):
    """The server answered with an error code; 5xx is final, anything else is worth a retry."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


def send_blocking(server: SmtpServer, mail: EmailMessage, timeout: float) -> int:
    """Blocking send; returns the server's final reply code. Raises ``SmtpRefused`` or ``OSError``."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        if server.scheme == "smtp+starttls":
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        refused = client.send_message(mail)
        if refused:  # some recipients refused; there is only one
            code, text = next(iter(refused.values()))
            raise SmtpRefused(code, text.decode("utf-8", "replace"))
        return 250
    except smtplib.SMTPRecipientsRefused as err:
        code, text = next(iter(err.recipients.values()))
        raise SmtpRefused(code, text.decode("utf-8", "replace")) from None
    except smtplib.SMTPResponseException as err:
        reply: bytes | str = err.smtp_error
        shown = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        raise SmtpRefused(err.smtp_code, shown) from None
    except smtplib.SMTPException as err:  # e.g. disconnected: nothing final was said
        raise OSError(f"{type(err).__name__}: {err}") from None
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
