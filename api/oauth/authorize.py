"""/oauth/authorize and the shopper's pages around it: sign-in, sign-up, consent, sign-out, password reset."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import State, Tenant, TenantSession, client_ip
from api.oauth import pages
from api.oauth.adapter import (
    origin,
    read_form,
    require_secure_transport,
    text_query,
    to_http_request,
    to_response,
)
from auth import scopes
from auth.customers import service as customers_service
from auth.customers.models import Customer
from auth.customers.schemas import CustomerSignUp
from auth.oauth import interaction
from auth.oauth import service as oauth_service
from auth.oauth.interaction import Interaction
from auth.oauth.server import TenantOAuthServer
from auth.oauth.store import OAuthStore
from auth.oauth.wire import run_sync
from commerce.customers import service as commerce_customers
from commerce.shop import service as shop_service
from core.errors import Problem
from core.validation import Text

router = APIRouter(
    prefix="/oauth", tags=["oauth: pages"], default_response_class=HTMLResponse, dependencies=[Depends(text_query)]
)


@dataclass(frozen=True, slots=True)
class ShopperSession:
    customer: Customer
    signed_in_at: int  # Unix time


async def shopper_session(request: Request, state: State, tenant: Tenant, db: TenantSession) -> ShopperSession | None:
    """The shopper's sign-in at this tenant's OAuth server (cookie), if it still stands."""
    sessions = state.auth.customer_sessions
    claims = sessions.read(request.cookies.get(pages.SESSION_COOKIE), tenant_id=tenant.id)
    if claims is None:
        return None
    customer = await customers_service.find_customer(db, claims.customer_id)
    if customer is None or not sessions.still_valid(claims.fingerprint, customer.password_hash):
        return None
    return ShopperSession(customer, claims.authenticated_at)


CurrentSession = Annotated[ShopperSession | None, Depends(shopper_session)]


async def signed_in_customer(session: CurrentSession) -> Customer | None:
    return session.customer if session else None


SignedInCustomer = Annotated[Customer | None, Depends(signed_in_customer)]


async def oauth_server(request: Request, state: State, tenant: Tenant, db: TenantSession) -> TenantOAuthServer:
    require_secure_transport(request, state.settings.auth)
    return TenantOAuthServer(OAuthStore(db, state.auth, tenant), issuer=origin(request))


OAuthServer = Annotated[TenantOAuthServer, Depends(oauth_server)]


class _Page:
    """Renders this tenant's pages with its shop name."""

    def __init__(self, request: Request, state: State, db: TenantSession) -> None:
        self.request, self.settings, self.db = request, state.settings.auth, db

    async def __call__(self, template: str, *, status: int = 200, **context: object) -> HTMLResponse:
        shop = await shop_service.get_shop(self.db)
        return pages.render(self.request, self.settings, template, status=status, shop_name=shop.name, **context)

    async def message(self, heading: str, message: str, *, status: int = 200) -> HTMLResponse:
        return await self("message.html", status=status, heading=heading, message=message, is_error=status >= 400)


Page = Annotated[_Page, Depends()]


def _explain(error: str | None) -> str:
    """Our own words for an invalid client or redirect URI: never the request's values, which an attacker chose."""
    if error == "invalid_client":
        return "The app that sent you here is not registered with this shop."
    return "The app that sent you here made an invalid request. Go back to the shop and try again."


def _authorize_query(raw: str) -> str:
    """The authorization request's parameters, re-encoded: they can only ever become a query of /oauth/authorize."""
    return urlencode(parse_qsl(raw, keep_blank_values=True))


@router.get("/authorize", operation_id="oauth_authorize")
async def authorize(request: Request, server: OAuthServer, session: CurrentSession, page: Page) -> Response:
    """Authorization endpoint (authorization code + PKCE S256). Shows sign-in, then consent unless first-party.

    Honours OpenID's ``prompt`` (``none``, ``login``, ``consent``) and ``max_age``.
    """
    request_data = await to_http_request(request)
    customer = session.customer if session else None
    check = await run_sync(lambda: server.check_authorization(request_data, customer))
    if check.redirect is not None:
        return to_response(check.redirect)
    if check.error is not None or check.client is None:
        return await page.message("This sign-in link is not valid", _explain(check.error), status=400)
    query = _authorize_query(request.url.query)
    signed_in_at = session.signed_in_at if session else None
    step = await run_sync(lambda: interaction.plan(server, check, signed_in_at, now=time.time()))
    if not isinstance(step, Interaction):
        return to_response(step)
    if step is Interaction.SIGN_IN or customer is None:
        return await page("login.html", authorize_query=query)
    if step is Interaction.ISSUE:
        return to_response(await run_sync(lambda: server.decide(check, customer)))
    descriptions = [scopes.STOREFRONT_SCOPES[scope] for scope in check.scopes]
    return await page(
        "consent.html",
        authorize_query=query,
        client_name=check.client.name,
        customer_email=customer.email,
        scope_descriptions=descriptions,
    )


@router.post("/authorize", operation_id="oauth_authorize_decide")
async def decide_authorization(
    request: Request, server: OAuthServer, customer: SignedInCustomer, page: Page
) -> Response:
    """The shopper's answer on the consent page: a code (allow) or `access_denied` (deny) at the redirect URI."""
    form = await read_form(request)
    pages.check_csrf(request, dict(form))
    if customer is None:
        return await page("login.html", status=401, authorize_query=_authorize_query(request.url.query))
    request_data = await to_http_request(request, form=form)
    check = await run_sync(lambda: server.check_authorization(request_data, customer))
    if check.redirect is not None:
        return to_response(check.redirect)
    if check.error is not None:
        return await page.message("This sign-in link is not valid", _explain(check.error), status=400)
    allowed = dict(form).get("decision") == "allow"
    return to_response(await run_sync(lambda: server.decide(check, customer if allowed else None)))


@router.post("/login", operation_id="oauth_login")
async def sign_in(request: Request, state: State, tenant: Tenant, db: TenantSession, page: Page) -> Response:
    """The sign-in form: on success, back to /oauth/authorize with the same request. Slowed after failures."""
    form = dict(await read_form(request))
    pages.check_csrf(request, form)
    query = _authorize_query(form.get("authorize_query", ""))
    email = form.get("email", "")
    try:
        customer = await customers_service.sign_in(
            db, state.auth, tenant, email=email, password=form.get("password", ""), ip=client_ip(request)
        )
    except Problem as problem:
        response = await page(
            "login.html", status=problem.status, authorize_query=query, email=email, error=problem.title
        )
        response.headers.update(problem.headers())  # Retry-After of a throttled sign-in
        return response
    resumed = urlencode(interaction.after_sign_in(parse_qsl(query, keep_blank_values=True)))
    return _signed_in(state, tenant.id, customer, resumed)


@router.get("/signup", operation_id="oauth_signup_page")
async def sign_up_page(request: Request, page: Page) -> Response:
    """The sign-up form."""
    return await page("signup.html", authorize_query=_authorize_query(request.url.query))


@router.post("/signup", operation_id="oauth_signup")
async def sign_up(request: Request, state: State, tenant: Tenant, db: TenantSession, page: Page) -> Response:
    """Create a customer account at this shop and sign in; then back to /oauth/authorize if a client asked."""
    form = dict(await read_form(request))
    pages.check_csrf(request, form)
    query = _authorize_query(form.get("authorize_query", ""))
    try:
        body = CustomerSignUp(email=form.get("email", ""), password=form.get("password", ""), name=form.get("name", ""))
        customer = await commerce_customers.sign_up(db, state.auth, body)
    except Problem as problem:
        context = {"authorize_query": query, "email": form.get("email"), "name": form.get("name")}
        return await page("signup.html", status=problem.status, error=problem.detail or problem.title, **context)
    except ValueError:  # pydantic's ValidationError: a malformed email
        return await page("signup.html", status=422, authorize_query=query, error="Enter a valid email address.")
    return _signed_in(state, tenant.id, customer, query)


def _signed_in(state: State, tenant_id: uuid.UUID, customer: Customer, query: str) -> Response:
    target = f"/oauth/authorize?{query}" if query else "/oauth/account"
    response = RedirectResponse(target, status_code=303)
    session = state.auth.customer_sessions.issue(
        customer_id=customer.id, tenant_id=tenant_id, password_hash=customer.password_hash
    )
    pages.set_session(response, state.settings.auth, session)
    return response


@router.get("/account", operation_id="oauth_account")
async def account(customer: SignedInCustomer, page: Page) -> Response:
    """Where sign-up lands without a client: who is signed in."""
    if customer is None:
        return await page("login.html", status=401, authorize_query="")
    return await page.message("You are signed in", f"Signed in as {customer.email}.")


@router.post("/logout", operation_id="oauth_logout")
async def sign_out(request: Request, page: Page) -> Response:
    """End the shopper's session at the OAuth server (tokens already issued to apps stay until revoked)."""
    pages.check_csrf(request, dict(await read_form(request)))
    return await _signed_out(page, None, None)


_END_SESSION_FIELDS = ("client_id", "post_logout_redirect_uri", "state")


@router.get("/end-session", operation_id="oauth_end_session_page")
async def end_session_page(request: Request, db: TenantSession, customer: SignedInCustomer, page: Page) -> Response:
    """Sign out initiated by a storefront (in the style of OpenID RP-initiated logout).

    Query: ``client_id``, ``post_logout_redirect_uri`` (one of that client's registered redirect URIs),
    ``state``. A signed-in shopper confirms first (a link alone cannot sign anyone out); then, or at once
    when nobody is signed in, the browser goes back to the URI with ``state``.
    """
    params = {name: request.query_params.get(name) for name in _END_SESSION_FIELDS}
    try:
        target = await oauth_service.post_logout_redirect(db, params["client_id"], params["post_logout_redirect_uri"])
    except Problem as problem:
        return await page.message("This sign-out link is not valid", problem.title, status=problem.status)
    if customer is None:
        return await _signed_out(page, target, params["state"])
    fields = [(name, value) for name, value in params.items() if value]
    return await page("end_session.html", customer_email=customer.email, request_fields=fields)


@router.post("/end-session", operation_id="oauth_end_session")
async def end_session(request: Request, db: TenantSession, page: Page) -> Response:
    """The shopper's confirmation: end the session, then back to the storefront's URI (with ``state``) if any."""
    form = dict(await read_form(request))
    pages.check_csrf(request, form)
    try:
        target = await oauth_service.post_logout_redirect(
            db, form.get("client_id"), form.get("post_logout_redirect_uri")
        )
    except Problem as problem:
        return await page.message("This sign-out link is not valid", problem.title, status=problem.status)
    return await _signed_out(page, target, form.get("state"))


async def _signed_out(page: _Page, target: str | None, state: str | None) -> Response:
    response: Response
    if target is None:
        response = await page.message("Signed out", "You are signed out.")
    else:
        location = f"{target}{'&' if '?' in target else '?'}{urlencode({'state': state})}" if state else target
        response = RedirectResponse(location, status_code=303)
    pages.clear_session(response)
    return response


@router.get("/forgot-password", operation_id="oauth_forgot_password_page")
async def forgot_password_page(page: Page) -> Response:
    """Ask for a password reset link."""
    return await page("forgot_password.html")


@router.post("/forgot-password", operation_id="oauth_forgot_password")
async def forgot_password(request: Request, db: TenantSession, page: Page) -> Response:
    """Queue a reset mail if the account exists; the answer is the same either way (no account discovery)."""
    form = dict(await read_form(request))
    pages.check_csrf(request, form)
    await customers_service.request_password_reset(db, email=form.get("email", ""))
    return await page.message("Check your email", "If an account exists for this address, a reset link is on its way.")


@router.get("/password-reset", operation_id="oauth_password_reset_page")
async def password_reset_page(page: Page, token: Text = "") -> Response:
    """The page the reset mail links to."""
    return await page("reset_password.html", token=token)


@router.post("/password-reset", operation_id="oauth_password_reset")
async def reset_password(request: Request, state: State, tenant: Tenant, db: TenantSession, page: Page) -> Response:
    """Set the new password; every token and browser session of the account ends."""
    form = dict(await read_form(request))
    pages.check_csrf(request, form)
    try:
        await customers_service.reset_password(
            db, state.auth, tenant, token=form.get("token", ""), password=form.get("password", "")
        )
    except Problem as problem:
        return await page(
            "reset_password.html",
            status=problem.status,
            token=form.get("token", ""),
            error=problem.detail or problem.title,
        )
    response = await page.message("Password changed", "Your password is changed. Sign in again in the shop's app.")
    pages.clear_session(response)
    return response
