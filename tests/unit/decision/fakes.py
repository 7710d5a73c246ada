"""In-memory stand-ins: the store's routings and bindings, the gate (pods: fake_pods)."""

import asyncio
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from control_plane.decision.decide import decide
from control_plane.decision.decisions import Facts, Placed, Target
from control_plane.decision.operation import Operation, ResourceOperation
from control_plane.decision.pod_choice import owned
from control_plane.decision.routed.recovery import Recovery
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import AlreadyExists, PodgateError, Unauthorized
from control_plane.identity import Caller, IdentityBusy
from control_plane.model import (
    Binding,
    CopiedType,
    Copies,
    Pod,
    QuotaScope,
    ResourceType,
    Routing,
)


class MemoryStore:
    """Keeps routings and bindings in dicts; every call yields to the loop like real I/O does."""

    def __init__(self, pods: Mapping[str, Pod] | None = None) -> None:
        self.pods = dict(pods or {})
        self.routings: dict[tuple[str, str], Routing] = {}
        self.bindings: list[Binding] = []
        self.copies: dict[tuple[str, str], Copies] = {}
        self.quotas: dict[QuotaScope, dict[str, int]] = {}
        self.reads = 0
        self.batch_reads = 0
        self.learn_calls = 0
        self.fail_writes = False

    async def quota_limits(self, scope: QuotaScope) -> dict[str, int]:
        await _io()
        return dict(self.quotas.get(scope, {}))

    async def set_quota_limits(self, scope: QuotaScope, limits: Mapping[str, int]) -> None:
        await _io()
        self.quotas.setdefault(scope, {}).update(limits)

    async def delete_quota_limits(self, scope: QuotaScope, *, every_user: bool = False) -> None:
        await _io()
        for stored in list(self.quotas):
            same_project = (stored.service, stored.project_id) == (scope.service, scope.project_id)
            if stored == scope or (every_user and same_project):
                del self.quotas[stored]

    async def quota_scopes(self) -> list[QuotaScope]:
        await _io()
        return sorted(
            self.quotas, key=lambda scope: (scope.service, scope.project_id, scope.user_id)
        )

    async def record_copies(self, copies: Copies) -> None:
        await _io()
        key = (str(copies.copied_type), copies.gateway_id)
        known = self.copies.get(key)
        # As the real store: one row per pod, a pod's second copy of one object refused.
        if known is not None and set(known.ids) & set(copies.ids):
            raise AlreadyExists(f"copies of {copies.gateway_id} already recorded")
        ids = {**(known.ids if known else {}), **copies.ids}
        self.copies[key] = Copies(copies.copied_type, copies.gateway_id, copies.project_id, ids)

    async def copies_of(
        self, copied_type: CopiedType, gateway_ids: Sequence[str]
    ) -> dict[str, Copies]:
        await _io()
        found = (self.copies.get((str(copied_type), i)) for i in gateway_ids)
        return {copies.gateway_id: copies for copies in found if copies is not None}

    async def gateway_ids(self, copied_type: CopiedType, copy_ids: Sequence[str]) -> dict[str, str]:
        await _io()
        wanted = set(copy_ids)
        return {
            copy_id: copies.gateway_id
            for (kind, _), copies in self.copies.items()
            if kind == str(copied_type)
            for copy_id in copies.ids.values()
            if copy_id in wanted
        }

    async def every_copy(self, copied_type: CopiedType) -> list[Copies]:
        await _io()
        return [c for (kind, _), c in sorted(self.copies.items()) if kind == str(copied_type)]

    async def forget_copies(self, copied_type: CopiedType, gateway_id: str) -> None:
        await _io()
        self.copies.pop((str(copied_type), gateway_id), None)

    async def get_routing(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        await _io()
        self.reads += 1
        return self.routings.get((str(resource_type), resource_id))

    async def put_routing(self, routing: Routing) -> Routing:
        await _io()
        if self.fail_writes:
            raise OSError("database is locked")
        # As the real store: a stored routing wins (a resource never moves to another pod).
        return self.routings.setdefault((str(routing.resource_type), routing.resource_id), routing)

    async def give_routing(
        self, resource_type: ResourceType, resource_id: str, project_id: str
    ) -> Routing | None:
        await _io()
        key = (str(resource_type), resource_id)
        if key not in self.routings:
            return None
        self.routings[key] = replace(self.routings[key], project_id=project_id)
        return self.routings[key]

    async def get_routings(
        self, resource_type: ResourceType, resource_ids: Sequence[str]
    ) -> list[Routing]:
        await _io()
        self.reads += 1
        self.batch_reads += 1
        found = (self.routings.get((str(resource_type), i)) for i in dict.fromkeys(resource_ids))
        return [routing for routing in found if routing is not None]

    async def learn_routings(self, routings: Sequence[Routing]) -> int:
        await _io()
        self.learn_calls += 1
        if self.fail_writes:
            raise PodgateError("Database error (OperationalError)")
        added = 0
        for routing in routings:
            key = (str(routing.resource_type), routing.resource_id)
            if key not in self.routings:
                self.routings[key] = routing
                added += 1
        return added

    async def forget_routings(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        await _io()
        forgotten = []
        for routing in routings:
            key = (str(routing.resource_type), routing.resource_id)
            stored = self.routings.get(key)
            if stored is not None and stored.pod_name == routing.pod_name:
                forgotten.append(self.routings.pop(key))
        return forgotten

    async def active_bindings(self, project_id: str) -> list[Binding]:
        await _io()
        return await self._active(project_id)

    async def stored_bindings(self, project_id: str) -> list[Binding]:
        await _io()
        return await self._active(project_id)

    async def _active(self, project_id: str) -> list[Binding]:
        return [b for b in self.bindings if b.project_id == project_id and b.active]

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        await _io()
        az = self.pods[pod_name].az_name
        if any(
            b.project_id == project_id and b.pod_name == pod_name
            for b in await self._active(project_id)
        ):
            raise AlreadyExists(f"Project {project_id} is already bound to pod {pod_name}")
        self.bindings = [
            Binding(b.id, b.project_id, b.az_name, b.pod_name, active=False)
            if b.project_id == project_id and b.az_name == az
            else b
            for b in self.bindings
        ]
        binding = Binding(str(uuid.uuid4()), project_id, az, pod_name)
        self.bindings.append(binding)
        return binding


async def _io() -> None:
    """A few loop turns, so work left to a background task would visibly lag behind."""
    for _ in range(3):
        await asyncio.sleep(0)


async def owner(
    table: RoutingTable,
    pods: Mapping[str, Pod],
    op: Operation,
    *,
    recovery: Recovery | None = None,
    headers: Mapping[str, str] | None = None,
    unhealthy: Collection[str] = frozenset(),
    any_project: bool = False,
) -> Target:
    """The owner's target as the exchange finds it: lookup, recovery, then decide's owned()."""
    assert isinstance(op, ResourceOperation)
    routing = await table.lookup(op.resource_type, op.resource_id)
    if routing is None and recovery is not None:
        routing = await recovery.find(op, pods, headers or {})
    return owned(op, routing, pods, unhealthy, any_project=any_project)


async def place(
    store: MemoryStore,
    pods: Mapping[str, Pod],
    op: Operation,
    body: bytes,
    unhealthy: frozenset[str] = frozenset(),
) -> Placed:
    """A scheduled create's placement as the exchange decides it, with the project's bindings."""
    bindings = tuple(await store.active_bindings(op.project_id))
    facts = Facts("POST", "", {}, pods, unhealthy=unhealthy, body=body, bindings=bindings)
    placed = decide(op, facts)
    assert isinstance(placed, Placed)
    return placed


# The tokens FakeGate knows: project and roles.
TOKENS = {"p1-token": ("p1", frozenset({"member"})), "admin-token": ("ops", frozenset({"admin"}))}


class FakeGate:
    """Knows two tokens; counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.clients: list[str] = []

    async def caller(self, token: str | None, *, client: str = "") -> Caller:
        self.calls += 1
        self.clients.append(client)
        if token == "busy-token":
            raise IdentityBusy("Too many token validations in progress; retry later.")
        if token not in TOKENS:
            raise Unauthorized("The request you have made requires authentication.")
        project, roles = TOKENS[token]
        return Caller("user", project, roles, "admin" in roles, datetime.now(UTC))
