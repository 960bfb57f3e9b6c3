"""Notification email: the end-of-call summary sent to an assistant's `notification_email`.

Mails are outbox rows like webhooks (``enqueue_mail``), so the delivery worker retries a refused
send with the same backoff; ``Mailer`` is the transport it hands them to (SMTP or Resend).
"""

from .message import summary_email
from .sender import Mailer, mail_configured

__all__ = ["Mailer", "mail_configured", "summary_email"]
