"""How mailed links are built: the shop's origin, the invitation URL template, the validity wording."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from core.settings import AuthSettings, Settings, TenancySettings
from mail.service import duration, tenant_origin
from tenants.context import TenantContext
from tenants.models import TenantStatus

SHOP = TenantContext(id=uuid.uuid4(), slug="books", schema_name="t_books", status=TenantStatus.ACTIVE)


def test_the_origin_is_the_shops_subdomain_over_https_unless_plain_http_is_allowed() -> None:
    secure = Settings(
        tenancy=TenancySettings(base_domain="shops.example.com"), auth=AuthSettings(oauth_require_https=True)
    )
    plain = Settings(tenancy=TenancySettings(base_domain="localhost"), auth=AuthSettings(oauth_require_https=False))

    assert tenant_origin(SHOP, secure) == "https://books.shops.example.com"
    assert tenant_origin(SHOP, plain) == "http://books.localhost"


def test_there_is_no_origin_without_a_base_domain() -> None:
    with pytest.raises(ValueError, match="BASE_DOMAIN"):
        tenant_origin(SHOP, Settings(tenancy=TenancySettings(base_domain="")))


@pytest.mark.parametrize(
    "template",
    [
        "https://dashboard.example.com/invitations/accept?shop={slug}&token={token}",
        "{origin}/join#{token}",
    ],
)
def test_invitation_url_templates_take_the_token_and_known_placeholders(template: str) -> None:
    assert AuthSettings(invitation_url_template=template).invitation_url_template == template


@pytest.mark.parametrize("template", ["https://dashboard.example.com/join", "https://x.example.com/{token}/{user}"])
def test_an_invitation_url_template_without_the_token_or_with_unknown_placeholders_is_refused(template: str) -> None:
    with pytest.raises(ValidationError, match="invitation URL template"):
        AuthSettings(invitation_url_template=template)


@pytest.mark.parametrize(
    ("seconds", "wording"),
    [(7 * 86_400, "7 days"), (86_400, "1 day"), (3_600, "1 hour"), (5_400, "90 minutes"), (90, "90 seconds")],
)
def test_validity_is_worded_in_the_largest_whole_unit(seconds: int, wording: str) -> None:
    assert duration(seconds) == wording
