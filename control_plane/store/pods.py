"""Pod and binding queries: one function per Store method, each given the open session."""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
)

from control_plane.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
)
from control_plane.model import Binding, Pod, PodState
from control_plane.store.rows import (
    binding_from_row,
    check_state,
    check_text,
    endpoint_values,
    pod_from_row,
)
from control_plane.store.tables import BindingRow, CopyRow, PodEndpointRow, PodRow, RoutingRow

__all__ = [
    "create_binding",
    "create_pod",
    "delete_binding",
    "delete_pod",
    "find_pod_id",
    "get_pod",
    "list_bindings",
    "list_pods",
    "new_id",
    "pod_row",
    "routings_in",
    "update_pod",
    "utc_now",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


async def pod_row(session: AsyncSession, name: str, *, lock: bool = False) -> PodRow:
    """The pod row called `name`; `lock` holds it (PostgreSQL) until the transaction ends."""
    query = sa.select(PodRow).where(PodRow.name == name)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Pod {name} not found")
    return row


async def find_pod_id(session: AsyncSession, name: str) -> str:
    pod_id = await session.scalar(sa.select(PodRow.id).where(PodRow.name == name))
    if pod_id is None:
        raise NotFound(f"Pod {name} not found")
    return pod_id


async def create_pod(session: AsyncSession, *, pod: Pod) -> Pod:
    now = utc_now()
    row = PodRow(
        id=new_id(),
        name=check_text("name", pod.name),
        az_name=check_text("az_name", pod.az_name),
        pod_az_name=check_text("pod_az_name", pod.pod_az_name, empty=True),
        dc_name=check_text("dc_name", pod.dc_name, empty=True),
        state=check_state(pod.state).value,
        tls_insecure=pod.tls_insecure,
        created_at=now,
        updated_at=now,
        endpoints=[
            PodEndpointRow(service_type=service, url=url)
            for service, url in endpoint_values(pod.endpoints).items()
        ],
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise AlreadyExists(f"Pod {pod.name} already exists") from exc
    return pod_from_row(row)


async def get_pod(session: AsyncSession, *, name: str) -> Pod:
    return pod_from_row(await pod_row(session, name))


async def list_pods(session: AsyncSession, *, az_name: str | None) -> list[Pod]:
    query = sa.select(PodRow).order_by(PodRow.created_at, PodRow.name)
    if az_name is not None:
        query = query.where(PodRow.az_name == az_name)
    return [pod_from_row(row) for row in (await session.scalars(query)).all()]


async def update_pod(
    session: AsyncSession,
    *,
    name: str,
    state: PodState | None,
    tls_insecure: bool | None = None,
    fields: dict[str, str],
    set_endpoints: dict[str, str],
    remove_endpoints: frozenset[str],
) -> Pod:
    set_endpoints = endpoint_values(set_endpoints)
    row = await pod_row(session, name, lock=True)
    if state is not None:
        row.state = check_state(state).value
    if tls_insecure is not None:
        row.tls_insecure = tls_insecure
    for field, value in fields.items():
        setattr(row, field, check_text(field, value, empty=field != "az_name"))
    current = {endpoint.service_type: endpoint for endpoint in row.endpoints}
    for service in remove_endpoints - set_endpoints.keys():
        if service in current:
            row.endpoints.remove(current.pop(service))
    for service, url in set_endpoints.items():
        if service in current:
            current[service].url = url
        else:
            row.endpoints.append(PodEndpointRow(service_type=service, url=url))
    row.updated_at = utc_now()
    await session.flush()
    return pod_from_row(row)


async def delete_pod(session: AsyncSession, *, name: str, force: bool) -> int:
    """Delete the pod; returns how many routings went with it."""
    row = await pod_row(session, name, lock=True)
    count = await routings_in(session, row.id)
    if count and not force:
        raise FailedPrecondition(
            f"Pod {name} still has {count} routings; delete them first or use force"
        )
    await session.execute(sa.delete(RoutingRow).where(RoutingRow.pod_id == row.id))
    await session.execute(sa.delete(BindingRow).where(BindingRow.pod_id == row.id))
    await session.execute(sa.delete(CopyRow).where(CopyRow.pod_id == row.id))
    await session.delete(row)
    return count


async def create_binding(session: AsyncSession, *, project_id: str, pod_name: str) -> Binding:
    project_id = check_text("project_id", project_id)
    pod = await pod_row(session, pod_name)
    active_here = (
        BindingRow.project_id == project_id,
        BindingRow.az_name == pod.az_name,
        BindingRow.active,
    )
    if await session.scalar(sa.select(BindingRow.pod_id).where(*active_here)) == pod.id:
        raise AlreadyExists(f"Project {project_id} is already bound to pod {pod_name}")
    now = utc_now()
    await session.execute(
        sa.update(BindingRow).where(*active_here).values(active=False, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    row = BindingRow(
        id=new_id(),
        project_id=project_id,
        az_name=pod.az_name,
        pod_id=pod.id,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return binding_from_row(row, pod.name)


async def list_bindings(
    connection: AsyncConnection,
    *,
    project_id: str | None,
    pod_name: str | None,
    active_only: bool,
) -> list[Binding]:
    columns = (
        BindingRow.id,
        BindingRow.project_id,
        BindingRow.az_name,
        PodRow.name,
        BindingRow.active,
        BindingRow.created_at,
        BindingRow.updated_at,
    )
    query = (
        sa.select(*columns)
        .join(PodRow, PodRow.id == BindingRow.pod_id)
        .order_by(BindingRow.created_at, BindingRow.id)
    )
    if project_id is not None:
        query = query.where(BindingRow.project_id == project_id)
    if pod_name is not None:
        query = query.where(PodRow.name == pod_name)
    if active_only:
        query = query.where(BindingRow.active)
    return [Binding(*row) for row in (await connection.execute(query)).all()]


async def delete_binding(session: AsyncSession, *, binding_id: str) -> None:
    result = await session.execute(sa.delete(BindingRow).where(BindingRow.id == binding_id))
    if result.rowcount == 0:
        raise NotFound(f"Binding {binding_id} not found")


async def routings_in(session: AsyncSession, pod_id: str) -> int:
    query = sa.select(sa.func.count()).select_from(RoutingRow).where(RoutingRow.pod_id == pod_id)
    return (await session.scalar(query)) or 0
