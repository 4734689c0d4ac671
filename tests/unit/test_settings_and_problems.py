from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from core.errors import Problem
from core.settings import AuthSettings, CelerySettings, DatabaseSettings, Environment, Settings
from tenants.errors import TenantProvisioning


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=Environment.PRODUCTION, db=DatabaseSettings(url="postgresql://db/x"))


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION,
        db=DatabaseSettings(url="postgresql://db/x"),
        auth=AuthSettings(secret_key=SecretStr("k" * 40)),
        celery=CelerySettings(broker_url="redis://redis:6379/0"),
    )
    assert settings.auth.secret_key.get_secret_value() == "k" * 40


def test_conventional_database_url_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/from-env")
    assert Settings().db.url == "postgresql://db/from-env"


def test_nested_settings_come_from_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_TENANCY__BASE_DOMAIN", "shops.example.com")
    assert Settings().tenancy.base_domain == "shops.example.com"


def test_problem_renders_rfc9457_with_a_stable_code_and_headers() -> None:
    problem = TenantProvisioning(retry_after=7)
    assert problem.to_dict("/admin/v1/shop") == {
        "type": "https://docs.commerce.dev/problems/tenant_provisioning",
        "title": TenantProvisioning.title,
        "status": 503,
        "code": "tenant_provisioning",
        "instance": "/admin/v1/shop",
    }
    assert problem.headers() == {"Retry-After": "7"}


def test_every_problem_code_is_unique() -> None:
    def subclasses(cls: type[Problem]) -> list[type[Problem]]:
        return [cls, *[s for sub in cls.__subclasses__() for s in subclasses(sub)]]

    import api.app  # noqa: F401 - imports every domain's errors

    codes = [cls.code for cls in subclasses(Problem)]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)


def test_production_requires_a_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)  # CI exports it for the worker tests
    monkeypatch.delenv("COMMERCE_REDIS_URL", raising=False)
    with pytest.raises(ValidationError, match="REDIS_URL"):
        Settings(
            environment=Environment.PRODUCTION,
            db=DatabaseSettings(url="postgresql://db/x"),
            auth=AuthSettings(secret_key=SecretStr("k" * 40)),
        )


def test_generated_secrets_use_a_cheap_hash_and_human_passwords_do_not() -> None:
    import asyncio

    from argon2 import extract_parameters

    from auth.passwords import Passwords

    passwords = Passwords(AuthSettings())
    generated = extract_parameters(passwords.hash_generated_secret("x" * 32))
    human = extract_parameters(asyncio.run(passwords.hash("correct horse battery staple")))
    assert (generated.time_cost, generated.memory_cost) == (1, 1024)
    assert (human.time_cost, human.memory_cost) == (3, 65536)
    assert asyncio.run(passwords.verify(passwords.hash_generated_secret("y" * 32), "y" * 32))
    with pytest.raises(ValueError, match="128 bits"):
        passwords.hash_generated_secret("short")
