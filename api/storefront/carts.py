"""Storefront carts and their checkout (docs/checkout.md): a publishable key or a storefront token; a guest cart
also needs its `X-Cart-Secret`, a shopper's cart the shopper's own token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from api.billing_deps import Stripe
from api.deps import CartPrincipal, IfMatch, State, Tenant, TenantSession, etag
from api.headers import no_store
from api.idempotency import IdempotencyKeyRequired, IdempotentRoute
from api.problems import problems
from billing.errors import BillingNotConfigured, ConnectedAccountCannotCharge, StripeRequestFailed, StripeUnavailable
from commerce.carts import service as carts_service
from commerce.carts.errors import (
    CartClosed,
    CartLineLimitReached,
    CartLineNotFound,
    CartLinesChanged,
    CartLinesUnavailable,
    CartNotFound,
    OutOfStock,
    VariantNotForSale,
)
from commerce.carts.models import Cart
from commerce.carts.schemas import (
    CartCreate,
    CartCreated,
    CartLineCreate,
    CartLineUpdate,
    CartRead,
    CartUpdate,
    DiscountCodeApply,
    ShippingRateChoice,
    ShippingRateList,
    ShippingRateOption,
    cart_body,
)
from commerce.carts.service import CartCaller
from commerce.checkout import service as checkout_service
from commerce.checkout.errors import (
    CartIncomplete,
    CheckoutAmountInvalid,
    CheckoutNotFound,
    CheckoutRefunded,
    PaymentNotCompleted,
)
from commerce.checkout.finalize import confirm
from commerce.checkout.schemas import CheckoutConfirm, CheckoutRead
from commerce.pricing import DiscountCodeNotFound, DiscountNotApplicable, ShippingRateUnavailable
from core.clock import utcnow
from core.errors import VersionMismatch
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/carts", tags=["storefront: carts"])


async def cart_caller(
    state: State,
    tenant: Tenant,
    principal: CartPrincipal,
    x_cart_secret: Annotated[
        Text | None, Header(description="A guest cart's secret, returned once when the cart was created.")
    ] = None,
) -> CartCaller:
    return CartCaller(principal, x_cart_secret, state.auth.hasher, tenant.id)


Caller = Annotated[CartCaller, Depends(cart_caller)]

_SEEN = (CartNotFound, TenantNotFound)
_CHANGE = (*_SEEN, CartClosed, VersionMismatch)


def _read(cart: Cart, response: Response) -> CartRead:
    response.headers["ETag"] = etag(cart.version)
    return CartRead.model_validate(cart_body(cart, cart.lines))


@router.post(
    "",
    status_code=201,
    response_model=CartCreated,
    operation_id="storefront_carts_create",
    responses=problems(VariantNotForSale, CartLineLimitReached),
    dependencies=[Depends(no_store)],  # a guest cart's secret: no cache keeps it, nor the idempotency store
)
async def create_cart(
    body: CartCreate, db: TenantSession, caller: Caller, state: State, response: Response
) -> CartCreated:
    """A new cart: the signed-in shopper's with a shopper's token, else a guest cart with its one-time `secret`."""
    cart, secret = await carts_service.create_cart(db, body, caller, state.settings.checkout, now=utcnow())
    response.headers["ETag"] = etag(cart.version)
    return CartCreated.model_validate({**cart_body(cart, cart.lines), "secret": secret})


@router.get("/{cart_id}", response_model=CartRead, operation_id="storefront_carts_get", responses=problems(*_SEEN))
async def get_cart(cart_id: uuid.UUID, db: TenantSession, caller: Caller, response: Response) -> CartRead:
    """The cart with its lines and totals (as last computed)."""
    return _read(await carts_service.get_cart(db, cart_id, caller), response)


@router.patch(
    "/{cart_id}", response_model=CartRead, operation_id="storefront_carts_update", responses=problems(*_CHANGE)
)
async def update_cart(
    cart_id: uuid.UUID,
    body: CartUpdate,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Set the email and the shipping and billing addresses (`null` clears an address)."""
    cart = await carts_service.update_cart(
        db, cart_id, body, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.post(
    "/{cart_id}/lines",
    response_model=CartRead,
    operation_id="storefront_cart_lines_add",
    responses=problems(*_CHANGE, VariantNotForSale, CartLineLimitReached),
)
async def add_cart_line(
    cart_id: uuid.UUID,
    body: CartLineCreate,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Add a variant (to its line, if the cart already has one)."""
    cart = await carts_service.add_line(
        db, cart_id, body, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.patch(
    "/{cart_id}/lines/{line_id}",
    response_model=CartRead,
    operation_id="storefront_cart_lines_update",
    responses=problems(*_CHANGE, CartLineNotFound),
)
async def update_cart_line(
    cart_id: uuid.UUID,
    line_id: uuid.UUID,
    body: CartLineUpdate,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Set a line's quantity."""
    cart = await carts_service.set_line_quantity(
        db, cart_id, line_id, body.quantity, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.delete(
    "/{cart_id}/lines/{line_id}",
    response_model=CartRead,
    operation_id="storefront_cart_lines_delete",
    responses=problems(*_CHANGE, CartLineNotFound),
)
async def delete_cart_line(
    cart_id: uuid.UUID,
    line_id: uuid.UUID,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Remove a line; answers with the cart."""
    cart = await carts_service.remove_line(
        db, cart_id, line_id, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.get(
    "/{cart_id}/shipping-rates",
    response_model=ShippingRateList,
    operation_id="storefront_cart_shipping_rates_list",
    responses=problems(*_SEEN),
)
async def list_cart_shipping_rates(cart_id: uuid.UUID, db: TenantSession, caller: Caller) -> ShippingRateList:
    """The shipping rates that apply to the cart (its address, currency, subtotal and weight); none without an
    address."""
    options = await carts_service.list_shipping_rates(db, cart_id, caller, now=utcnow())
    return ShippingRateList(
        data=[
            ShippingRateOption(
                id=option.rate_id,
                name=option.name,
                amount=option.amount,
                currency=option.currency,
                delivery_estimate=option.delivery_estimate,
            )
            for option in options
        ]
    )


@router.put(
    "/{cart_id}/shipping-rate",
    response_model=CartRead,
    operation_id="storefront_cart_shipping_rate_set",
    responses=problems(*_CHANGE, ShippingRateUnavailable),
)
async def set_cart_shipping_rate(
    cart_id: uuid.UUID,
    body: ShippingRateChoice,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Choose one of the cart's shipping rates."""
    cart = await carts_service.choose_shipping_rate(
        db, cart_id, body.rate_id, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.put(
    "/{cart_id}/discount",
    response_model=CartRead,
    operation_id="storefront_cart_discount_apply",
    responses=problems(*_CHANGE, DiscountCodeNotFound, DiscountNotApplicable),
)
async def apply_cart_discount(
    cart_id: uuid.UUID,
    body: DiscountCodeApply,
    db: TenantSession,
    caller: Caller,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> CartRead:
    """Apply a discount code (one per cart; it replaces the previous one). A code that does not apply is refused."""
    cart = await carts_service.apply_discount(
        db, cart_id, body.code, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


@router.delete(
    "/{cart_id}/discount",
    response_model=CartRead,
    operation_id="storefront_cart_discount_remove",
    responses=problems(*_CHANGE),
)
async def remove_cart_discount(
    cart_id: uuid.UUID, db: TenantSession, caller: Caller, state: State, if_match: IfMatch, response: Response
) -> CartRead:
    """Remove the cart's discount code."""
    cart = await carts_service.remove_discount(
        db, cart_id, caller, state.settings.checkout, if_match=if_match, now=utcnow()
    )
    return _read(cart, response)


# --- checkout -------------------------------------------------------------------------------------------


_CHECKOUT_PROBLEMS = (
    *_SEEN,
    CartClosed,
    CartIncomplete,
    CartLinesUnavailable,
    CartLinesChanged,
    OutOfStock,
    DiscountCodeNotFound,
    DiscountNotApplicable,
    ShippingRateUnavailable,
    CheckoutAmountInvalid,
    ConnectedAccountCannotCharge,
    BillingNotConfigured,
    StripeUnavailable,
    StripeRequestFailed,
)


@router.post(
    "/{cart_id}/checkout",
    response_model=CheckoutRead,
    operation_id="storefront_cart_checkout",
    responses=problems(*_CHECKOUT_PROBLEMS),
    # The body carries the PaymentIntent's client secret: never kept by the idempotency store (a retry with the
    # same key runs again, and finds the same checkout and intent).
    dependencies=[IdempotencyKeyRequired, Depends(no_store)],
)
async def checkout_cart(
    cart_id: uuid.UUID, db: TenantSession, caller: Caller, state: State, tenant: Tenant, stripe: Stripe
) -> CheckoutRead:
    """Send the cart to payment: re-validate it, hold its stock and discount, and create the PaymentIntent on the
    shop's Stripe account (or return the same one for an unchanged cart). Hand `payment_intent.client_secret` and
    `stripe_account` to Stripe.js."""
    opened = await checkout_service.open_checkout(db, cart_id, caller, state.settings.stripe, now=utcnow())
    # Step 1 is committed before Stripe is called: no stock, discount or event-log lock is held across the call.
    await db.commit()
    checkout, intent = await checkout_service.attach_intent(db, stripe, opened.checkout.id, tenant_id=tenant.id)
    result = await checkout_service.read(db, checkout, intent)
    await db.commit()
    await checkout_service.cancel_intents(stripe, opened.superseded)
    return result


@router.post(
    "/{cart_id}/checkout/confirm",
    response_model=CheckoutRead,
    operation_id="storefront_cart_checkout_confirm",
    responses=problems(
        *_SEEN, CheckoutNotFound, PaymentNotCompleted, CheckoutRefunded, BillingNotConfigured, StripeUnavailable
    ),
)
async def confirm_cart_checkout(
    cart_id: uuid.UUID, db: TenantSession, caller: Caller, stripe: Stripe, body: CheckoutConfirm | None = None
) -> CheckoutRead:
    """After Stripe.js returns: place the order now instead of waiting for the webhook (whichever comes first
    places it; the other finds it). 409 `payment_not_completed` while the payment has not succeeded."""
    checkout, intent = await confirm(db, stripe, cart_id, caller, body.checkout_id if body else None, now=utcnow())
    return await checkout_service.read(db, checkout, intent)
