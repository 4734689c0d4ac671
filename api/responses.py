"""Responses of the hot path: rows serialised through their response model without validating them again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Response
from pydantic import BaseModel


def model_response(
    model: type[BaseModel], row: Mapping[Any, Any], *, headers: Mapping[str, str] | None = None
) -> Response:
    """``row`` (our own database's, already valid) as ``model``'s JSON, exactly as FastAPI would write it.

    Returning a model from a route costs a validation of it (``response_model``) before serialisation;
    a route that returns this response skips it, while its ``response_model`` still documents the body.
    """
    body = model.__pydantic_serializer__.to_json(model.model_construct(**row))
    return Response(body, media_type="application/json", headers=headers)
