"""A real OAuth client (authlib's own httpx client) through the whole storefront flow against the ASGI app."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import FastAPI

from tests.fixtures.oauth import REDIRECT_URI, Browser, RegisterClient, origin, pkce
from tests.fixtures.tenants import TenantHandle


async def test_public_client_signs_a_shopper_in_refreshes_and_is_refused_after_revocation(
    app: FastAPI,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: Callable[[TenantHandle], Browser],
) -> None:
    storefront = await register_client(tenant_a, kind="public")
    base = origin(tenant_a)
    oauth = AsyncOAuth2Client(
        client_id=storefront.client_id,
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        redirect_uri=REDIRECT_URI,
        scope="customer:profile storefront:catalog",
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
        base_url=base,
    )
    verifier, _ = pkce()
    authorization_url, state = oauth.create_authorization_url(f"{base}/oauth/authorize", code_verifier=verifier)

    # The shopper's browser: the sign-in page, a new account, the consent page, then back to the storefront.
    browser = browser_for(tenant_a)
    query = authorization_url.split("?", 1)[1]
    login_page = await browser.http.get(f"/oauth/authorize?{query}")
    assert login_page.status_code == 200
    assert "Sign in" in login_page.text
    signed_up = await browser.sign_up(query)
    assert signed_up.status_code == 303
    assert signed_up.headers["location"] == f"/oauth/authorize?{query}"
    callback = await browser.authorize(query)
    assert callback.status_code == 302

    token = await oauth.fetch_token(
        f"{base}/oauth/token", authorization_response=callback.headers["location"], code_verifier=verifier, state=state
    )
    assert token["access_token"].startswith("oat_")
    assert token["refresh_token"].startswith("ort_")
    assert set(token["scope"].split()) == {"customer:profile", "storefront:catalog"}

    profile = await oauth.get("/storefront/v1/customer")
    assert profile.status_code == 200, profile.text
    assert profile.json()["email"] == browser.email

    refreshed = await oauth.refresh_token(f"{base}/oauth/token")
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert (await oauth.get("/storefront/v1/customer")).status_code == 200

    revoked = await oauth.revoke_token(f"{base}/oauth/revoke", token=refreshed["access_token"])
    assert revoked.status_code == 200
    refused = await oauth.get("/storefront/v1/customer")
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    await oauth.aclose()
