"""The tenant's OAuth server: each strictness the storefronts rely on, and the tenant boundary."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import (
    REDIRECT_URI,
    Browser,
    RegisterClient,
    RegisteredClient,
    authorize_query,
    callback_params,
    origin,
    pkce,
    token_request,
)
from tests.fixtures.tenants import TenantHandle

OpenBrowser = Callable[[TenantHandle], Browser]


async def _signed_in(browser_for: OpenBrowser, tenant: TenantHandle) -> Browser:
    browser = browser_for(tenant)
    assert (await browser.sign_up()).status_code == 303
    return browser


async def _code(browser: Browser, storefront: RegisteredClient, challenge: str, **overrides: str) -> str:
    params = callback_params(await browser.authorize(authorize_query(storefront.client_id, challenge, **overrides)))
    return params["code"]


def _exchange(storefront: RegisteredClient, code: str, verifier: str | None) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": storefront.client_id,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return form


async def _tokens(app: FastAPI, tenant: TenantHandle, browser: Browser, storefront: RegisteredClient) -> dict[str, str]:
    verifier, challenge = pkce()
    code = await _code(browser, storefront, challenge)
    secret = storefront.client_secret
    credentials = {"auth": (storefront.client_id, secret)} if secret else {}
    response = await token_request(app, tenant, _exchange(storefront, code, verifier), **credentials)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _profile(app: FastAPI, tenant: TenantHandle, access_token: str) -> httpx.Response:
    async with asgi_client(app, origin(tenant)) as http:
        return await http.get("/storefront/v1/customer", headers={"authorization": f"Bearer {access_token}"})


async def test_replayed_code_is_refused_and_revokes_what_it_issued(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    verifier, challenge = pkce()
    code = await _code(browser, storefront, challenge)
    first = await token_request(app, tenant_a, _exchange(storefront, code, verifier))
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert (await _profile(app, tenant_a, access)).status_code == 200

    replay = await token_request(app, tenant_a, _exchange(storefront, code, verifier))

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (await _profile(app, tenant_a, access)).status_code == 401
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first.json()["refresh_token"],
        "client_id": storefront.client_id,
    }
    assert (await token_request(app, tenant_a, refresh)).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("verifier", ["wrong-verifier-" + "x" * 40, None], ids=["wrong", "missing"])
async def test_code_exchange_needs_the_right_verifier(
    app: FastAPI,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
    verifier: str | None,
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()
    code = await _code(browser, storefront, challenge)

    response = await token_request(app, tenant_a, _exchange(storefront, code, verifier))

    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}
    assert "access_token" not in response.json()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"scope": "customer:profile customer:orders"}, "invalid_scope"),
    ],
    ids=["plain", "method-missing", "challenge-missing", "unregistered-scope"],
)
async def test_bad_authorization_requests_come_back_to_the_client_as_errors(
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
    overrides: dict[str, str],
    error: str,
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, **overrides)}"
    )

    params = callback_params(response)
    assert params["error"] == error
    assert "code" not in params


async def test_unregistered_redirect_uri_is_shown_an_error_and_never_redirected_to(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()
    query = authorize_query(storefront.client_id, challenge, redirect_uri="https://evil.example.com/callback")

    response = await browser.http.get(f"/oauth/authorize?{query}")

    assert response.status_code == 400
    assert "location" not in response.headers
    assert "evil.example.com" not in response.text


async def test_denied_consent_sends_access_denied(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.authorize(authorize_query(storefront.client_id, challenge), decision="deny")

    assert callback_params(response)["error"] == "access_denied"


async def test_first_party_client_skips_consent(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.http.get(f"/oauth/authorize?{authorize_query(storefront.client_id, challenge)}")

    assert "code" in callback_params(response)


async def test_consent_needs_the_csrf_token(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()
    query = authorize_query(storefront.client_id, challenge)

    response = await browser.http.post(f"/oauth/authorize?{query}", data={"csrf_token": "forged", "decision": "allow"})

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "location" not in response.headers


async def test_refresh_token_reuse_revokes_the_whole_family(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    first = await _tokens(app, tenant_a, await _signed_in(browser_for, tenant_a), storefront)

    def refresh(token: str) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": token, "client_id": storefront.client_id}

    second = await token_request(app, tenant_a, refresh(first["refresh_token"]))
    assert second.status_code == 200
    newest = second.json()

    reuse = await token_request(app, tenant_a, refresh(first["refresh_token"]))

    assert reuse.json()["error"] == "invalid_grant"
    assert (await _profile(app, tenant_a, newest["access_token"])).status_code == 401
    assert (await token_request(app, tenant_a, refresh(newest["refresh_token"]))).json()["error"] == "invalid_grant"


async def test_client_credentials_for_a_confidential_client_only(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    server = await register_client(tenant_a, kind="confidential", scopes=["storefront:catalog", "customer:profile"])
    spa = await register_client(tenant_a, kind="public")
    assert server.client_secret is not None
    assert server.client_secret.startswith("cs_")

    granted = await token_request(
        app, tenant_a, {"grant_type": "client_credentials"}, auth=(server.client_id, server.client_secret)
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["scope"] == "storefront:catalog"  # never a shopper's scope
    assert "refresh_token" not in granted.json()
    async with asgi_client(app, origin(tenant_a)) as http:
        bearer = {"authorization": f"Bearer {granted.json()['access_token']}"}
        assert (await http.get("/storefront/v1/shop", headers=bearer)).status_code == 200
        assert (await http.get("/storefront/v1/customer", headers=bearer)).status_code == 403

    shopper_scope = await token_request(
        app,
        tenant_a,
        {"grant_type": "client_credentials", "scope": "customer:profile"},
        auth=(server.client_id, server.client_secret),
    )
    assert shopper_scope.json()["error"] == "invalid_scope"
    public = await token_request(app, tenant_a, {"grant_type": "client_credentials", "client_id": spa.client_id})
    assert public.status_code in {400, 401}
    assert public.json()["error"] in {"invalid_client", "unauthorized_client"}
    wrong_secret = await token_request(
        app, tenant_a, {"grant_type": "client_credentials"}, auth=(server.client_id, "cs_wrong")
    )
    assert wrong_secret.json()["error"] == "invalid_client"


async def test_tokens_of_tenant_a_are_refused_on_tenant_b(
    app: FastAPI,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    storefront_a = await register_client(
        tenant_a, kind="confidential", scopes=["storefront:catalog", "customer:profile"]
    )
    resource_server_b = await register_client(tenant_b, kind="confidential", scopes=["storefront:catalog"])
    assert storefront_a.client_secret is not None
    assert resource_server_b.client_secret is not None
    tokens = await _tokens(app, tenant_a, await _signed_in(browser_for, tenant_a), storefront_a)

    on_b = await _profile(app, tenant_b, tokens["access_token"])
    assert on_b.status_code == 401
    assert "email" not in on_b.text

    async with asgi_client(app, origin(tenant_b)) as http:
        introspected = await http.post(
            "/oauth/introspect",
            data={"token": tokens["access_token"]},
            auth=(resource_server_b.client_id, resource_server_b.client_secret),
        )
    assert introspected.status_code == 200
    assert introspected.json() == {"active": False}

    async with asgi_client(app, origin(tenant_a)) as http:
        own = await http.post(
            "/oauth/introspect",
            data={"token": tokens["access_token"]},
            auth=(storefront_a.client_id, storefront_a.client_secret),
        )
    assert own.json()["active"] is True
    assert own.json()["iss"] == origin(tenant_a)
    # A client of tenant A is unknown on tenant B's token endpoint.
    cross = await token_request(
        app, tenant_b, {"grant_type": "client_credentials"}, auth=(storefront_a.client_id, storefront_a.client_secret)
    )
    assert cross.json()["error"] == "invalid_client"


async def test_revoked_client_loses_its_tokens(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    storefront = await register_client(tenant_a)
    tokens = await _tokens(app, tenant_a, await _signed_in(browser_for, tenant_a), storefront)

    response = await client.delete(f"/admin/v1/oauth-clients/{storefront.id}", headers=tenant_a.headers)

    assert response.status_code == 204
    assert (await _profile(app, tenant_a, tokens["access_token"])).status_code == 401


async def test_customer_sign_in_is_slowed_after_repeated_failures(
    tenant_a: TenantHandle, browser_for: OpenBrowser
) -> None:
    browser = await _signed_in(browser_for, tenant_a)
    wrong = "wrong-password-123"  # pragma: allowlist secret
    statuses = [(await browser.sign_in(password=wrong)).status_code for _ in range(6)]

    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    blocked = await browser.sign_in()  # even the right password waits out the window
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.text


async def test_metadata_describes_this_tenants_server(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.get("/.well-known/oauth-authorization-server", headers={"x-tenant": tenant_a.slug})

    assert response.status_code == 400  # plain HTTP is refused outside development
    async with httpx.AsyncClient(transport=client._transport, base_url=origin(tenant_a)) as https:
        metadata = (await https.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == origin(tenant_a)
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "implicit" not in metadata["grant_types_supported"]
    assert "password" not in metadata["grant_types_supported"]
