"""Discount codes: whether a code applies to an order, and its redemption.

The rules:

* Codes are unique per shop regardless of case and matched regardless of case.
* A code applies from ``starts_at`` (inclusive) until ``ends_at`` (exclusive); outside that window it is refused
  (``not_started`` / ``expired``).
* A fixed amount applies only in the currencies it has an amount for (``currency``). A minimum subtotal is per
  currency and compared with the order subtotal before discounts; a discount with minimums but none in the
  order's currency does not apply in it (``currency``).
* A discount restricted to products or collections applies to the lines of those products (and of the products
  in those collections at the time of the quote); with no such line it is refused (``no_eligible_lines``).
* ``usage_limit`` caps redemptions in total, ``per_customer_limit`` per customer: a signed-in customer is counted
  by id, a guest by e-mail address (case-insensitive). ``quote`` checks both to warn early; ``redeem`` enforces
  them atomically at order completion.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce import resources
from commerce.catalog import repository as catalog_repository
from commerce.catalog.errors import UnknownProducts
from commerce.discounts import repository
from commerce.discounts.errors import (
    DiscountCodeNotFound,
    DiscountCodeTaken,
    DiscountInUse,
    DiscountNotApplicable,
    DiscountNotFound,
    NotApplicableReason,
    UnknownCollections,
)
from commerce.discounts.models import Discount, DiscountKind
from commerce.discounts.schemas import DiscountCreate, DiscountRead, DiscountUpdate, discount_values
from core.errors import InvalidInput


async def find_by_code(db: AsyncSession, code: str) -> Discount:
    discount = await repository.get_by_code(db, code.strip())
    if discount is None:
        raise DiscountCodeNotFound()
    return discount


async def eligible_product_ids(db: AsyncSession, discount: Discount) -> frozenset[uuid.UUID] | None:
    """The products the discount applies to; None for the whole order."""
    if not discount.product_ids and not discount.collection_ids:
        return None
    products = set(discount.product_ids)
    if discount.collection_ids:
        products |= await repository.collection_product_ids(db, discount.collection_ids)
    return frozenset(products)


def check_terms(discount: Discount, *, currency: str, subtotal: int, eligible_lines: int, now: datetime) -> None:
    """Refuse (``DiscountNotApplicable``) a discount whose dates, currency, minimum or products do not fit."""
    if discount.starts_at is not None and now < discount.starts_at:
        raise DiscountNotApplicable(reason=NotApplicableReason.NOT_STARTED)
    if discount.ends_at is not None and now >= discount.ends_at:
        raise DiscountNotApplicable(reason=NotApplicableReason.EXPIRED)
    if discount.kind is DiscountKind.FIXED_AMOUNT and currency not in discount.amounts:
        raise DiscountNotApplicable(reason=NotApplicableReason.CURRENCY, currency=currency)
    if discount.minimum_subtotals:
        minimum = discount.minimum_subtotals.get(currency)
        if minimum is None:
            raise DiscountNotApplicable(reason=NotApplicableReason.CURRENCY, currency=currency)
        if subtotal < minimum:
            raise DiscountNotApplicable(
                reason=NotApplicableReason.MINIMUM_SUBTOTAL, minimum_subtotal={"amount": minimum, "currency": currency}
            )
    if eligible_lines == 0:
        raise DiscountNotApplicable(reason=NotApplicableReason.NO_ELIGIBLE_LINES)


async def check_limits(
    db: AsyncSession, discount: Discount, *, customer_id: uuid.UUID | None, email: str | None
) -> None:
    """The early (non-binding) check of the limits, for quotes; ``redeem`` is the binding one."""
    if discount.usage_limit is not None and discount.times_used >= discount.usage_limit:
        raise DiscountNotApplicable(reason=NotApplicableReason.USAGE_LIMIT_REACHED)
    if discount.per_customer_limit is not None:
        uses = await repository.customer_uses(db, discount.id, customer_id=customer_id, email=email)
        if uses >= discount.per_customer_limit:
            raise DiscountNotApplicable(reason=NotApplicableReason.CUSTOMER_LIMIT_REACHED)


async def redeem(
    db: AsyncSession,
    *,
    discount_id: uuid.UUID,
    order_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    email: str | None,
    now: datetime,
) -> None:
    """Record that ``order_id`` used the discount, in the caller's transaction, atomically under concurrency.

    1. Insert the order's redemption (unique per order): if the order already has one, this is a replayed
       finalize and nothing else happens (no second use).
    2. ``UPDATE discounts SET times_used = times_used + 1 WHERE id = ... AND times_used < usage_limit``: one
       statement, so two checkouts can never both take the last use; its row lock also serialises every
       redemption of this discount until the caller commits.
    3. Under that lock, count the customer's other redemptions (committed ones are visible to this new
       statement) against ``per_customer_limit``.

    A refusal raises ``DiscountNotApplicable`` (``usage_limit_reached`` / ``customer_limit_reached``) and rolls
    back steps 1-2 (a savepoint), so a caller that catches it keeps a clean transaction.
    """
    normalized_email = email.strip().lower() if email else None
    async with db.begin_nested():
        claimed = await repository.claim_order(
            db, discount_id=discount_id, order_id=order_id, customer_id=customer_id, email=normalized_email, now=now
        )
        if not claimed:
            return
        taken, per_customer_limit = await repository.take_use(db, discount_id)
        if not taken:
            raise DiscountNotApplicable(reason=NotApplicableReason.USAGE_LIMIT_REACHED)
        if per_customer_limit is not None:
            uses = await repository.customer_uses(
                db, discount_id, customer_id=customer_id, email=normalized_email, excluding_order=order_id
            )
            if uses >= per_customer_limit:
                raise DiscountNotApplicable(reason=NotApplicableReason.CUSTOMER_LIMIT_REACHED)


def eligible_count(product_ids: Sequence[uuid.UUID], eligible: frozenset[uuid.UUID] | None) -> int:
    return len(product_ids) if eligible is None else sum(1 for product_id in product_ids if product_id in eligible)


# --- the merchant's discounts ------------------------------------------------------------------------------


async def list_discounts(
    db: AsyncSession, *, limit: int, starting_after: str | None, code: str | None = None
) -> tuple[list[Discount], bool]:
    where = (func.lower(Discount.code) == code.strip().lower(),) if code is not None else ()
    return await resources.page(db, Discount, limit=limit, starting_after=starting_after, where=where)


async def get_discount(db: AsyncSession, discount_id: uuid.UUID, *, lock: bool = False) -> Discount:
    found = await resources.load(db, Discount, discount_id, lock=lock)
    if found is None:
        raise DiscountNotFound()
    return found


def _check_shape(discount: Discount) -> None:
    """What the kind needs: a percentage its basis points, a fixed amount its amounts; dates in order."""
    problems = []
    if discount.kind is DiscountKind.PERCENTAGE and discount.percentage_bps is None:
        problems.append("a percentage discount needs percentage_bps")
    if discount.kind is not DiscountKind.PERCENTAGE and discount.percentage_bps is not None:
        problems.append("only a percentage discount has percentage_bps")
    if discount.kind is DiscountKind.FIXED_AMOUNT and not discount.amounts:
        problems.append("a fixed_amount discount needs amounts")
    if discount.kind is not DiscountKind.FIXED_AMOUNT and discount.amounts:
        problems.append("only a fixed_amount discount has amounts")
    if discount.starts_at is not None and discount.ends_at is not None and discount.starts_at >= discount.ends_at:
        problems.append("starts_at must be before ends_at")
    if problems:
        raise InvalidInput("; ".join(problems))


async def _check_targets(db: AsyncSession, values: dict[str, Any]) -> None:
    products = values.get("product_ids") or []
    if products:
        missing = set(products) - await catalog_repository.existing_product_ids(db, products)
        if missing:
            raise UnknownProducts(product_ids=sorted(str(product_id) for product_id in missing))
    collections = values.get("collection_ids") or []
    if collections:
        missing = set(collections) - await repository.existing_collection_ids(db, collections)
        if missing:
            raise UnknownCollections(collection_ids=sorted(str(collection_id) for collection_id in missing))


async def create_discount(db: AsyncSession, body: DiscountCreate, *, actor: Principal) -> Discount:
    values = discount_values(body)
    await _check_targets(db, values)
    defaults: dict[str, Any] = {"amounts": {}, "product_ids": [], "collection_ids": [], "minimum_subtotals": {}}
    discount = Discount(**(defaults | values), times_used=0, version=1)
    _check_shape(discount)
    db.add(discount)
    await resources.flush(db, DiscountCodeTaken(discount_code=body.code))
    await resources.record(db, "discount.created", discount, DiscountRead, actor)
    return discount


async def update_discount(
    db: AsyncSession, discount_id: uuid.UUID, body: DiscountUpdate, *, if_match: int | None, actor: Principal
) -> Discount:
    """Change a discount (its kind stays). ``times_used`` is not the merchant's: only redemptions move it."""
    discount = await get_discount(db, discount_id, lock=True)
    resources.check_version(discount, if_match)
    values = discount_values(body)
    await _check_targets(db, values)
    resources.apply(discount, values)
    _check_shape(discount)
    await resources.flush(db, DiscountCodeTaken(discount_code=discount.code))
    await resources.record(db, "discount.updated", discount, DiscountRead, actor)
    return discount


async def delete_discount(db: AsyncSession, discount_id: uuid.UUID, *, if_match: int | None, actor: Principal) -> None:
    """Delete a discount never redeemed (409 ``discount_in_use`` otherwise: orders refer to it; end it instead)."""
    discount = await get_discount(db, discount_id, lock=True)
    resources.check_version(discount, if_match)
    if discount.times_used > 0:
        raise DiscountInUse()
    await resources.record(db, "discount.deleted", discount, DiscountRead, actor)
    await db.delete(discount)
    await db.flush()
