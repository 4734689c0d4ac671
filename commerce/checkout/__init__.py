"""Checkout: from a cart to a PaymentIntent on the tenant's connected account, and the one locked ``finalize``
that turns a paid intent into exactly one order (docs/checkout.md)."""
