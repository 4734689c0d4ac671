"""The base of every ``...Read`` schema: a resource the API returns, read from its model, with its id."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class ResourceRead(BaseModel):
    """``object`` names the kind of resource (``"product"``); subclasses set its value and add their fields."""

    model_config = ConfigDict(from_attributes=True)

    object: str
    id: uuid.UUID
