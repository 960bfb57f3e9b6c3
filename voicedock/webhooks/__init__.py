"""Webhooks that never lose an event: signed, logged, delivered from a transactional outbox.

Fire-and-forget events (``status-update``, ``transcript``, ``end-of-call-report``, async tool
calls) are rows written with the state change that causes them and delivered by
``DeliveryWorker``; request-response events (``assistant-request``, ``tool-calls``) go through
``WebhookClient`` with a hard deadline.
"""

from .backoff import DeliveryStatus, RetryPolicy
from .client import WebhookClient
from .outbox import enqueue, enqueue_mail, list_deliveries, requeue
from .signing import build_headers, sign
from .worker import DeliveryWorker

__all__ = [
    "DeliveryStatus",
    "DeliveryWorker",
    "RetryPolicy",
    "WebhookClient",
    "build_headers",
    "enqueue",
    "enqueue_mail",
    "list_deliveries",
    "requeue",
    "sign",
]
