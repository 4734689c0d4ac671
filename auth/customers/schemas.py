from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class CustomerSignUp(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=200)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object: str = "customer"
    id: uuid.UUID
    email: str
    name: str
    created_at: datetime


class CustomerUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
