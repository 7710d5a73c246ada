"""Podgate's state in SQL: the Store, whose queries live in pods.py and routings.py.

Every public method of Store is one transaction. Model dataclasses go in and come out, and
driver errors leave as control_plane.errors, so no caller ever sees a row or an IntegrityError.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from control_plane.errors import BadRequest
from control_plane.model import (
    AuditEvent,
    Binding,
    CopiedType,
    Copies,
    Pod,
    PodState,
    QuotaScope,
    ResourceType,
    Routing,
)
from control_plane.store import audit as _audit
from control_plane.store import copies as _copies
from control_plane.store import pods as _pods
from control_plane.store import quotas as _quotas
from control_plane.store import routings as _routings
from control_plane.store.binding_cache import BindingCache
from control_plane.store.changes import (
    Change,
    bindings_changed,
    forgotten,
    new_origin,
    pod_deleted,
    pods_changed,
    routing_deleted,
)
from control_plane.store.engine import open_engine
from control_plane.store.feed import ChangeFeed
from control_plane.store.group_commit import GroupCommit
from control_plane.store.notify import send
from control_plane.store.rows import check_resource_type
from control_plane.store.transactions import Transactions

__all__ = ["Store"]

# Rows per INSERT when learning routings (6 bound values each; SQLite allows 32766 per statement).
_LEARN_CHUNK = 500


class Store:
    """Pods, bindings and routings in one SQLite or PostgreSQL database.

    Writes that others derive state from (pods, bindings, deleted routings) notify the other
    replicas in the same transaction (control_plane.store.notify), signed with this store's
    `origin`, and this process's subscribers once committed (`changes`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.origin = new_origin()
        self.changes = ChangeFeed()
        self._run = Transactions(engine, self.origin, self.changes).run
        self._bindings = BindingCache(self.stored_bindings)
        self.changes.subscribe(self._bindings.changed)
        self._routing_inserts: GroupCommit[Routing, Routing | None] = GroupCommit(
            lambda batch: self._run(
                partial(_routings.insert_routings, routings=batch), write=True, plain=True
            )
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
        return await self._run(partial(_pods.create_pod, pod=pod), write=True, notify=pods_changed)

    async def get_pod(self, name: str) -> Pod:
        """The pod called `name`."""
        return await self._run(partial(_pods.get_pod, name=name))

    async def list_pods(self, az_name: str | None = None) -> list[Pod]:
        """Every pod (or those of one AZ), oldest first."""
        return await self._run(partial(_pods.list_pods, az_name=az_name))

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
        tls_insecure: bool | None = None,
    ) -> Pod:
        """Change the given fields; removing an absent endpoint is a no-op, setting one wins."""
        fields = {"az_name": az_name, "pod_az_name": pod_az_name, "dc_name": dc_name}
        work = partial(
            _pods.update_pod,
            name=name,
            state=state,
            tls_insecure=tls_insecure,
            fields={key: value for key, value in fields.items() if value is not None},
            set_endpoints=dict(set_endpoints or {}),
            remove_endpoints=frozenset(remove_endpoints),
        )
        return await self._run(work, write=True, notify=pods_changed)

    async def delete_pod(self, name: str, *, force: bool = False) -> int:
        """Delete a pod and its bindings; its routings too, but only when forced (how many)."""
        work = partial(_pods.delete_pod, name=name, force=force)
        return await self._run(work, write=True, notify=pod_deleted)

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        """Make `pod_name` the project's active pod in that pod's AZ, deactivating the old one."""
        work = partial(_pods.create_binding, project_id=project_id, pod_name=pod_name)
        return await self._run(work, write=True, retries=1, notify=bindings_changed)

    async def list_bindings(
        self,
        *,
        project_id: str | None = None,
        pod_name: str | None = None,
        active_only: bool = False,
    ) -> list[Binding]:
        """Bindings matching every given filter, oldest first (inactive ones are history)."""
        work = partial(
            _pods.list_bindings, project_id=project_id, pod_name=pod_name, active_only=active_only
        )
        return await self._run(work, plain=True)

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's active bindings (at most one per AZ), oldest first, mostly from memory:
        current as far as `changes` was told (serve and the decision workers publish every
        writer's changes into it)."""
        return await self._bindings.active_bindings(project_id)

    async def stored_bindings(self, project_id: str) -> list[Binding]:
        """The project's active bindings as the database has them now (for a binding write)."""
        return await self.list_bindings(project_id=project_id, active_only=True)

    async def delete_binding(self, binding_id: str) -> None:
        """Delete one binding (active or not)."""
        work = partial(_pods.delete_binding, binding_id=binding_id)
        await self._run(work, write=True, notify=bindings_changed)

    async def put_routing(self, routing: Routing) -> Routing:
        """Record where a resource lives; committed on return. Returns the stored routing.

        A resource never moves: for an id stored already, the stored routing comes back (its
        pod may differ from the one asked for: the caller checks). New resources (the common
        case: a create) are inserted in batches with whatever other creates are being recorded
        at the same time.
        """
        new = await self._routing_inserts.submit(_routings.checked(routing))
        if new is not None:
            return new
        return await self._run(
            partial(_routings.put_routing, routing=routing), write=True, retries=1
        )

    async def learn_routings(self, routings: Sequence[Routing]) -> int:
        """Record routings of resources not stored yet; returns how many were new.

        One transaction. A stored routing always wins (a listing is no authority to move a
        resource), and a routing naming a pod that no longer exists is skipped.
        """
        if not routings:
            return 0
        return await self._run(
            partial(_routings.learn_routings, routings=routings), write=True, retries=1
        )

    async def give_routing(
        self, resource_type: ResourceType, resource_id: str, project_id: str
    ) -> Routing | None:
        """Make a stored routing `project_id`'s (a transfer accepted); None when none is.

        The other replicas forget what they cached of it, as for a deleted routing.
        """
        kind = check_resource_type(resource_type)
        work = partial(
            _routings.give_routing,
            resource_type=kind,
            resource_id=resource_id,
            project_id=project_id,
        )
        changed = (routing_deleted(kind, resource_id),)
        return await self._run(work, write=True, retries=1, notify=lambda _: changed)

    async def get_routing(
        self, resource_type: ResourceType | str, resource_id: str
    ) -> Routing | None:
        """Where a resource lives, if known."""
        work = partial(
            _routings.get_routing,
            resource_type=check_resource_type(resource_type),
            resource_id=resource_id,
        )
        return await self._run(work, plain=True)

    async def get_routings(
        self, resource_type: ResourceType | str, resource_ids: Sequence[str]
    ) -> list[Routing]:
        """The known routings among `resource_ids` (in no order), in one query per 1000 ids."""
        if not resource_ids:
            return []
        work = partial(
            _routings.get_routings,
            resource_type=check_resource_type(resource_type),
            resource_ids=list(dict.fromkeys(resource_ids)),
        )
        return await self._run(work, plain=True)

    async def record_copies(self, copies: Copies) -> None:
        """Store every pod's id of one object copied to every pod."""
        await self._run(partial(_copies.record_copies, copies=copies), write=True)

    async def copies_of(
        self, copied_type: CopiedType, gateway_ids: Sequence[str]
    ) -> dict[str, Copies]:
        """The copies of each known object among `gateway_ids`, by gateway id."""
        if not gateway_ids:
            return {}
        ids = list(dict.fromkeys(gateway_ids))
        work = partial(_copies.copies_of, copied_type=copied_type, gateway_ids=ids)
        return await self._run(work, plain=True)

    async def gateway_ids(self, copied_type: CopiedType, copy_ids: Sequence[str]) -> dict[str, str]:
        """The gateway id of each copy among the pods' `copy_ids` (unknown ones left out)."""
        if not copy_ids:
            return {}
        ids = list(dict.fromkeys(copy_ids))
        work = partial(_copies.gateway_ids, copied_type=copied_type, copy_ids=ids)
        return await self._run(work, plain=True)

    async def every_copy(self, copied_type: CopiedType) -> list[Copies]:
        """Every object of `copied_type` with its copies (the shared objects: a few hundred)."""
        return await self._run(partial(_copies.every_copy, copied_type=copied_type), plain=True)

    async def forget_copies(self, copied_type: CopiedType, gateway_id: str) -> None:
        """Drop every copy of one object."""
        work = partial(_copies.forget_copies, copied_type=copied_type, gateway_id=gateway_id)
        await self._run(work, write=True)

    async def quota_limits(self, scope: QuotaScope) -> dict[str, int]:
        """The limits over all pods set through the gateway for `scope`, by resource."""
        return await self._run(partial(_quotas.quota_limits, scope=scope), plain=True)

    async def set_quota_limits(self, scope: QuotaScope, limits: Mapping[str, int]) -> None:
        """Store limits over all pods for `scope`, replacing those of the same resources."""
        await self._run(partial(_quotas.set_quota_limits, scope=scope, limits=limits), write=True)

    async def delete_quota_limits(self, scope: QuotaScope, *, every_user: bool = False) -> None:
        """Forget the scope's limits (with `every_user`, its project's users' too)."""
        work = partial(_quotas.delete_quota_limits, scope=scope, every_user=every_user)
        await self._run(work, write=True)

    async def quota_scopes(self) -> list[QuotaScope]:
        """Every scope with limits stored (the rebalancer's work list)."""
        return await self._run(_quotas.quota_scopes, plain=True)

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
            _routings.list_routings,
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
        return await self._run(partial(_routings.recent_routings, limit=limit))

    async def delete_routing(self, resource_type: ResourceType | str, resource_id: str) -> None:
        """Forget where a resource lives."""
        kind = check_resource_type(resource_type)
        work = partial(_routings.delete_routing, resource_type=kind, resource_id=resource_id)
        deleted = (routing_deleted(kind, resource_id),)
        await self._run(work, write=True, notify=lambda _: deleted)

    async def forget_routings(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        """Forget the routings of resources found gone, in one transaction; returns those
        forgotten (the others were gone already, or name another pod, or are newer than
        `created_before`). Every replica's caches and Envoy's fast path let go of them."""
        if not routings:
            return []
        work = partial(_routings.forget_routings, routings=routings, created_before=created_before)
        return await self._run(work, write=True, notify=forgotten)

    async def announce(self, change: Change) -> None:
        """Notify the other replicas of a change no write carries (a user deleted a resource)."""
        if self._engine.dialect.name != "postgresql":
            return
        await self._run(partial(send, origin=self.origin, changes=(change,)))

    async def count_routings(self, pod_name: str) -> int:
        """How many resources live in a pod."""
        return await self._run(partial(_routings.count_routings, pod_name=pod_name))

    async def ping(self) -> None:
        """One round trip to the database (readiness)."""
        await self._run(_ping, plain=True)

    async def routings_per_pod(self) -> dict[str, int]:
        """How many resources live in each pod (every pod named, 0 included), in one query."""
        return await self._run(_routings.routings_per_pod)

    async def add_audit_event(self, event: AuditEvent) -> AuditEvent:
        """Append one admin change to the audit log."""
        return await self._run(partial(_audit.add_audit_event, event=event), write=True, plain=True)

    async def list_audit_events(
        self, *, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """The newest `limit` admin changes at or after `since`, oldest first."""
        return await self._run(
            partial(_audit.list_audit_events, since=since, limit=limit), plain=True
        )


async def _ping(connection: AsyncConnection) -> None:
    await connection.execute(text("SELECT 1"))
