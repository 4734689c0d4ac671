"""Starlette <-> the framework-free OAuth server (auth.oauth.server): requests in, responses out."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from auth.oauth.errors import InsecureTransport
from auth.oauth.wire import HttpRequest, HttpResponse
from core.errors import InvalidInput
from core.settings import AuthSettings
from core.validation import invalid_fields

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_BYTES = 64 * 1024


def origin(request: Request) -> str:
    """The tenant's origin as the client sees it: the issuer of its authorization server."""
    return f"{request.url.scheme}://{request.url.netloc}"


def require_secure_transport(request: Request, settings: AuthSettings) -> None:
    if settings.oauth_require_https and request.url.scheme != "https":
        raise InsecureTransport()


async def read_form(request: Request) -> list[tuple[str, str]]:
    """The urlencoded body as ordered pairs (repeated parameters kept: authlib refuses duplicates)."""
    if request.method != "POST":
        return []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        return []
    if content_type != FORM_CONTENT_TYPE or len(body) > _MAX_FORM_BYTES:
        return []  # authlib then answers invalid_request for the missing parameters
    return _text_only(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


async def text_query(request: Request) -> None:
    """A router dependency of the OAuth server: its query parameters are read by authlib, outside pydantic."""
    _text_only(list(request.query_params.multi_items()))


def _text_only(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The OAuth server reads these itself, outside pydantic: the same rule as every input string (core.validation)."""
    errors = invalid_fields(pairs)
    if errors:
        raise InvalidInput(errors=errors)
    return pairs


async def to_http_request(request: Request, *, form: list[tuple[str, str]] | None = None) -> HttpRequest:
    return HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=request.headers,
        query=list(request.query_params.multi_items()),
        form=form if form is not None else await read_form(request),
    )


def to_response(response: HttpResponse) -> Response:
    headers = dict(response.headers)
    location = response.location
    if location is not None:
        headers.pop("Location", None)
        return RedirectResponse(location, status_code=302, headers=headers)
    headers.pop("Content-Type", None)
    headers.setdefault("Cache-Control", "no-store")
    return JSONResponse(response.body, status_code=response.status, headers=headers)
