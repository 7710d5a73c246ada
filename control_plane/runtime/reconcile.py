"""The reconciler: routings of resources that no pod has any more are forgotten in the background.

Deletes through the gateway are followed (decision/routed/forgetting.py); this catches the rest:
resources deleted in a pod directly, deletes that outlasted their checks, answers the gateway
never saw (the fast path). Every `reconcile_interval_s` each ENABLED or DRAINING pod (draining
is how a pod is emptied before `pod delete`) lists its resources of each type it serves, ids
only, as its admin; routings that listing lacks are judged by decision/routed/reconcile.py,
confirmed one by one and forgotten. A pod or type whose listing fails forgets nothing that pass.

Resources a pod has but the store lacks are not recorded here: the lists users make and the
recovery of unknown ids (routed/recovery.py) learn them when they are asked for, with their
project, which Nova's and Cinder's id-only lists do not show.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from control_plane.decision.pods.admin_reads import AdminReads
from control_plane.decision.resources import SPECS, ResourceSpec
from control_plane.decision.routed.forgetting import RoutingForgetter, forget
from control_plane.decision.routed.reconcile import judge
from control_plane.errors import PodgateError
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState, ResourceType, Routing

__all__ = ["PassCounts", "Reconciler"]

log = logging.getLogger("podgate.reconcile")

_Key = tuple[str, ResourceType]
_PAGE = 1000
_RECONCILED = frozenset({PodState.ENABLED, PodState.DRAINING})


class StoredRoutings(Protocol):
    """The store's routing pages (control_plane.store.Store.list_routings)."""

    async def list_routings(
        self,
        *,
        pod_name: str | None = None,
        resource_type: str | None = None,
        limit: int = 100,
        after: tuple[str, str] | None = None,
    ) -> list[Routing]:
        """One page ordered by (resource_type, resource_id)."""


@dataclass(frozen=True, slots=True)
class PassCounts:
    """What one pass saw and did."""

    pods: int = 0
    listings: int = 0
    failed: int = 0
    stored: int = 0
    suspects: int = 0
    confirmed: int = 0
    forgotten: int = 0


class Reconciler:
    """Runs a pass every `interval_s`; keeps each pod and type's suspects between passes."""

    def __init__(
        self,
        *,
        reads: AdminReads,
        store: StoredRoutings,
        forgetter: RoutingForgetter,
        pods: Callable[[], Mapping[str, Pod]],
        interval_s: float,
        metrics: Metrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._reads = reads
        self._store = store
        self._forgetter = forgetter
        self._pods = pods
        self._interval_s = interval_s
        self._metrics = metrics
        self._clock = clock
        self._suspects: dict[_Key, frozenset[str]] = {}

    async def run(self) -> None:
        """A pass every `interval_s` (the first after one interval) until cancelled."""
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.reconcile()
            except Exception:
                log.exception("routings not reconciled; trying again next pass")

    async def reconcile(self) -> PassCounts:
        """One pass over every pod and type; logs one line and returns its counts."""
        began, started = time.perf_counter(), self._clock()
        pods = [pod for pod in self._pods().values() if pod.state in _RECONCILED]
        results = await asyncio.gather(*(self._pod(pod, started) for pod in pods))
        counts = _sum([count for result in results for count in result], pods=len(pods))
        kept = {(pod.name, spec.resource_type) for pod in pods for spec in _served(pod)}
        self._suspects = {key: ids for key, ids in self._suspects.items() if key in kept}
        outcome = "partial" if counts.failed else "complete"
        self._metrics.reconcile_passes.labels(outcome).inc()
        log.info(
            "routings reconciled",
            extra={
                "outcome": outcome,
                **{name: getattr(counts, name) for name in PassCounts.__slots__},
                "seconds": round(time.perf_counter() - began, 3),
            },
        )
        return counts

    async def _pod(self, pod: Pod, started: datetime) -> list[PassCounts]:
        """One pod's types in turn (one listing at a time per pod)."""
        return [await self._type(pod, spec, started) for spec in _served(pod)]

    async def _type(self, pod: Pod, spec: ResourceSpec, started: datetime) -> PassCounts:
        key = (pod.name, spec.resource_type)
        listed = await self._reads.ids(pod, spec)
        if isinstance(listed, str):
            self._suspects.pop(key, None)  # no longer two passes in a row
            log.warning("pod %s %s not reconciled: %s", pod.name, spec.collection, listed)
            return PassCounts(listings=1, failed=1)
        stored = await self._stored(pod.name, spec.resource_type)
        suspects = self._suspects.get(key, frozenset())
        verdict = judge(stored, listed, started=started, suspects=suspects)
        self._suspects[key] = verdict.suspects
        gone = [routing for routing in verdict.confirm if await self._reads.gone(pod, routing)]
        forgotten: list[Routing] = []
        if gone:
            try:
                forgotten = await forget(
                    self._forgetter,
                    gone,
                    reason="reconciled",
                    metrics=self._metrics,
                    created_before=started,
                )
            except PodgateError as exc:
                log.warning("pod %s %s not forgotten: %s", pod.name, spec.collection, exc)
        return PassCounts(
            listings=1,
            stored=len(stored),
            suspects=len(verdict.suspects),
            confirmed=len(gone),
            forgotten=len(forgotten),
        )

    async def _stored(self, pod_name: str, resource_type: ResourceType) -> list[Routing]:
        """Every routing of one pod and type, read a page at a time."""
        found: list[Routing] = []
        after: tuple[str, str] | None = None
        while True:
            page = await self._store.list_routings(
                pod_name=pod_name, resource_type=resource_type.value, limit=_PAGE, after=after
            )
            found.extend(page)
            if len(page) < _PAGE:
                return found
            after = (page[-1].resource_type.value, page[-1].resource_id)


def _served(pod: Pod) -> list[ResourceSpec]:
    return [
        spec
        for spec in SPECS.values()
        # Lists that take no marker are not walked: those routings go on a delete or a 404.
        if pod.serves(spec.service) and spec.pod_pages
    ]


def _sum(counts: list[PassCounts], *, pods: int) -> PassCounts:
    total = {name: sum(getattr(count, name) for count in counts) for name in PassCounts.__slots__}
    return PassCounts(**{**total, "pods": pods})
