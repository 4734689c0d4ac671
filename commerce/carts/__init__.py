"""Storefront carts: lines by variant in one currency, contact and addresses, a shipping rate, a discount code,
and totals recomputed through ``commerce.pricing`` on every change (docs/checkout.md)."""
