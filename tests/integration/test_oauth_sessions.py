"""The shopper's session at the OAuth server on a shared device: prompt, max_age, end-session; and the details
that keep codes and redirect URIs unambiguous."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.oauth.pages import SESSION_COOKIE
from auth.customers import repository as customers_repository
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, kind_of
from core.db import Database
from core.settings import Settings
from tests.fixtures.oauth import REDIRECT_URI, Browser, RegisterClient, authorize_query, callback_params, pkce
from tests.fixtures.tenants import TenantHandle

OpenBrowser = Callable[[TenantHandle], Browser]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _signed_in(browser_for: OpenBrowser, tenant: TenantHandle) -> Browser:
    browser = browser_for(tenant)
    assert (await browser.sign_up()).status_code == 303
    return browser


async def test_codes_carry_the_oac_prefix(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    code = callback_params(
        await browser.http.get(f"/oauth/authorize?{authorize_query(storefront.client_id, challenge)}")
    )["code"]

    assert kind_of(code) is SecretKind.AUTHORIZATION_CODE


async def test_prompt_login_asks_again_even_with_a_session(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()
    query = authorize_query(storefront.client_id, challenge, prompt="login")

    page = await browser.http.get(f"/oauth/authorize?{query}")
    assert page.status_code == 200
    assert 'name="password"' in page.text  # the sign-in form, not a code

    signed_in = await browser.sign_in(query)
    assert signed_in.status_code == 303
    resumed = signed_in.headers["location"]
    assert "prompt" not in parse_qs(urlsplit(resumed).query)  # satisfied: asking again would loop
    assert "code" in callback_params(await browser.http.get(resumed))


async def test_prompt_none_without_a_session_returns_login_required(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    _, challenge = pkce()
    query = authorize_query(storefront.client_id, challenge, prompt="none", state="s-1")

    response = await browser_for(tenant_a).http.get(f"/oauth/authorize?{query}")

    assert callback_params(response) == {"error": "login_required", "state": "s-1"}


async def test_prompt_none_needing_consent_returns_consent_required(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)  # third party: consent page
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, prompt='none')}"
    )

    assert callback_params(response)["error"] == "consent_required"


async def test_prompt_none_with_a_session_issues_silently(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, prompt='none')}"
    )

    assert "code" in callback_params(response)


@pytest.mark.parametrize("max_age", ["abc", "²", "9" * 4400, "-1"])
async def test_a_malformed_max_age_is_an_invalid_request(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser, max_age: str
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    _, challenge = pkce()

    response = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, max_age=max_age)}"
    )

    assert callback_params(response)["error"] == "invalid_request"


async def test_a_session_older_than_max_age_needs_a_fresh_sign_in(
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    await _backdate_session(database, settings, tenant_a, browser, seconds=120)
    _, challenge = pkce()

    stale = await browser.http.get(f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, max_age='60')}")
    silent = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, max_age='60', prompt='none')}"
    )
    recent_enough = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, max_age='3600')}"
    )

    assert stale.status_code == 200
    assert 'name="password"' in stale.text
    assert callback_params(silent)["error"] == "login_required"
    assert "code" in callback_params(recent_enough)


async def _backdate_session(
    database: Database, settings: Settings, tenant: TenantHandle, browser: Browser, *, seconds: int
) -> None:
    """Replace the browser's session cookie with one for the same shopper, signed in ``seconds`` ago."""
    auth = AuthRuntime.build(settings)
    async with database.scoped_session(tenant.schema_name) as db:
        customer = await customers_repository.get_by_email(db, browser.email)
    assert customer is not None
    value = auth.customer_sessions.issue(
        customer_id=customer.id,
        tenant_id=uuid.UUID(tenant.id),
        password_hash=customer.password_hash,
        now=time.time() - seconds,
    )
    await auth.close()
    browser.http.cookies.set(
        SESSION_COOKIE, value, domain=urlsplit(str(browser.http.base_url)).hostname or "", path="/oauth"
    )


async def test_end_session_asks_then_signs_out_and_returns_to_the_storefront(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a, first_party=True)
    browser = await _signed_in(browser_for, tenant_a)
    params = {"client_id": storefront.client_id, "post_logout_redirect_uri": REDIRECT_URI, "state": "bye"}

    confirm = await browser.http.get("/oauth/end-session", params=params)
    assert confirm.status_code == 200
    assert "Sign out of" in confirm.text
    assert (await browser.http.get("/oauth/account")).status_code == 200  # a link alone signs nobody out

    token = _CSRF.search(confirm.text)
    assert token
    done = await browser.http.post("/oauth/end-session", data={**params, "csrf_token": token.group(1)})

    assert done.status_code == 303
    assert done.headers["location"] == f"{REDIRECT_URI}?state=bye"
    assert (await browser.http.get("/oauth/account")).status_code == 401
    _, challenge = pkce()
    again = await browser.http.get(
        f"/oauth/authorize?{authorize_query(storefront.client_id, challenge, prompt='none')}"
    )
    assert callback_params(again)["error"] == "login_required"  # the next shopper does not continue the session


async def test_end_session_never_redirects_to_an_unregistered_uri(
    tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    storefront = await register_client(tenant_a)
    browser = browser_for(tenant_a)

    for params in (
        {"client_id": storefront.client_id, "post_logout_redirect_uri": "https://evil.example.com/"},
        {"post_logout_redirect_uri": REDIRECT_URI},  # no client: nothing to check the URI against
        {"client_id": "unknown", "post_logout_redirect_uri": REDIRECT_URI},
    ):
        response = await browser.http.get("/oauth/end-session", params=params)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "evil.example.com" not in response.text


async def test_end_session_post_needs_the_csrf_token(tenant_a: TenantHandle, browser_for: OpenBrowser) -> None:
    browser = await _signed_in(browser_for, tenant_a)

    response = await browser.http.post("/oauth/end-session", data={"csrf_token": "forged"})

    assert response.status_code == 403
    assert (await browser.http.get("/oauth/account")).status_code == 200


async def test_throttled_sign_in_page_says_when_to_retry(tenant_a: TenantHandle, browser_for: OpenBrowser) -> None:
    browser = await _signed_in(browser_for, tenant_a)
    wrong = "wrong-password-123"  # pragma: allowlist secret
    for _ in range(5):
        await browser.sign_in(password=wrong)

    blocked = await browser.sign_in()

    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "uri",
    [
        "https://*.example.com/callback",
        "https://shop.example.com/*",
        "https://user:secret@shop.example.com/callback",  # pragma: allowlist secret
        "https://shop.example.com:99999/callback",
        "https://shop.example.com/call back",
        "https://shop.example.com\\@evil.example.com/",
        "https:///callback",
        "https://shop.example.com/callback#fragment",
        "/callback",
    ],
)
async def test_ambiguous_redirect_uris_are_refused_at_registration(
    client: httpx.AsyncClient, tenant_a: TenantHandle, uri: str
) -> None:
    body = {"name": "Storefront", "kind": "public", "redirect_uris": [uri], "scopes": ["storefront:catalog"]}

    response = await client.post("/admin/v1/oauth-clients", json=body, headers=tenant_a.headers)

    assert response.status_code == 422, response.text
