"""What the merchant's simple settings resources (shipping zones and rates, tax classes and rates, discounts)
share: load by id, a keyset page, optimistic changes with ``If-Match``, unique-constraint conflicts as problems,
and one event per change. Richer domains (catalog, inventory) keep their own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.events import service as events_service
from core.errors import Problem, VersionMismatch
from core.pagination import after_row, cursor_row, split_page


class Resource(Protocol):
    id: Any
    version: Any
    created_at: Any


R = TypeVar("R", bound=Resource)


async def load(db: AsyncSession, model: type[R], resource_id: uuid.UUID, *, lock: bool = False) -> R | None:
    query = select(model).where(model.id == resource_id)
    if lock:  # concurrent changes of one resource serialise; populate_existing sees the row as locked
        query = query.with_for_update().execution_options(populate_existing=True)
    found: R | None = await db.scalar(query)
    return found


async def page(
    db: AsyncSession,
    model: type[R],
    *,
    limit: int,
    starting_after: str | None,
    where: tuple[ColumnElement[bool], ...] = (),
) -> tuple[list[R], bool]:
    """A page of ``model`` rows in creation order (``(created_at, id)``), filtered by ``where``."""
    after = await cursor_row(starting_after, lambda resource_id: load(db, model, resource_id))
    query = select(model).where(*where).order_by(model.created_at, model.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_row(model.created_at, model.id, after))
    return split_page(list(await db.scalars(query)), limit)


def check_version(resource: Resource, if_match: int | None) -> None:
    if if_match is not None and resource.version != if_match:
        raise VersionMismatch(current_version=resource.version)


def apply(resource: Resource, changes: Mapping[str, Any]) -> None:
    """Set the changed fields and move the version (the caller flushes)."""
    for name, value in changes.items():
        setattr(resource, name, value)
    resource.version += 1


async def flush(db: AsyncSession, conflict: Problem | None = None) -> None:
    """Flush in a savepoint; a unique violation becomes ``conflict`` (the transaction stays usable)."""
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        if conflict is None:
            raise
        raise conflict from exc


async def record(
    db: AsyncSession, type_: str, resource: Resource, read: type[BaseModel], actor: Principal | None
) -> None:
    """One event ``<resource>.<change>`` with the resource as the admin API shows it."""
    data = read.model_validate(resource).model_dump(mode="json")
    await events_service.record(
        db, type=type_, resource_id=resource.id, version=resource.version, data=data, actor=actor
    )
