"""Podgate's state in SQL: the only module that knows SQLAlchemy.

Every public method of Store is one transaction. Model dataclasses go in and come out, and
driver errors leave as control_plane.errors, so no caller ever sees a row or an IntegrityError.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from control_plane.errors import (
    AlreadyExists,
    BadRequest,
    FailedPrecondition,
    NotFound,
    PodgateError,
)
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing
from control_plane.store.engine import IMMEDIATE, open_engine
from control_plane.store.group_commit import GroupCommit
from control_plane.store.notify import PODS, ROUTINGS_DROPPED, Change, Kind, new_origin, send
from control_plane.store.rows import (
    binding_from_row,
    check_resource_type,
    check_state,
    check_text,
    endpoint_values,
    pod_from_row,
    routing_from_row,
)
from control_plane.store.tables import BindingRow, PodEndpointRow, PodRow, RoutingRow

__all__ = ["Store"]

_T = TypeVar("_T")
_Work = Callable[[AsyncSession], Awaitable[_T]]
_PlainWork = Callable[[AsyncConnection], Awaitable[_T]]
_Changes = Callable[[_T], Sequence[Change]]

# Rows per INSERT when learning routings (6 bound values each; SQLite allows 32766 per statement).
_LEARN_CHUNK = 500


class Store:
    """Pods, bindings and routings in one SQLite or PostgreSQL database.

    Writes that other replicas cache (pods, deleted routings) notify them in the same
    transaction (control_plane.store.notify), signed with this store's `origin`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.origin = new_origin()
        # Called after each commit with the changes it notified (this process's decision workers
        # hear of them this way; other replicas through PostgreSQL).
        self.committed: Callable[[Sequence[Change]], None] = lambda _changes: None
        self._routing_inserts: GroupCommit[Routing, Routing | None] = GroupCommit(
            lambda batch: self._run(
                partial(_insert_routings, routings=batch), write=True, plain=True
            )
        )
        # SQLite has one writer at a time; waiting here in turn beats its busy handler, which
        # sleeps and retries (seconds under a burst of creates).
        self._one_writer = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @classmethod
    async def open(cls, url: str) -> "Store":
        """Connect and migrate to the newest schema; harmless to repeat on every start."""
        return cls(await open_engine(url))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    async def create_pod(self, pod: Pod) -> Pod:
        """Store a new pod; the store assigns its id and timestamps."""
        return await self._run(partial(_create_pod, pod=pod), write=True, notify=_pods_changed)

    async def get_pod(self, name: str) -> Pod:
        """The pod called `name`."""
        return await self._run(partial(_get_pod, name=name))

    async def list_pods(self, az_name: str | None = None) -> list[Pod]:
        """Every pod (or those of one AZ), oldest first."""
        return await self._run(partial(_list_pods, az_name=az_name))

    async def update_pod(
        self,
        name: str,
        *,
        state: PodState | None = None,
        az_name: str | None = None,
        pod_az_name: str | None = None,
        dc_name: str | None = None,
        set_endpoints: Mapping[str, str] | None = None,
        remove_endpoints: Iterable[str] = (),
    ) -> Pod:
        """Change the given fields; removing an absent endpoint is a no-op, setting one wins."""
        fields = {"az_name": az_name, "pod_az_name": pod_az_name, "dc_name": dc_name}
        work = partial(
            _update_pod,
            name=name,
            state=state,
            fields={key: value for key, value in fields.items() if value is not None},
            set_endpoints=dict(set_endpoints or {}),
            remove_endpoints=frozenset(remove_endpoints),
        )
        return await self._run(work, write=True, notify=_pods_changed)

    async def delete_pod(self, name: str, *, force: bool = False) -> None:
        """Delete a pod and its bindings; its routings too, but only when forced."""
        await self._run(
            partial(_delete_pod, name=name, force=force),
            write=True,
            notify=lambda dropped: (PODS, ROUTINGS_DROPPED) if dropped else (PODS,),
        )

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        """Make `pod_name` the project's active pod in that pod's AZ, deactivating the old one."""
        work = partial(_create_binding, project_id=project_id, pod_name=pod_name)
        return await self._run(work, write=True, retries=1)

    async def list_bindings(
        self,
        *,
        project_id: str | None = None,
        pod_name: str | None = None,
        active_only: bool = False,
    ) -> list[Binding]:
        """Bindings matching every given filter, oldest first (inactive ones are history)."""
        work = partial(
            _list_bindings, project_id=project_id, pod_name=pod_name, active_only=active_only
        )
        return await self._run(work, plain=True)

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's active bindings (at most one per AZ), oldest first."""
        return await self.list_bindings(project_id=project_id, active_only=True)

    async def delete_binding(self, binding_id: str) -> None:
        """Delete one binding (active or not)."""
        await self._run(partial(_delete_binding, binding_id=binding_id), write=True)

    async def put_routing(self, routing: Routing) -> Routing:
        """Record where a resource lives; committed on return, a re-learned location wins.

        New resources (the common case: a create) are inserted in batches with whatever other
        creates are being recorded at the same time.
        """
        new = await self._routing_inserts.submit(_checked(routing))
        if new is not None:
            return new
        return await self._run(partial(_put_routing, routing=routing), write=True, retries=1)

    async def learn_routings(self, routings: Sequence[Routing]) -> int:
        """Record routings of resources not stored yet; returns how many were new.

        One transaction. A stored routing always wins (a listing is no authority to move a
        resource), and a routing naming a pod that no longer exists is skipped.
        """
        if not routings:
            return 0
        return await self._run(partial(_learn_routings, routings=routings), write=True, retries=1)

    async def get_routing(
        self, resource_type: ResourceType | str, resource_id: str
    ) -> Routing | None:
        """Where a resource lives, if known."""
        work = partial(
            _get_routing, resource_type=check_resource_type(resource_type), resource_id=resource_id
        )
        return await self._run(work, plain=True)

    async def list_routings(
        self,
        *,
        project_id: str | None = None,
        pod_name: str | None = None,
        resource_type: str | None = None,
        limit: int = 100,
        after: tuple[str, str] | None = None,
    ) -> list[Routing]:
        """One page ordered by (resource_type, resource_id); `after` is the previous page's last."""
        if limit < 1:
            raise BadRequest(f"limit must be positive, not {limit}")
        work = partial(
            _list_routings,
            project_id=project_id,
            pod_name=pod_name,
            resource_type=None if resource_type is None else check_resource_type(resource_type),
            limit=limit,
            after=after,
        )
        return await self._run(work)

    async def recent_routings(self, limit: int) -> list[Routing]:
        """The `limit` newest routings, oldest first (the start-up fill of Envoy's table)."""
        if limit < 1:
            return []
        return await self._run(partial(_recent_routings, limit=limit))

    async def delete_routing(self, resource_type: ResourceType | str, resource_id: str) -> None:
        """Forget where a resource lives."""
        kind = check_resource_type(resource_type)
        work = partial(_delete_routing, resource_type=kind, resource_id=resource_id)
        deleted = Change(Kind.ROUTING_DELETED, kind.value, resource_id)
        await self._run(work, write=True, notify=lambda _: (deleted,))

    async def announce(self, change: Change) -> None:
        """Notify the other replicas of a change no write carries (a user deleted a resource)."""
        if self._engine.dialect.name != "postgresql":
            return
        await self._run(partial(send, origin=self.origin, changes=(change,)))

    async def count_routings(self, pod_name: str) -> int:
        """How many resources live in a pod."""
        return await self._run(partial(_count_routings, pod_name=pod_name))

    async def routings_per_pod(self) -> dict[str, int]:
        """How many resources live in each pod (every pod named, 0 included), in one query."""
        return await self._run(_routings_per_pod)

    async def _run(
        self,
        work: _Work[_T] | _PlainWork[_T],
        *,
        write: bool = False,
        retries: int = 0,
        notify: _Changes[_T] | None = None,
        plain: bool = False,
    ) -> _T:
        """Run `work` in one transaction, retrying lost unique-key races `retries` times.

        `notify` names the changes to announce from `work`'s result; they are sent in the same
        transaction, so a write that rolls back announces nothing. `plain` work gets a bare
        connection instead of an ORM session: half the cost, for the per-request queries.
        """
        while True:
            try:
                async with self._one_writer if write else contextlib.nullcontext():
                    if plain:
                        return await self._on_connection(work, write=write)
                    async with self._sessions() as session, session.begin():
                        if write:
                            await session.connection(execution_options={IMMEDIATE: True})
                        result = await work(session)
                        changes = tuple(notify(result)) if notify is not None else ()
                        await send(session, self.origin, changes)
                if changes:
                    self.committed(changes)
                return result
            except IntegrityError as exc:
                if retries > 0:
                    retries -= 1
                    continue
                raise FailedPrecondition(
                    "A concurrent change conflicts with this one; try again"
                ) from exc
            except DBAPIError as exc:
                raise PodgateError(f"Database error ({type(exc.orig).__name__})") from exc

    async def _on_connection(self, work: _PlainWork[_T], *, write: bool) -> _T:
        async with self._engine.connect() as connection:
            if write:
                await connection.execution_options(**{IMMEDIATE: True})
            async with connection.begin():
                return await work(connection)


def _pods_changed(_: object) -> Sequence[Change]:
    return (PODS,)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


async def _pod_row(session: AsyncSession, name: str, *, lock: bool = False) -> PodRow:
    """The pod row called `name`; `lock` holds it (PostgreSQL) until the transaction ends."""
    query = sa.select(PodRow).where(PodRow.name == name)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Pod {name} not found")
    return row


async def _pod_id(session: AsyncSession, name: str) -> str:
    pod_id = await session.scalar(sa.select(PodRow.id).where(PodRow.name == name))
    if pod_id is None:
        raise NotFound(f"Pod {name} not found")
    return pod_id


async def _create_pod(session: AsyncSession, *, pod: Pod) -> Pod:
    now = _now()
    row = PodRow(
        id=_new_id(),
        name=check_text("name", pod.name),
        az_name=check_text("az_name", pod.az_name),
        pod_az_name=check_text("pod_az_name", pod.pod_az_name, empty=True),
        dc_name=check_text("dc_name", pod.dc_name, empty=True),
        state=check_state(pod.state).value,
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


async def _get_pod(session: AsyncSession, *, name: str) -> Pod:
    return pod_from_row(await _pod_row(session, name))


async def _list_pods(session: AsyncSession, *, az_name: str | None) -> list[Pod]:
    query = sa.select(PodRow).order_by(PodRow.created_at, PodRow.name)
    if az_name is not None:
        query = query.where(PodRow.az_name == az_name)
    return [pod_from_row(row) for row in (await session.scalars(query)).all()]


async def _update_pod(
    session: AsyncSession,
    *,
    name: str,
    state: PodState | None,
    fields: dict[str, str],
    set_endpoints: dict[str, str],
    remove_endpoints: frozenset[str],
) -> Pod:
    set_endpoints = endpoint_values(set_endpoints)
    row = await _pod_row(session, name, lock=True)
    if state is not None:
        row.state = check_state(state).value
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
    row.updated_at = _now()
    await session.flush()
    return pod_from_row(row)


async def _delete_pod(session: AsyncSession, *, name: str, force: bool) -> int:
    """Delete the pod; returns how many routings went with it."""
    row = await _pod_row(session, name, lock=True)
    count = await _count(session, row.id)
    if count and not force:
        raise FailedPrecondition(
            f"Pod {name} still has {count} routings; delete them first or use force"
        )
    await session.execute(sa.delete(RoutingRow).where(RoutingRow.pod_id == row.id))
    await session.execute(sa.delete(BindingRow).where(BindingRow.pod_id == row.id))
    await session.delete(row)
    return count


async def _create_binding(session: AsyncSession, *, project_id: str, pod_name: str) -> Binding:
    project_id = check_text("project_id", project_id)
    pod = await _pod_row(session, pod_name)
    active_here = (
        BindingRow.project_id == project_id,
        BindingRow.az_name == pod.az_name,
        BindingRow.active,
    )
    if await session.scalar(sa.select(BindingRow.pod_id).where(*active_here)) == pod.id:
        raise AlreadyExists(f"Project {project_id} is already bound to pod {pod_name}")
    now = _now()
    await session.execute(
        sa.update(BindingRow).where(*active_here).values(active=False, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    row = BindingRow(
        id=_new_id(),
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


async def _list_bindings(
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


async def _delete_binding(session: AsyncSession, *, binding_id: str) -> None:
    result = await session.execute(sa.delete(BindingRow).where(BindingRow.id == binding_id))
    if result.rowcount == 0:
        raise NotFound(f"Binding {binding_id} not found")


def _checked(routing: Routing) -> Routing:
    """The routing with its fields validated (BadRequest) and its type normalised."""
    return replace(
        routing,
        resource_type=check_resource_type(routing.resource_type),
        resource_id=check_text("resource_id", routing.resource_id),
        project_id=check_text("project_id", routing.project_id),
    )


async def _insert_routings(
    connection: AsyncConnection, *, routings: Sequence[Routing]
) -> list[Routing | None]:
    """New resources in two statements for the whole batch (creates wait for them); None for
    an id stored already or a pod that is unknown (then `_put_routing` decides)."""
    names = {routing.pod_name for routing in routings}
    found = await connection.execute(
        sa.select(PodRow.name, PodRow.id).where(PodRow.name.in_(names))
    )
    pod_ids = {name: pod_id for name, pod_id in found.all()}
    now = _now()
    rows = [
        {
            "resource_id": routing.resource_id,
            "resource_type": str(routing.resource_type),
            "project_id": routing.project_id,
            "pod_id": pod_ids[routing.pod_name],
            "created_at": now,
            "updated_at": now,
        }
        for routing in routings
        if routing.pod_name in pod_ids
    ]
    inserted: set[tuple[str, str]] = set()
    if rows:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        result = await connection.execute(
            insert(RoutingRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["resource_type", "resource_id"])
            .returning(RoutingRow.resource_type, RoutingRow.resource_id)
        )
        inserted = {(kind, resource_id) for kind, resource_id in result.all()}
    done: list[Routing | None] = []
    for routing in routings:
        key = (str(routing.resource_type), routing.resource_id)
        if key in inserted:
            inserted.discard(key)  # a second copy of one id in the batch was not inserted
            done.append(replace(routing, created_at=now, updated_at=now))
        else:
            done.append(None)
    return done


async def _put_routing(session: AsyncSession, *, routing: Routing) -> Routing:
    resource_type = check_resource_type(routing.resource_type)
    resource_id = check_text("resource_id", routing.resource_id)
    project_id = check_text("project_id", routing.project_id)
    now = _now()
    pod_id = await _pod_id(session, routing.pod_name)
    this = (RoutingRow.resource_type == resource_type.value, RoutingRow.resource_id == resource_id)
    stored = (
        await session.execute(
            sa.select(
                RoutingRow.project_id,
                RoutingRow.pod_id,
                RoutingRow.created_at,
                RoutingRow.updated_at,
            ).where(*this)
        )
    ).one_or_none()
    if stored is None:
        await session.execute(
            sa.insert(RoutingRow).values(
                resource_id=resource_id,
                resource_type=resource_type.value,
                project_id=project_id,
                pod_id=pod_id,
                created_at=now,
                updated_at=now,
            )
        )
        created_at = updated_at = now
    elif stored.project_id != project_id:
        raise FailedPrecondition(f"The {resource_type} {resource_id} belongs to another project")
    elif stored.pod_id != pod_id:
        await session.execute(
            sa.update(RoutingRow).where(*this).values(pod_id=pod_id, updated_at=now),
            execution_options={"synchronize_session": False},
        )
        created_at, updated_at = stored.created_at, now
    else:
        created_at, updated_at = stored.created_at, stored.updated_at
    return Routing(
        resource_id=resource_id,
        resource_type=resource_type,
        project_id=project_id,
        pod_name=routing.pod_name,
        created_at=created_at,
        updated_at=updated_at,
    )


async def _learn_routings(session: AsyncSession, *, routings: Sequence[Routing]) -> int:
    rows: dict[tuple[str, str], Routing] = {}
    for routing in routings:
        resource_type = check_resource_type(routing.resource_type).value
        rows.setdefault((resource_type, check_text("resource_id", routing.resource_id)), routing)
    names = {routing.pod_name for routing in rows.values()}
    found = await session.execute(sa.select(PodRow.name, PodRow.id).where(PodRow.name.in_(names)))
    pod_ids = {name: pod_id for name, pod_id in found.all()}
    now = _now()
    values = [
        {
            "resource_id": resource_id,
            "resource_type": resource_type,
            "project_id": check_text("project_id", routing.project_id),
            "pod_id": pod_ids[routing.pod_name],
            "created_at": now,
            "updated_at": now,
        }
        for (resource_type, resource_id), routing in rows.items()
        if routing.pod_name in pod_ids
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for start in range(0, len(values), _LEARN_CHUNK):
        statement = (
            insert(RoutingRow)
            .values(values[start : start + _LEARN_CHUNK])
            .on_conflict_do_nothing(index_elements=["resource_type", "resource_id"])
            .returning(RoutingRow.resource_id)
        )
        added += len((await session.execute(statement)).all())
    return added


def _routings_query() -> sa.Select[tuple[RoutingRow, str]]:
    return sa.select(RoutingRow, PodRow.name).join(PodRow, PodRow.id == RoutingRow.pod_id)


_ROUTING_COLUMNS = (
    RoutingRow.resource_id,
    RoutingRow.resource_type,
    RoutingRow.project_id,
    PodRow.name,
    RoutingRow.created_at,
    RoutingRow.updated_at,
)


def _routing_of(row: sa.Row[Any]) -> Routing:
    resource_id, kind, project_id, pod_name, created_at, updated_at = row
    return Routing(resource_id, ResourceType(kind), project_id, pod_name, created_at, updated_at)


async def _get_routing(
    connection: AsyncConnection, *, resource_type: ResourceType, resource_id: str
) -> Routing | None:
    query = (
        sa.select(*_ROUTING_COLUMNS)
        .join(PodRow, PodRow.id == RoutingRow.pod_id)
        .where(
            RoutingRow.resource_type == resource_type.value, RoutingRow.resource_id == resource_id
        )
    )
    found = (await connection.execute(query)).one_or_none()
    return None if found is None else _routing_of(found)


async def _list_routings(
    session: AsyncSession,
    *,
    project_id: str | None,
    pod_name: str | None,
    resource_type: ResourceType | None,
    limit: int,
    after: tuple[str, str] | None,
) -> list[Routing]:
    query = _routings_query().order_by(RoutingRow.resource_type, RoutingRow.resource_id)
    if project_id is not None:
        query = query.where(RoutingRow.project_id == project_id)
    if pod_name is not None:
        query = query.where(PodRow.name == pod_name)
    if resource_type is not None:
        query = query.where(RoutingRow.resource_type == resource_type.value)
    if after is not None:
        last_type, last_id = after
        query = query.where(
            sa.or_(
                RoutingRow.resource_type > last_type,
                sa.and_(RoutingRow.resource_type == last_type, RoutingRow.resource_id > last_id),
            )
        )
    rows = (await session.execute(query.limit(limit))).all()
    return [routing_from_row(row, name) for row, name in rows]


async def _recent_routings(session: AsyncSession, *, limit: int) -> list[Routing]:
    # The surrogate key grows with every insert, so its index gives the newest rows cheaply;
    # plain columns, not ORM objects: 100 000 rows take 0.2 s instead of 7 s.
    query = (
        sa.select(*_ROUTING_COLUMNS)
        .join(PodRow, PodRow.id == RoutingRow.pod_id)
        .order_by(RoutingRow.id.desc())
        .limit(limit)
    )
    return [_routing_of(row) for row in reversed((await session.execute(query)).all())]


async def _delete_routing(
    session: AsyncSession, *, resource_type: ResourceType, resource_id: str
) -> None:
    result = await session.execute(
        sa.delete(RoutingRow).where(
            RoutingRow.resource_type == resource_type.value, RoutingRow.resource_id == resource_id
        )
    )
    if result.rowcount == 0:
        raise NotFound(f"No routing for {resource_type} {resource_id}")


async def _count(session: AsyncSession, pod_id: str) -> int:
    query = sa.select(sa.func.count()).select_from(RoutingRow).where(RoutingRow.pod_id == pod_id)
    return (await session.scalar(query)) or 0


async def _count_routings(session: AsyncSession, *, pod_name: str) -> int:
    return await _count(session, await _pod_id(session, pod_name))


async def _routings_per_pod(session: AsyncSession) -> dict[str, int]:
    counts = (
        sa.select(RoutingRow.pod_id, sa.func.count().label("n"))
        .group_by(RoutingRow.pod_id)
        .subquery()
    )
    query = sa.select(PodRow.name, counts.c.n).outerjoin(counts, counts.c.pod_id == PodRow.id)
    return {name: n or 0 for name, n in (await session.execute(query)).all()}
