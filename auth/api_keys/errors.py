from __future__ import annotations

from core.errors import Conflict, NotFound


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "The API key does not exist or was revoked."


class ApiKeyLimitReached(Conflict):
    code = "api_key_limit_reached"
    title = "This shop has the maximum number of API keys; revoke one first."
