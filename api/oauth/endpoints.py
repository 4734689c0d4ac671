"""The OAuth server's machine endpoints: token (RFC 6749), revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from api.oauth.adapter import FORM_CONTENT_TYPE, origin, text_query, to_http_request, to_response
from api.oauth.authorize import OAuthServer
from auth.oauth.server import metadata
from auth.oauth.wire import run_sync

router = APIRouter(tags=["oauth"], dependencies=[Depends(text_query)])
# authlib reads client credentials itself (Basic, or client_id/client_secret in the form); this documents them.
_client_basic = HTTPBasic(
    auto_error=False,
    scheme_name="OAuthClient",
    description="A confidential client's `client_id` and `client_secret` (public clients send only `client_id`).",
)
ClientCredentials = Depends(_client_basic)


def _form(*fields: str) -> dict[str, Any]:
    """OpenAPI for a urlencoded body read by the OAuth server itself."""
    properties = {name: {"type": "string"} for name in fields}
    schema = {"type": "object", "properties": properties}
    return {"requestBody": {"required": True, "content": {FORM_CONTENT_TYPE: {"schema": schema}}}}


@router.post(
    "/oauth/token",
    operation_id="oauth_token",
    openapi_extra=_form(
        "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id", "client_secret"
    ),
)
async def issue_token(
    request: Request, server: OAuthServer, _client: Annotated[HTTPBasicCredentials | None, ClientCredentials]
) -> Response:
    """Token endpoint: `authorization_code` (+ PKCE verifier), `refresh_token` (rotates), `client_credentials`
    (confidential clients only). Errors follow RFC 6749 §5.2 (`{"error": ...}`), not problem+json."""
    http = await to_http_request(request)
    return to_response(await run_sync(lambda: server.create_token_response(http)))


@router.post("/oauth/revoke", operation_id="oauth_revoke", openapi_extra=_form("token", "token_type_hint", "client_id"))
async def revoke_token(
    request: Request, server: OAuthServer, _client: Annotated[HTTPBasicCredentials | None, ClientCredentials]
) -> Response:
    """Revoke an access or refresh token (and the rest of its grant). Unknown tokens also answer 200."""
    http = await to_http_request(request)
    return to_response(await run_sync(lambda: server.create_endpoint_response("revocation", http)))


@router.post("/oauth/introspect", operation_id="oauth_introspect", openapi_extra=_form("token", "token_type_hint"))
async def introspect_token(
    request: Request, server: OAuthServer, _client: Annotated[HTTPBasicCredentials | None, ClientCredentials]
) -> Response:
    """For the tenant's confidential clients: is this token active, and what may it do? Other tenants' tokens are inactive."""
    http = await to_http_request(request)
    return to_response(await run_sync(lambda: server.create_endpoint_response("introspection", http)))


@router.get("/.well-known/oauth-authorization-server", operation_id="oauth_metadata")
async def server_metadata(request: Request, server: OAuthServer) -> dict[str, Any]:
    """Authorization server metadata of this tenant (its issuer is the tenant's origin)."""
    return metadata(origin(request))
