from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field


class CustomerSignUp(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=200)
