from __future__ import annotations

from core.errors import NotFound


class EventNotFound(NotFound):
    code = "event_not_found"
    title = "The event does not exist."
