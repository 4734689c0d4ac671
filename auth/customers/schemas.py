from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from core.validation import Text


class CustomerSignUp(BaseModel):
    email: EmailStr
    password: Text = Field(min_length=1, max_length=256)
    name: Text = Field(default="", max_length=200)
