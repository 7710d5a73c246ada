"""Quota limit queries: one function per Store method, each given the open session or connection."""

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from control_plane.errors import BadRequest
from control_plane.model import QuotaScope, Service
from control_plane.store.rows import check_text
from control_plane.store.tables import QuotaLimitRow

__all__ = ["delete_quota_limits", "quota_limits", "quota_scopes", "set_quota_limits"]

_TABLE = QuotaLimitRow.__table__
# The largest limit a BIGINT column holds.
_MOST = 2**63 - 1


async def quota_limits(connection: AsyncConnection, *, scope: QuotaScope) -> dict[str, int]:
    """The scope's stored limits by resource."""
    query = sa.select(_TABLE.c.resource, _TABLE.c.hard_limit).where(*_of(scope))
    return {resource: limit for resource, limit in (await connection.execute(query)).all()}


async def set_quota_limits(
    session: AsyncSession, *, scope: QuotaScope, limits: Mapping[str, int]
) -> None:
    """Store the given limits, replacing those of the same resources."""
    values = [
        {
            "service": str(scope.service),
            "project_id": check_text("project_id", scope.project_id),
            "user_id": check_text("user_id", scope.user_id, empty=True),
            "resource": check_text("resource", resource),
            "hard_limit": _checked(resource, limit),
            "updated_at": datetime.now(UTC),
        }
        for resource, limit in limits.items()
    ]
    if not values:
        return
    await session.execute(sa.delete(_TABLE).where(*_of(scope), _TABLE.c.resource.in_(limits)))
    await session.execute(sa.insert(_TABLE), values)


async def delete_quota_limits(
    session: AsyncSession, *, scope: QuotaScope, every_user: bool
) -> None:
    """Forget the scope's limits (and, with `every_user`, those of the project's users)."""
    where = _of(scope)[:2] if every_user else _of(scope)
    await session.execute(sa.delete(_TABLE).where(*where))


async def quota_scopes(connection: AsyncConnection) -> list[QuotaScope]:
    """Every scope with limits stored, ordered."""
    columns = (_TABLE.c.service, _TABLE.c.project_id, _TABLE.c.user_id)
    query = sa.select(*columns).distinct().order_by(*columns)
    rows = (await connection.execute(query)).all()
    return [QuotaScope(Service(service), project, user) for service, project, user in rows]


def _of(scope: QuotaScope) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        _TABLE.c.service == str(scope.service),
        _TABLE.c.project_id == scope.project_id,
        _TABLE.c.user_id == scope.user_id,
    )


def _checked(resource: str, limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not -1 <= limit <= _MOST:
        raise BadRequest(f"The limit of {resource} must be a whole number from -1 to {_MOST}")
    return limit
