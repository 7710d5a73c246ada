"""Find a resource whose routing was never stored (the gateway died between a pod's answer and
the write) by asking the project's pods for it.

On a routing miss for a routed request, the healthy pods offering the resource's service are
asked `GET <collection>/<id>` with the caller's own headers, at most `concurrency` at a time,
each within `timeout_s`. The first pod answering 200 for the caller's project gets the routing
(learnt, so a routing stored meanwhile wins); when no pod has it, the id is remembered as missing
for `negative_ttl_s`, so a burst of GETs for a deleted or made-up id probes once. Concurrent
misses for the same id share one probe.

A resource gone from its pod may still show below its path (Nova's instance actions of a
deleted server, 2.21+): a GET below an id no pod shows is asked of the pods by its own path,
and the first pod answering 200 gets it, with nothing recorded (the resource is gone).
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from control_plane.decision.operation import ResourceOperation
from control_plane.decision.pods.client import PodCallError, PodFetch, forwarded_headers
from control_plane.decision.pods.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.resources import PROJECT_FROM_TOKEN, SPECS
from control_plane.endpoints import pod_url
from control_plane.errors import PodgateError
from control_plane.model import Pod, PodState, ResourceType, Routing, Service

__all__ = ["Recovery", "RoutingKeeper"]

log = logging.getLogger("podgate.recovery")

_Key = tuple[ResourceType, str, str]


class RoutingKeeper(Protocol):
    """The part of the routing table recovery needs."""

    async def lookup(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The routing of one resource, if known."""

    async def learn(self, routings: Sequence[Routing]) -> int:
        """Record routings not known yet; returns how many were new."""


class Recovery:
    """Probes pods for resources the routing table does not know."""

    def __init__(
        self,
        *,
        fetch: PodFetch,
        routings: RoutingKeeper,
        timeout_s: float,
        concurrency: int = 8,
        negative_ttl_s: float = 5.0,
        negative_entries: int = 10_000,
        health: HealthView = EVERY_POD_HEALTHY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._routings = routings
        self._timeout_s = timeout_s
        self._concurrency = concurrency
        self._negative_ttl_s = negative_ttl_s
        self._negative_entries = negative_entries
        self._health = health
        self._clock = clock
        self._missing: OrderedDict[_Key, float] = OrderedDict()
        self._probes: dict[_Key, asyncio.Task[Routing | None]] = {}
        self.probes = 0

    async def find(
        self, op: ResourceOperation, pods: Mapping[str, Pod], headers: Mapping[str, str]
    ) -> Routing | None:
        """The routing of the project's resource `op` names, found in a pod; None if none has it."""
        key = (op.resource_type, op.resource_id, op.project_id)
        if self._known_missing(key):
            return None
        task = self._probes.get(key)
        if task is None:
            task = asyncio.create_task(self._probe(op, pods, forwarded_headers(headers)))
            self._probes[key] = task
            task.add_done_callback(lambda _: self._probes.pop(key, None))
        # NOTE: shielded: one caller giving up must not cancel the probe the others wait for.
        routing = await asyncio.shield(task)
        if routing is None:
            self._remember_missing(key)
        return routing

    async def below(
        self, op: ResourceOperation, pods: Mapping[str, Pod], headers: Mapping[str, str]
    ) -> Routing | None:
        """A routing, not recorded, to the pod answering 200 to the GET of `op`'s own path."""
        key = (op.resource_type, f"{op.resource_id}{op.remainder}", op.project_id)
        if self._known_missing(key):
            return None
        spec, asked = SPECS[op.resource_type], forwarded_headers(headers)
        for pod in self._candidates(spec.service, pods):
            url = pod_url(pod.endpoint(spec.service), op.project_id, op.remainder, op.query)
            try:
                async with asyncio.timeout(self._timeout_s):
                    response = await self._fetch(url, asked)
            except (PodCallError, TimeoutError) as exc:
                log.warning("pod %s not asked about %s: %s", pod.name, op.remainder, exc)
                continue
            if response.status == 200:
                log.info("pod %s shows %s of a gone %s", pod.name, op.remainder, spec.member)
                return Routing(
                    resource_id=op.resource_id,
                    resource_type=op.resource_type,
                    project_id=op.project_id,
                    pod_name=pod.name,
                )
        self._remember_missing(key)
        return None

    def _candidates(self, service: Service, pods: Mapping[str, Pod]) -> list[Pod]:
        """The pods to ask, by name: not DISABLED, offering `service`, healthy."""
        unhealthy = self._health.unhealthy(service)
        return sorted(
            (
                pod
                for pod in pods.values()
                if pod.state != PodState.DISABLED
                and pod.serves(service)
                and pod.name not in unhealthy
            ),
            key=lambda pod: pod.name,
        )

    def _known_missing(self, key: _Key) -> bool:
        expires = self._missing.get(key)
        if expires is None:
            return False
        if expires <= self._clock():
            del self._missing[key]
            return False
        return True

    def _remember_missing(self, key: _Key) -> None:
        if self._negative_ttl_s <= 0:
            return
        self._missing[key] = self._clock() + self._negative_ttl_s
        self._missing.move_to_end(key)
        while len(self._missing) > self._negative_entries:
            self._missing.popitem(last=False)

    async def _probe(
        self, op: ResourceOperation, pods: Mapping[str, Pod], headers: Mapping[str, str]
    ) -> Routing | None:
        spec = SPECS[op.resource_type]
        candidates = self._candidates(spec.service, pods)
        self.probes += 1
        log.info(
            "no routing for %s %s: asking pods %s",
            spec.member,
            op.resource_id,
            ",".join(pod.name for pod in candidates) or "-",
        )
        gate = asyncio.Semaphore(self._concurrency)
        tasks = [asyncio.create_task(self._ask(gate, pod, op, headers)) for pod in candidates]
        try:
            for next_done in asyncio.as_completed(tasks):
                routing = await next_done
                if routing is not None:
                    return await self._keep(routing)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        log.info("no pod has %s %s", spec.member, op.resource_id)
        return None

    async def _ask(
        self, gate: asyncio.Semaphore, pod: Pod, op: ResourceOperation, headers: Mapping[str, str]
    ) -> Routing | None:
        """The routing if `pod` shows the resource as the project's, else None."""
        spec = SPECS[op.resource_type]
        url = pod_url(pod.endpoint(spec.service), op.project_id, spec.item_path(op.resource_id))
        async with gate:
            try:
                async with asyncio.timeout(self._timeout_s):
                    response = await self._fetch(url, headers)
            except (PodCallError, TimeoutError) as exc:
                log.warning("pod %s not asked about %s: %s", pod.name, op.resource_id, exc)
                return None
        owner = (
            _owner(response.body, spec.member, spec.owner_field, op)
            if response.status == 200
            else None
        )
        if owner is None:
            return None
        return Routing(
            resource_id=op.resource_id,
            resource_type=op.resource_type,
            project_id=owner,
            pod_name=pod.name,
        )

    async def _keep(self, found: Routing) -> Routing:
        """Store what was found; a routing stored meanwhile (a list, a create) wins."""
        try:
            await self._routings.learn([found])
            stored = await self._routings.lookup(found.resource_type, found.resource_id)
        except PodgateError:
            log.exception("%s %s found in pod %s but not recorded", *_describe(found))
            return found
        log.info("recovered %s %s in pod %s", *_describe(found))
        return stored or found


def _owner(body: bytes, member: str, owner_field: str, op: ResourceOperation) -> str | None:
    """The project owning the resource the pod's answer shows; None when it shows none, or
    another project's on an API whose pods show only the caller's own.

    Cinder shows the owner to admins only; the pod answered under the caller's project path
    with the caller's token, so an answer without the field is the project's (as lists assume).
    Neutron shows other projects' shared and external networks (Nova's network proxies asked
    for one too): they are theirs.
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    item = document.get(member) if isinstance(document, dict) else None
    if not isinstance(item, dict) or item.get("id") != op.resource_id:
        return None
    owner = item.get(owner_field)
    if not isinstance(owner, str) or not owner or owner == op.project_id:
        return op.project_id
    return owner if SPECS[op.resource_type].service in PROJECT_FROM_TOKEN else None


def _describe(routing: Routing) -> tuple[str, str, str]:
    return (str(routing.resource_type), routing.resource_id, routing.pod_name)
