"""Inbound calls from third parties and their browser redirects: /hooks. No tenant host, no bearer token;
each route authenticates what it receives (a signature, a signed state)."""

from __future__ import annotations

from fastapi import APIRouter

from api.hooks import stripe

router = APIRouter(prefix="/hooks")
router.include_router(stripe.router)
