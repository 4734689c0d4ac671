from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from core.validation import Text


class OperatorLogin(BaseModel):
    email: EmailStr
    password: Text = Field(min_length=1, max_length=256)


class AccessTokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")
