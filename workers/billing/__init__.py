"""Billing task adapters (Stripe Connect)."""
