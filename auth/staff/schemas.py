from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field


class StaffLogin(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class StaffTokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Exchange once at /admin/v1/auth/refresh; it rotates on every use.")


class StaffRefresh(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)
