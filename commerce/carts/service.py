"""Storefront carts. The rules (docs/checkout.md):

* A cart is created by a storefront credential: a signed-in shopper's token makes the shopper's cart (their token
  is what authorises it from then on); anything else (a publishable key, a client's token) makes a guest cart and
  returns its ``secret`` once, stored only as a keyed hash: every later request on it must send ``X-Cart-Secret``.
  A cart asked for by anyone else, or without (or with a wrong) secret, is ``cart_not_found``: 404 either way,
  so a cart id alone reveals nothing.
* One currency per cart (the shop's by default); a line is a variant of an active product priced in it, at most
  ``MAX_QUANTITY`` of it, at most ``MAX_LINES`` lines; adding a variant already in the cart adds to its line.
* Every change takes the cart's row lock, honours ``If-Match`` (the cart's ``version``, 412 otherwise), refreshes
  the lines' prices, recomputes the totals through ``commerce.pricing``, moves ``version`` and the idle expiry on,
  and records ``cart.created`` / ``cart.updated`` in the same transaction.
* Only an ``open`` cart changes; a completed or expired one is read-only (409 ``cart_closed``).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal, PrincipalKind
from auth.secrets import SecretHasher, SecretKind, new_secret
from commerce.carts import repository, totals
from commerce.carts.errors import (
    CartClosed,
    CartLineLimitReached,
    CartLineNotFound,
    CartNotFound,
    VariantNotForSale,
)
from commerce.carts.models import Cart, CartLine, CartStatus
from commerce.carts.schemas import (
    MAX_LINES,
    MAX_QUANTITY,
    CartCreate,
    CartLineCreate,
    CartRead,
    CartUpdate,
    cart_body,
)
from commerce.events import service as events
from commerce.pricing import ShippingOption, shipping_options
from commerce.shop import service as shop_service
from core.errors import InvalidInput, VersionMismatch
from core.settings import CheckoutSettings


@dataclass(frozen=True, slots=True)
class CartCaller:
    """Who asks for a cart: the storefront credential, the ``X-Cart-Secret`` it sent, and the tenant's hasher."""

    principal: Principal
    secret: str | None
    hasher: SecretHasher
    tenant_id: uuid.UUID

    @property
    def shopper_id(self) -> uuid.UUID | None:
        return self.principal.id if self.principal.kind is PrincipalKind.CUSTOMER else None

    def may_use(self, cart: Cart) -> bool:
        if cart.customer_id is not None:
            return self.shopper_id == cart.customer_id
        if self.secret is None or cart.secret_hash is None:
            return False
        return hmac.compare_digest(self.hasher.hash(self.secret, tenant_id=self.tenant_id), cart.secret_hash)


def _ttl(cart: Cart, settings: CheckoutSettings) -> timedelta:
    seconds = settings.shopper_cart_ttl_seconds if cart.customer_id else settings.guest_cart_ttl_seconds
    return timedelta(seconds=seconds)


async def get_cart(db: AsyncSession, cart_id: uuid.UUID, caller: CartCaller, *, lock: bool = False) -> Cart:
    """The caller's cart (see the module's rules: anyone else's is not found)."""
    cart = await repository.get_cart(db, cart_id, lock=lock)
    if cart is None or not caller.may_use(cart):
        raise CartNotFound()
    return cart


async def _open_for_change(db: AsyncSession, cart_id: uuid.UUID, caller: CartCaller, if_match: int | None) -> Cart:
    cart = await get_cart(db, cart_id, caller, lock=True)
    if cart.status is not CartStatus.OPEN:
        raise CartClosed(status=cart.status.value, order_id=str(cart.order_id) if cart.order_id else None)
    if if_match is not None and cart.version != if_match:
        raise VersionMismatch(current_version=cart.version)
    return cart


async def create_cart(
    db: AsyncSession, body: CartCreate, caller: CartCaller, settings: CheckoutSettings, *, now: datetime
) -> tuple[Cart, str | None]:
    """A new cart (see the module's rules); returns it with the guest's secret (None for a shopper's cart)."""
    currency = body.currency or (await shop_service.get_shop(db)).default_currency
    secret = None if caller.shopper_id else new_secret(SecretKind.CART)
    cart = Cart(
        status=CartStatus.OPEN,
        customer_id=caller.shopper_id,
        secret_hash=caller.hasher.hash(secret, tenant_id=caller.tenant_id) if secret else None,
        currency=currency,
        email=body.email,
        quote={},
        version=1,
        lines=[],
    )
    cart.expires_at = now + _ttl(cart, settings)
    await repository.add(db, cart)
    for line in _merged(body.lines):
        await _add_line(db, cart, line)
    await totals.reprice(db, cart, now=now)
    await db.flush()
    await _record(db, "created", cart, caller)
    return cart, secret


def _merged(lines: list[CartLineCreate]) -> list[CartLineCreate]:
    """The same variant twice in one request is one line with the quantities added."""
    by_variant: dict[uuid.UUID, int] = {}
    for line in lines:
        by_variant[line.variant_id] = by_variant.get(line.variant_id, 0) + line.quantity
    return [CartLineCreate(variant_id=variant, quantity=quantity) for variant, quantity in by_variant.items()]


async def _add_line(db: AsyncSession, cart: Cart, body: CartLineCreate) -> None:
    facts = (await repository.variant_facts(db, [body.variant_id], cart.currency)).get(body.variant_id)
    if facts is None or not facts.for_sale or facts.price is None:
        raise VariantNotForSale(variant_id=str(body.variant_id), currency=cart.currency)
    existing = next((line for line in cart.lines if line.variant_id == body.variant_id), None)
    if existing is not None:
        _check_quantity(existing.quantity + body.quantity)
        existing.quantity += body.quantity
        return
    if len(cart.lines) >= MAX_LINES:
        raise CartLineLimitReached(max_lines=MAX_LINES)
    _check_quantity(body.quantity)
    cart.lines.append(
        CartLine(
            cart_id=cart.id,
            variant_id=facts.variant_id,
            product_id=facts.product_id,
            quantity=body.quantity,
            unit_price=facts.price,
            title=facts.product_title,
            variant_title=facts.variant_title,
            sku=facts.sku,
        )
    )


def _check_quantity(quantity: int) -> None:
    if quantity > MAX_QUANTITY:
        raise InvalidInput(
            errors=[{"loc": ["body", "quantity"], "message": f"at most {MAX_QUANTITY} per line", "type": "quantity"}]
        )


async def _changed(
    db: AsyncSession, cart: Cart, caller: CartCaller, settings: CheckoutSettings, *, now: datetime, **options: Any
) -> Cart:
    await totals.reprice(db, cart, now=now, **options)
    cart.version += 1
    cart.expires_at = now + _ttl(cart, settings)
    await db.flush()
    await _record(db, "updated", cart, caller)
    return cart


async def add_line(
    db: AsyncSession,
    cart_id: uuid.UUID,
    body: CartLineCreate,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    cart = await _open_for_change(db, cart_id, caller, if_match)
    await _add_line(db, cart, body)
    return await _changed(db, cart, caller, settings, now=now)


async def set_line_quantity(
    db: AsyncSession,
    cart_id: uuid.UUID,
    line_id: uuid.UUID,
    quantity: int,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    cart = await _open_for_change(db, cart_id, caller, if_match)
    _line(cart, line_id).quantity = quantity
    return await _changed(db, cart, caller, settings, now=now)


async def remove_line(
    db: AsyncSession,
    cart_id: uuid.UUID,
    line_id: uuid.UUID,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    cart = await _open_for_change(db, cart_id, caller, if_match)
    cart.lines.remove(_line(cart, line_id))
    return await _changed(db, cart, caller, settings, now=now)


def _line(cart: Cart, line_id: uuid.UUID) -> CartLine:
    line = next((line for line in cart.lines if line.id == line_id), None)
    if line is None:
        raise CartLineNotFound()
    return line


async def update_cart(
    db: AsyncSession,
    cart_id: uuid.UUID,
    body: CartUpdate,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    """Email and addresses (an address sent as ``null`` is cleared)."""
    cart = await _open_for_change(db, cart_id, caller, if_match)
    given = body.model_dump(exclude_unset=True, mode="json")
    if "email" in given:
        cart.email = given["email"]
    for field in ("shipping_address", "billing_address"):
        if field in given:
            setattr(cart, field, given[field])
    return await _changed(db, cart, caller, settings, now=now)


async def choose_shipping_rate(
    db: AsyncSession,
    cart_id: uuid.UUID,
    rate_id: uuid.UUID,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    """One of the cart's ``shipping-rates``; a rate that does not apply is refused (``shipping_rate_unavailable``)."""
    cart = await _open_for_change(db, cart_id, caller, if_match)
    cart.shipping_rate_id = rate_id
    return await _changed(db, cart, caller, settings, now=now, rate_must_apply=True)


async def apply_discount(
    db: AsyncSession,
    cart_id: uuid.UUID,
    code: str,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    """A code that does not exist or does not apply to this cart is refused, and the cart keeps its old code."""
    cart = await _open_for_change(db, cart_id, caller, if_match)
    cart.discount_code = code
    return await _changed(db, cart, caller, settings, now=now, discount_must_apply=True)


async def remove_discount(
    db: AsyncSession,
    cart_id: uuid.UUID,
    caller: CartCaller,
    settings: CheckoutSettings,
    *,
    if_match: int | None,
    now: datetime,
) -> Cart:
    cart = await _open_for_change(db, cart_id, caller, if_match)
    cart.discount_code = None
    return await _changed(db, cart, caller, settings, now=now)


async def list_shipping_rates(
    db: AsyncSession, cart_id: uuid.UUID, caller: CartCaller, *, now: datetime
) -> list[ShippingOption]:
    """The rates that apply to the cart's destination, currency, subtotal and weight (none without an address)."""
    cart = await get_cart(db, cart_id, caller)
    if cart.shipping_address is None:
        return []
    facts = await repository.variant_facts(db, [line.variant_id for line in cart.lines], cart.currency)
    return await shipping_options(db, totals.request_for(cart, facts, with_rate=False), now=now)


async def _record(db: AsyncSession, kind: str, cart: Cart, caller: CartCaller) -> None:
    data = CartRead.model_validate(cart_body(cart, cart.lines)).model_dump(mode="json")
    await events.record(
        db, type=f"cart.{kind}", resource_id=cart.id, version=cart.version, data=data, actor=caller.principal
    )


# --- the sweep -----------------------------------------------------------------------------------------

SWEEP_BATCH = 200
