from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.errors import Conflict, InvalidInput, NotFound


class NotApplicableReason(StrEnum):
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    MINIMUM_SUBTOTAL = "minimum_subtotal"
    CURRENCY = "currency"
    NO_ELIGIBLE_LINES = "no_eligible_lines"
    USAGE_LIMIT_REACHED = "usage_limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"


class DiscountNotFound(NotFound):
    code = "discount_not_found"
    title = "The discount does not exist."


class DiscountCodeNotFound(InvalidInput):
    code = "discount_code_not_found"
    title = "No discount has this code."


class DiscountNotApplicable(Conflict):
    """The code exists but cannot be used for this order; ``reason`` (a member of the problem) says why."""

    code = "discount_not_applicable"
    title = "The discount code cannot be applied to this order."

    def __init__(self, detail: str | None = None, *, reason: NotApplicableReason | str, **extra: Any) -> None:
        super().__init__(detail, reason=str(reason), **extra)
        self.reason = NotApplicableReason(reason)


class DiscountCodeTaken(Conflict):
    code = "discount_code_taken"
    title = "Another discount already has this code (codes are case-insensitive)."


class DiscountInUse(Conflict):
    code = "discount_in_use"
    title = "The discount has been redeemed and cannot be deleted; set ends_at to stop it."


class UnknownCollections(InvalidInput):
    code = "unknown_collections"
    title = "Some of the collections do not exist."
