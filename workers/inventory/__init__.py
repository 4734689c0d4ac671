"""Tasks of commerce.inventory."""
