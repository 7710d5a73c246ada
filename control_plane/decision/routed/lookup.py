"""Where the resources a request names live: the routing table first, then the pods (recovery).
An adapter: the table reads the store, recovery asks the pods."""

import asyncio
from collections.abc import Mapping

from control_plane.decision.decide import names_resource
from control_plane.decision.decisions import Reference
from control_plane.decision.operation import Kind, ResourceOperation
from control_plane.decision.resources import SPECS
from control_plane.decision.routed.recovery import Recovery
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Pod, Routing

__all__ = ["find_referenced", "find_routing"]


async def find_routing(
    table: RoutingTable,
    recovery: Recovery,
    op: ResourceOperation,
    method: str,
    pods: Mapping[str, Pod],
    headers: Mapping[str, str],
) -> Routing | None:
    """The resource's routing; an id without one is looked for in the pods (with the
    caller's `headers`): its routing may have been lost in a crash, or the resource is gone
    but still shows below its path (recovery.py)."""
    routing = await table.lookup(op.resource_type, op.resource_id)
    if routing is None:
        routing = await recovery.find(op, pods, headers)
    if routing is None and method == "GET" and not names_resource(op):
        routing = await recovery.below(op, pods, headers)
    return routing


async def find_referenced(
    table: RoutingTable,
    recovery: Recovery,
    project_id: str,
    references: tuple[Reference, ...],
    pods: Mapping[str, Pod],
    headers: Mapping[str, str],
) -> dict[Reference, Routing]:
    """The routings of the resources a body names, looked up together; one the table does
    not know is looked for in the pods (an operator's `public` network, made in its pod);
    unknown ones absent."""
    named = list(dict.fromkeys(references))

    async def one(reference: Reference) -> Routing | None:
        routing = await table.lookup(reference.resource_type, reference.resource_id)
        if routing is not None:
            return routing
        spec = SPECS[reference.resource_type]
        asked = ResourceOperation(
            Kind.ROUTED,
            spec.service,
            project_id,
            spec.item_path(reference.resource_id),
            resource_type=reference.resource_type,
            resource_id=reference.resource_id,
        )
        return await recovery.find(asked, pods, headers)

    found = await asyncio.gather(*(one(reference) for reference in named))
    return {
        reference: routing
        for reference, routing in zip(named, found, strict=True)
        if routing is not None
    }
