"""Password hashing with argon2id. Hashing is CPU-bound (~50 ms), so async callers run it in a thread."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth.errors import WeakPassword
from core.settings import AuthSettings


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
        )
        # For secrets we generate (>= 128 random bits): no guessing attack exists, so the work factor buys
        # nothing and would cost ~85% of provisioning time (bench/README.md). Still argon2id, so one verify path.
        self._secret_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        # Verified against when the account does not exist, so timing does not reveal which emails exist.
        self._dummy_hash = self._hasher.hash("not-a-password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def hash_generated_secret(self, secret: str) -> str:
        """Hash a random secret we generated (never a human's password) with minimal argon2 cost."""
        if len(secret) < 22:  # 22 url-safe characters = 132 bits
            raise ValueError("only generated secrets of at least 128 bits may skip the work factor")
        return self._secret_hasher.hash(secret)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_password_strength(password: str) -> str:
    """The one password rule set: long enough to resist guessing, short enough to bound hashing cost."""
    if not 12 <= len(password) <= 256:
        raise WeakPassword("passwords must be between 12 and 256 characters")
    return password
