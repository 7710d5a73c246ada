"""One create request once placed (decide.py): record where the new resource went.

Once the pod has accepted the create (2xx), the project's binding (when scheduling asked for
one) and the new id's routing are stored, so every later request for it is routed without
asking anyone; a pod answering with an id already routed to another pod never takes it over.
"""

import asyncio
import logging
from typing import Protocol

from control_plane.decision.decisions import Placed
from control_plane.decision.mutate import parse_created, user_body
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import AlreadyExists, FailedPrecondition, PodgateError
from control_plane.model import Binding, Pod, Routing

__all__ = ["BindingStore", "Creation"]

log = logging.getLogger("podgate.decision")
# Routing writes that outlive their request (asyncio keeps only weak references to tasks).
_WRITES: set["asyncio.Future[Routing | None]"] = set()
# Users see zones, never pod names.
_NOT_RECORDED = "The {noun} {id} was created but could not be recorded."


class BindingStore(Protocol):
    """The part of the store scheduling needs."""

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's current bindings, one per AZ at most (may come from a cache)."""

    async def stored_bindings(self, project_id: str) -> list[Binding]:
        """The same, read from the database: what a binding write decides on."""

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        """Bind the project to the pod (replacing its binding in that pod's AZ)."""


class Creation:
    """What one placed create still has to do: record it once its pod accepted it."""

    def __init__(
        self,
        op: ResourceOperation,
        placed: Placed,
        *,
        store: BindingStore,
        routing_table: RoutingTable,
        request_id: str,
    ) -> None:
        self._op = op
        self._resource_type = op.resource_type
        self._placed = placed
        self._store = store
        self._routing_table = routing_table
        self._request_id = request_id

    async def record(self, status: int, body: bytes) -> bytes | None:
        """Bind the project and store the routings on the pod's 2xx; the body for the user
        (None when unchanged).

        Nothing is written before the pod accepted the create: a refused create (4xx) or a
        failed one leaves neither a binding nor a routing behind. A bulk create's every id is
        routed, as its own create would be.
        """
        if not 200 <= status < 300:
            return None
        pod = self._placed.target.pod
        created = parse_created(self._resource_type, body)
        noun = self._resource_type.value
        ids = created.resource_ids if created is not None else ()
        named = ",".join(ids) or "-"
        # Shielded: if Envoy gives up on this stream (message timeout), the pod has the resources
        # all the same, so the binding and the routings must still be written.
        write = asyncio.ensure_future(self._write(pod, ids))
        _WRITES.add(write)
        write.add_done_callback(_WRITES.discard)
        try:
            stored = await asyncio.shield(write)
        except asyncio.CancelledError:
            log.warning(
                "%s %s %s created in pod %s; the client was gone before it was recorded",
                self._request_id,
                noun,
                named,
                pod.name,
            )
            raise
        except Exception as exc:
            log.exception(
                "%s %s %s created in pod %s but not recorded",
                self._request_id,
                noun,
                named,
                pod.name,
            )
            raise PodgateError(_NOT_RECORDED.format(noun=noun, id=named)) from exc
        if created is None:
            return None
        lost = [
            resource_id
            for resource_id, routing in zip(ids, stored, strict=True)
            if routing is None or routing.pod_name != pod.name
        ]
        for resource_id, routing in zip(ids, stored, strict=True):
            if resource_id in lost:
                self._collided(resource_id, pod, routing)
        if lost:
            raise PodgateError(_NOT_RECORDED.format(noun=noun, id=",".join(lost)))
        log.info("%s recorded %s %s in pod %s", self._request_id, noun, named, pod.name)
        return user_body(created, pod)

    async def _write(self, pod: Pod, ids: tuple[str, ...]) -> list[Routing | None]:
        """The project's binding when scheduling asked for one, then each new id's routing
        (None: the id is another project's, or a write conflicted: not ours)."""
        if self._placed.bind:
            try:
                await self._bind(self._op.project_id, pod)
            except Exception:
                # The resource exists all the same: its routing matters more than stickiness.
                log.exception("%s project not bound to pod %s", self._request_id, pod.name)
        stored: list[Routing | None] = []
        for resource_id in ids:
            routing = Routing(
                resource_id=resource_id,
                resource_type=self._resource_type,
                project_id=self._op.project_id,
                pod_name=pod.name,
            )
            try:
                stored.append(await self._routing_table.record(routing))
            except FailedPrecondition:
                stored.append(None)
        return stored

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

    async def _bind(self, project_id: str, pod: Pod) -> None:
        """Bind the project unless it got bound in the pod's AZ meanwhile (a concurrent create:
        the first answer wins, so a late one never moves the project); a binding to the pod
        scheduling moved it away from (full, DRAINING) is the one replaced."""
        bindings = await self._store.stored_bindings(project_id)
        replaces = self._placed.replaces
        if any(b.az_name == pod.az_name and b.pod_name != replaces for b in bindings):
            return
        try:
            await self._store.create_binding(project_id, pod.name)
        except AlreadyExists:
            log.info(
                "%s project %s already bound to pod %s", self._request_id, project_id, pod.name
            )
            return
        if replaces is not None:
            log.info(
                "%s project %s rebound from pod %s to pod %s",
                self._request_id,
                project_id,
                replaces,
                pod.name,
            )
