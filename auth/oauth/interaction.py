"""What an authorization request asks of the shopper: sign in (again), consent, or nothing.

OpenID Connect's ``prompt`` and ``max_age`` parameters, honoured for plain OAuth too, so that a shared
device never silently continues the previous shopper's session:

* ``prompt=login``: sign in again even with a session (the sign-in page may take another account);
* ``max_age=N``: a session older than N seconds counts as no session;
* ``prompt=none``: never show a page; what would need one goes back to the client as an error
  (``login_required``, ``consent_required``) at its verified redirect URI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError

if TYPE_CHECKING:
    from authlib.oauth2.rfc6749 import HttpResponse

    from auth.oauth.server import AuthorizationCheck, TenantOAuthServer

_MAX_AGE_DIGITS = 9  # 31 years: longer is a malformed request, not a policy


class Interaction(StrEnum):
    SIGN_IN = "sign_in"  # no usable session: the sign-in page
    CONSENT = "consent"  # signed in, a third-party client: the consent page
    ISSUE = "issue"  # signed in, a first-party client: the code, at once


def plan(
    server: TenantOAuthServer, check: AuthorizationCheck, signed_in_at: int | None, *, now: float
) -> Interaction | HttpResponse:
    """The page to show for a valid request, or the client's redirect carrying why none may be shown."""
    data = check.grant.request.payload.data
    prompts = set(str(data.get("prompt") or "").split())
    silent = "none" in prompts
    if silent and len(prompts) > 1:
        return _refuse(server, check, InvalidRequestError("prompt=none cannot be combined with other values"))
    if prompts - {"none", "login", "consent"}:
        return _refuse(server, check, InvalidRequestError("prompt supports none, login and consent"))
    max_age = data.get("max_age")
    if max_age is not None and (not str(max_age).isdecimal() or len(str(max_age)) > _MAX_AGE_DIGITS):
        return _refuse(server, check, InvalidRequestError("max_age must be a number of seconds"))
    too_old = max_age is not None and signed_in_at is not None and now - signed_in_at > int(max_age)
    if signed_in_at is None or "login" in prompts or too_old:
        return _refuse(server, check, LoginRequiredError()) if silent else Interaction.SIGN_IN
    if check.client is not None and check.client.first_party and "consent" not in prompts:
        return Interaction.ISSUE
    return _refuse(server, check, ConsentRequiredError()) if silent else Interaction.CONSENT


def _refuse(server: TenantOAuthServer, check: AuthorizationCheck, error: OAuth2Error) -> HttpResponse:
    payload = check.grant.request.payload
    error.redirect_uri, error.state = payload.redirect_uri, payload.state
    response: HttpResponse = server.handle_error_response(None, error)
    return response


def after_sign_in(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request to resume after a fresh sign-in, whose ``prompt=login`` is then satisfied (else it asks forever)."""
    resumed = []
    for key, value in pairs:
        if key == "prompt":
            value = " ".join(word for word in value.split() if word != "login")
            if not value:
                continue
        resumed.append((key, value))
    return resumed
