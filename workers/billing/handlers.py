"""Wire the Connect webhook handlers of the domains above billing into ``billing.inbox`` (billing may not
import them). Called when the Celery app is built: every worker, and the API (whose app state builds it, and
which decides at receipt whether an event type has a handler)."""

from __future__ import annotations

from billing import inbox
from commerce.orders import webhooks as order_webhooks


def install() -> None:
    for event_type, handler in order_webhooks.HANDLERS.items():
        inbox.register_handler(event_type, handler)
