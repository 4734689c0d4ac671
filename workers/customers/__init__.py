"""Tasks of commerce.customers."""
