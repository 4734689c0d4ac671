"""What every credential check of a tenant needs, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from auth.passwords import Passwords
from auth.secrets import SecretHasher
from core.settings import AuthSettings


@dataclass(frozen=True, slots=True)
class AuthServices:
    settings: AuthSettings
    passwords: Passwords
    hasher: SecretHasher

    @classmethod
    def build(cls, settings: AuthSettings) -> AuthServices:
        return cls(settings=settings, passwords=Passwords(settings), hasher=SecretHasher(settings))
