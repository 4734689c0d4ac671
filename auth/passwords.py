"""Password hashing with argon2id. Hashing is CPU-bound (~50 ms), so async callers run it in a thread."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, extract_parameters
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
        self._work = _work(self._dummy_hash)

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
        """Every call costs at least one verification at the configured work factor, whatever the hash: an unknown
        account is checked against the stand-in hash, and a cheaper hash (a tenant owner's one-time password is a
        generated secret, hashed cheaply) is followed by a check against the stand-in too. Otherwise the time of a
        failed sign-in tells an owner's email (7 ms) from an unknown one (190 ms)."""
        valid = self._check(password_hash or self._dummy_hash, password) and password_hash is not None
        if password_hash is not None and _work(password_hash) < self._work:
            self._check(self._dummy_hash, password)
        return valid

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _work(password_hash: str) -> int:
    """The cost of verifying an argon2 hash, in KiB-passes (0 for anything that is not one: no work was done)."""
    try:
        parameters = extract_parameters(password_hash)
    except InvalidHashError:
        return 0
    return parameters.time_cost * parameters.memory_cost


def check_password_strength(password: str) -> str:
    """The one password rule set: long enough to resist guessing, short enough to bound hashing cost."""
    if not 12 <= len(password) <= 256:
        raise WeakPassword("passwords must be between 12 and 256 characters")
    return password
