"""Cart problems. A guest cart asked for without its secret (or with a wrong one) is ``cart_not_found``, exactly
like a cart that does not exist: a cart id alone reveals nothing."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound


class CartNotFound(NotFound):
    code = "cart_not_found"
    title = "The cart does not exist, or this credential may not use it."


class CartClosed(Conflict):
    code = "cart_closed"
    title = "The cart is completed or expired; start a new cart."


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    title = "The cart has no such line."


class VariantNotForSale(InvalidInput):
    code = "variant_not_for_sale"
    title = "The variant does not exist, is not active, or has no price in the cart's currency."


class CartLineLimitReached(InvalidInput):
    code = "cart_line_limit_reached"
    title = "The cart holds the largest number of lines allowed."


class CartLinesUnavailable(Conflict):
    """``lines``: each line no longer for sale, with its reason (``deleted``, ``not_active``, ``not_priced``)."""

    code = "cart_lines_unavailable"
    title = "Some lines of the cart are no longer for sale; remove them and check out again."


class CartLinesChanged(Conflict):
    """``lines``: each line whose price changed since the cart was last changed. The cart now shows the new
    prices (its ``version`` moved on): check the totals and check out again."""

    code = "cart_prices_changed"
    title = "Prices in the cart changed; review the new totals and check out again."
    keeps_changes = True


class OutOfStock(Conflict):
    """``lines``: the line(s) whose variant has not enough stock left."""

    code = "out_of_stock"
    title = "Not enough stock is left for some lines of the cart."
