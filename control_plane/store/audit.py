"""Audit log queries: one function per Store method, each given the open connection."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from control_plane.model import AuditEvent
from control_plane.store.tables import AuditRow

__all__ = ["add_audit_event", "list_audit_events"]

_TABLE = AuditRow.__table__


async def add_audit_event(connection: AsyncConnection, *, event: AuditEvent) -> AuditEvent:
    """Append one event; the store gives it its id and time."""
    at = datetime.now(UTC)
    values = {
        "at": at,
        "who": event.who[:255],
        "peer": event.peer[:255],
        "action": event.action[:64],
        "target": event.target[:512],
        "before": event.before,
        "after": event.after,
    }
    result = await connection.execute(sa.insert(_TABLE).values(values).returning(_TABLE.c.id))
    return AuditEvent(**{**values, "id": result.scalar_one()})  # type: ignore[arg-type]


async def list_audit_events(
    connection: AsyncConnection, *, since: datetime | None, limit: int
) -> list[AuditEvent]:
    """The newest `limit` events at or after `since`, oldest first."""
    query = sa.select(_TABLE).order_by(_TABLE.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(_TABLE.c.at >= since)
    rows = (await connection.execute(query)).mappings().all()
    return [
        AuditEvent(
            id=row["id"],
            at=row["at"],
            who=row["who"],
            peer=row["peer"],
            action=row["action"],
            target=row["target"],
            before=row["before"],
            after=row["after"],
        )
        for row in reversed(rows)
    ]
