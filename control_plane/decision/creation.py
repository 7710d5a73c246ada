"""One create request: pick the pod from the body, then record where the new resource went.

Servers and volumes are scheduled (the project's binding in the AZ asked for, healthy pods
only); snapshots and backups go to the pod of their source volume. Once the pod has accepted
the create (2xx), the project's binding and the new id's routing are stored, so every later
request for it is routed without asking anyone; a pod answering with an id already routed to
another pod never takes it over.
"""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from control_plane.decision.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.mutate import (
    Created,
    parse_create,
    parse_created,
    pod_body,
    user_body,
)
from control_plane.decision.operation import Operation
from control_plane.decision.resources import SPECS
from control_plane.decision.routing_table import RoutingTable
from control_plane.decision.schedule import schedule
from control_plane.decision.sources import parse_sourced, sourced_body
from control_plane.decision.targets import Target, target, usable
from control_plane.errors import AlreadyExists, FailedPrecondition, NotFound, PodgateError
from control_plane.model import Binding, Pod, ResourceType, Routing

__all__ = ["BindingStore", "Creation", "Placed"]

log = logging.getLogger("podgate.decision")
# Routing writes that outlive their request (asyncio keeps only weak references to tasks).
_WRITES: set["asyncio.Future[Routing | None]"] = set()

_SCHEDULED = frozenset({ResourceType.SERVER, ResourceType.VOLUME})
# Users see zones, never pod names.
_NOT_RECORDED = "The {noun} {id} was created but could not be recorded."


class BindingStore(Protocol):
    """The part of the store scheduling needs."""

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's current bindings, one per AZ at most."""

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        """Bind the project to the pod (replacing its binding in that pod's AZ)."""


@dataclass(frozen=True, slots=True)
class Placed:
    """Where the create goes, the body the pod gets (None: the client's, unchanged), and
    whether the project is bound to the pod once the pod accepted the create."""

    target: Target
    body: bytes | None
    bind: bool = False


class Creation:
    """The decisions of one create request, in the order Envoy asks for them."""

    def __init__(
        self,
        op: Operation,
        *,
        store: BindingStore,
        routing_table: RoutingTable,
        pods: Mapping[str, Pod],
        request_id: str,
        health: HealthView = EVERY_POD_HEALTHY,
    ) -> None:
        assert op.resource_type is not None
        self._op = op
        self._resource_type = op.resource_type
        self._store = store
        self._routing_table = routing_table
        self._pods = pods
        self._request_id = request_id
        self._unhealthy = health.unhealthy(op.service)
        self.placed: Placed | None = None

    async def place(self, body: bytes) -> Placed:
        """The pod for the request body; PodgateError when there is none."""
        if self._resource_type in _SCHEDULED:
            placed = await self._schedule(body)
        else:
            placed = await self._beside_source(body)
        self.placed = placed
        return placed

    async def record(self, status: int, body: bytes) -> bytes | None:
        """Bind the project and store the routing on the pod's 2xx; the body for the user
        (None when unchanged).

        Nothing is written before the pod accepted the create: a refused create (4xx) or a
        failed one leaves neither a binding nor a routing behind.
        """
        assert self.placed is not None
        if not 200 <= status < 300:
            return None
        pod = self.placed.target.pod
        created = parse_created(self._resource_type, body)
        noun = self._resource_type.value
        resource_id = created.resource_id if created is not None else "-"
        # Shielded: if Envoy gives up on this stream (message timeout), the pod has the resource
        # all the same, so the binding and the routing must still be written.
        write = asyncio.ensure_future(self._write(pod, created))
        _WRITES.add(write)
        write.add_done_callback(_WRITES.discard)
        try:
            stored = await asyncio.shield(write)
        except asyncio.CancelledError:
            log.warning(
                "%s %s %s created in pod %s; the client was gone before it was recorded",
                self._request_id,
                noun,
                resource_id,
                pod.name,
            )
            raise
        except FailedPrecondition:
            stored = None  # the id is another project's (or a write conflicted): not ours
        except Exception as exc:
            log.exception(
                "%s %s %s created in pod %s but not recorded",
                self._request_id,
                noun,
                resource_id,
                pod.name,
            )
            raise PodgateError(_NOT_RECORDED.format(noun=noun, id=resource_id)) from exc
        if created is None:
            return None
        if stored is None or stored.pod_name != pod.name:
            self._collided(created.resource_id, pod, stored)
            raise PodgateError(_NOT_RECORDED.format(noun=noun, id=created.resource_id))
        log.info("%s recorded %s %s in pod %s", self._request_id, noun, resource_id, pod.name)
        return user_body(created, pod)

    async def _write(self, pod: Pod, created: Created | None) -> Routing | None:
        """The project's binding when scheduling asked for one, then the new id's routing."""
        assert self.placed is not None
        if self.placed.bind:
            try:
                await self._bind(self._op.project_id, pod)
            except Exception:
                # The resource exists all the same: its routing matters more than stickiness.
                log.exception("%s project not bound to pod %s", self._request_id, pod.name)
        if created is None:
            return None
        routing = Routing(
            resource_id=created.resource_id,
            resource_type=self._resource_type,
            project_id=self._op.project_id,
            pod_name=pod.name,
        )
        return await self._routing_table.record(routing)

    def _collided(self, resource_id: str, pod: Pod, stored: Routing | None) -> None:
        """One line for the operator: a pod answered with an id routed elsewhere, kept there."""
        log.warning(
            "%s %s %s created in pod %s is already routed elsewhere; the routing is kept",
            self._request_id,
            self._resource_type.value,
            resource_id,
            pod.name,
            extra={
                "event": "routing_collision",
                "request_id": self._request_id,
                "resource_type": self._resource_type.value,
                "resource_id": resource_id,
                "answering_pod": pod.name,
                "routed_pod": stored.pod_name if stored is not None else "-",
            },
        )

    async def _schedule(self, body: bytes) -> Placed:
        op = self._op
        create = parse_create(self._resource_type, body)
        bindings = await self._store.active_bindings(op.project_id)
        placement = schedule(
            _in_preference_order(self._pods.values()),
            bindings,
            create.availability_zone,
            self._unhealthy,
        )
        pod, endpoint = usable(placement.pod.name, placement.pod, op.service)
        body = pod_body(create, pod.pod_az_name)
        return Placed(target(pod, endpoint, op), body, bind=placement.bind)

    async def _beside_source(self, body: bytes) -> Placed:
        """Snapshots and backups: the pod of the project's source volume."""
        op = self._op
        create = parse_sourced(self._resource_type, body)
        routing = await self._routing_table.lookup(ResourceType.VOLUME, create.volume_id)
        if routing is None or routing.project_id != op.project_id:
            noun = SPECS[ResourceType.VOLUME].noun
            raise NotFound(f"{noun} {create.volume_id} could not be found.")
        pod, endpoint = usable(
            routing.pod_name, self._pods.get(routing.pod_name), op.service, self._unhealthy
        )
        return Placed(target(pod, endpoint, op), sourced_body(create, pod))

    async def _bind(self, project_id: str, pod: Pod) -> None:
        """Bind the project unless it got bound in the pod's AZ meanwhile (a concurrent create:
        the first answer wins, so a late one never moves the project)."""
        bindings = await self._store.active_bindings(project_id)
        if any(binding.az_name == pod.az_name for binding in bindings):
            return
        try:
            await self._store.create_binding(project_id, pod.name)
        except AlreadyExists:
            log.info(
                "%s project %s already bound to pod %s", self._request_id, project_id, pod.name
            )


def _in_preference_order(pods: Iterable[Pod]) -> list[Pod]:
    """Oldest pod first, then by name: the scheduler's tie-break order."""
    return sorted(
        pods,
        key=lambda pod: (pod.created_at is None, pod.created_at or datetime.min, pod.name),
    )
