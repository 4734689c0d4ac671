from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.validation import Text


class CustomerSignUp(BaseModel):
    email: EmailStr
    password: Text = Field(min_length=1, max_length=256)
    name: Text = Field(default="", max_length=200)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object: str = "customer"
    id: uuid.UUID
    email: str
    name: str
    created_at: datetime


class CustomerUpdate(BaseModel):
    name: Text | None = Field(default=None, max_length=200)
