"""Copy queries: one function per Store method, each given the open session or connection."""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from control_plane.model import CopiedType, Copies
from control_plane.store.rows import check_text
from control_plane.store.tables import CopyRow, PodRow

__all__ = ["copies_of", "every_copy", "forget_copies", "gateway_ids", "record_copies"]

_TABLE = CopyRow.__table__
# Ids per lookup query (one bound value each; far below every database's limit).
_LOOKUP_CHUNK = 1000


async def record_copies(session: AsyncSession, *, copies: Copies) -> None:
    """Store every pod's id of one object (pods deleted meanwhile are left out)."""
    gateway_id = check_text("gateway_id", copies.gateway_id)
    project_id = check_text("project_id", copies.project_id)
    names = list(copies.ids)
    rows = await session.execute(sa.select(PodRow.name, PodRow.id).where(PodRow.name.in_(names)))
    pod_ids = dict(tuple(row) for row in rows)
    values = [
        {
            "copied_type": str(copies.copied_type),
            "gateway_id": gateway_id,
            "pod_id": pod_ids[name],
            "copy_id": check_text("copy_id", copy_id),
            "project_id": project_id,
        }
        for name, copy_id in copies.ids.items()
        if name in pod_ids
    ]
    if values:
        await session.execute(sa.insert(_TABLE), values)


async def copies_of(
    connection: AsyncConnection, *, copied_type: CopiedType, gateway_ids: Sequence[str]
) -> dict[str, Copies]:
    """The copies of each known object among `gateway_ids`, by gateway id."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    projects: dict[str, str] = {}
    for start in range(0, len(gateway_ids), _LOOKUP_CHUNK):
        chunk = gateway_ids[start : start + _LOOKUP_CHUNK]
        query = (
            sa.select(_TABLE.c.gateway_id, _TABLE.c.copy_id, _TABLE.c.project_id, PodRow.name)
            .join(PodRow, PodRow.id == _TABLE.c.pod_id)
            .where(_TABLE.c.copied_type == str(copied_type), _TABLE.c.gateway_id.in_(chunk))
        )
        for gateway_id, copy_id, project_id, pod in await connection.execute(query):
            found[gateway_id][pod] = copy_id
            projects[gateway_id] = project_id
    return {
        gateway_id: Copies(copied_type, gateway_id, projects[gateway_id], ids)
        for gateway_id, ids in found.items()
    }


async def every_copy(connection: AsyncConnection, *, copied_type: CopiedType) -> list[Copies]:
    """Every object of `copied_type` with its copies, by gateway id."""
    query = (
        sa.select(_TABLE.c.gateway_id, _TABLE.c.copy_id, _TABLE.c.project_id, PodRow.name)
        .join(PodRow, PodRow.id == _TABLE.c.pod_id)
        .where(_TABLE.c.copied_type == str(copied_type))
        .order_by(_TABLE.c.gateway_id)
    )
    found: dict[str, dict[str, str]] = defaultdict(dict)
    projects: dict[str, str] = {}
    for gateway_id, copy_id, project_id, pod in await connection.execute(query):
        found[gateway_id][pod] = copy_id
        projects[gateway_id] = project_id
    return [Copies(copied_type, g, projects[g], ids) for g, ids in found.items()]


async def gateway_ids(
    connection: AsyncConnection, *, copied_type: CopiedType, copy_ids: Sequence[str]
) -> dict[str, str]:
    """The gateway id of each pod id among `copy_ids` that is a copy (home ids map to
    themselves)."""
    found: dict[str, str] = {}
    for start in range(0, len(copy_ids), _LOOKUP_CHUNK):
        chunk = copy_ids[start : start + _LOOKUP_CHUNK]
        query = sa.select(_TABLE.c.copy_id, _TABLE.c.gateway_id).where(
            _TABLE.c.copied_type == str(copied_type), _TABLE.c.copy_id.in_(chunk)
        )
        found.update(tuple(row) for row in await connection.execute(query))
    return found


async def forget_copies(session: AsyncSession, *, copied_type: CopiedType, gateway_id: str) -> None:
    """Drop every copy of one object (deleted in every pod)."""
    await session.execute(
        sa.delete(_TABLE).where(
            _TABLE.c.copied_type == str(copied_type), _TABLE.c.gateway_id == gateway_id
        )
    )
