from __future__ import annotations

from core.errors import Conflict, NotFound


class PublishableKeyNotFound(NotFound):
    code = "publishable_key_not_found"
    title = "The publishable key does not exist or was revoked."


class PublishableKeyLimitReached(Conflict):
    code = "publishable_key_limit_reached"
    title = "This shop has the maximum number of publishable keys; revoke one first."
