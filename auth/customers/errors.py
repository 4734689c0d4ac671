from __future__ import annotations

from core.errors import Conflict, NotFound


class CustomerAlreadyExists(Conflict):
    code = "customer_already_exists"
    title = "An account with this email already exists at this shop."


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    title = "The customer does not exist."
