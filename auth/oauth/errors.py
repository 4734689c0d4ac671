from __future__ import annotations

from core.errors import BadRequest, Conflict, Forbidden, NotFound


class OAuthClientNotFound(NotFound):
    code = "oauth_client_not_found"
    title = "The OAuth client does not exist or was revoked."


class OAuthClientLimitReached(Conflict):
    code = "oauth_client_limit_reached"
    title = "This shop has the maximum number of OAuth clients; revoke one first."


class NotConfidential(Conflict):
    code = "oauth_client_not_confidential"
    title = "Only confidential clients have a secret."


class InsecureTransport(BadRequest):
    code = "insecure_transport"
    title = "OAuth endpoints require HTTPS."


class InvalidPostLogoutRedirect(BadRequest):
    code = "invalid_post_logout_redirect_uri"
    title = "The app that sent you here asked to come back to an address it has not registered."


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "The form expired or did not come from this site. Go back and try again."


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    title = "This origin is not a registered storefront of the shop."
