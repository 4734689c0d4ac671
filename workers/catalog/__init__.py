"""Catalog task adapters."""
