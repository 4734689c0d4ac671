"""The OAuth server's pages (sign-in, sign-up, consent, password reset): server-rendered, CSRF-protected.

CSRF uses a double-submit token: a random value in a ``SameSite=Strict`` cookie and in a hidden field
of every form, compared in constant time. Pages are never framed (clickjacking on the consent page).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from auth.oauth.errors import CsrfFailed
from core.settings import AuthSettings

CSRF_COOKIE = "commerce_csrf"
SESSION_COOKIE = "commerce_customer"
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # No form-action: browsers apply it to the redirects that follow a form post, and every flow here ends in
    # one to the client's redirect URI (consent, sign-in, end-session), which 'self' blocked in Chromium.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def check_csrf(request: Request, form: dict[str, str]) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    submitted = form.get("csrf_token", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise CsrfFailed()


def render(
    request: Request, settings: AuthSettings, template: str, *, status: int = 200, shop_name: str, **context: Any
) -> HTMLResponse:
    token = csrf_token(request)
    html = _TEMPLATES.get_template(template).render(shop_name=shop_name, csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.oauth_require_https,
        path="/oauth",
    )
    return response


def set_session(response: Response, settings: AuthSettings, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.customer_session_ttl_seconds,
        httponly=True,
        samesite="lax",  # sent on the top-level redirect back from the storefront to /oauth/authorize
        secure=settings.oauth_require_https,
        path="/oauth",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/oauth")
