"""Forget a resource's routing once its pod shows it gone, following the pods' own answers.

The exchange reports the pod's status for every routed GET or DELETE of a resource's own path
(`answered`); gone.py says what that calls for. A check runs in the background, never holding up
the user's answer: one GET of the resource as the gateway's admin (a 404 the user saw), or a
few at doubling intervals (a delete Nova or Cinder accepted, which finishes later). Gone means
forgotten in the store, here and in every replica, and off Envoy's fast path. A check that
cannot tell, or a delete still running when the checks end, leaves the routing to the
reconciler (control_plane.runtime.reconcile).
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from control_plane.decision.pods.admin_reads import AdminReads
from control_plane.decision.routed.gone import FollowUp, after_answer, check_delays
from control_plane.errors import PodgateError
from control_plane.metrics import Metrics
from control_plane.model import RESOURCE_SERVICE, Pod, Routing
from control_plane.settings import RoutingSettings

__all__ = ["NOTHING_WATCHED", "AnswerWatch", "Forgetting", "RoutingForgetter", "forget"]

log = logging.getLogger("podgate.routings")

_Key = tuple[str, str]


class AnswerWatch(Protocol):
    """What the exchange tells about routed answers."""

    def answered(self, routing: Routing, method: str, status: int) -> None:
        """The pod answered `status` to `method` on the resource's own path."""


class _NothingWatched:
    def answered(self, routing: Routing, method: str, status: int) -> None:
        pass


# No checks (unit tests, tools): routings stay until an admin or the reconciler removes them.
NOTHING_WATCHED: AnswerWatch = _NothingWatched()


class RoutingForgetter(Protocol):
    """The routing table's part (routing_table.RoutingTable.forget_gone)."""

    async def forget_gone(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        """Delete the routings everywhere; returns those the store still had."""


async def forget(
    forgetter: RoutingForgetter,
    routings: Sequence[Routing],
    *,
    reason: str,
    metrics: Metrics,
    created_before: datetime | None = None,
) -> list[Routing]:
    """Forget routings of gone resources, count and log them; returns those forgotten."""
    forgotten = await forgetter.forget_gone(routings, created_before=created_before)
    for routing in forgotten:
        metrics.routings_forgotten.labels(routing.pod_name, reason).inc()
        log.info(
            "routing forgotten",
            extra={
                "type": str(routing.resource_type),
                "id": routing.resource_id,
                "pod": routing.pod_name,
                "reason": reason,
            },
        )
    return forgotten


class Forgetting:
    """Checks reported answers in background tasks, at most `max_checks` resources at once."""

    def __init__(
        self,
        *,
        reads: AdminReads,
        forgetter: RoutingForgetter,
        pods: Callable[[], Mapping[str, Pod]],
        settings: RoutingSettings,
        metrics: Metrics,
    ) -> None:
        self._reads = reads
        self._forgetter = forgetter
        self._pods = pods
        self._delays = check_delays(settings.delete_check_first_s, settings.delete_check_s)
        self._max_checks = settings.max_checks
        self._metrics = metrics
        self._checks: dict[_Key, asyncio.Task[None]] = {}

    def answered(self, routing: Routing, method: str, status: int) -> None:
        """Start what the answer calls for; a resource already being checked is not again."""
        follow_up = after_answer(RESOURCE_SERVICE[routing.resource_type], method, status)
        if follow_up is FollowUp.NOTHING:
            return
        key = (str(routing.resource_type), routing.resource_id)
        if key in self._checks:
            return
        if len(self._checks) >= self._max_checks:
            log.warning("too many checks; %s left to the reconciler", routing.resource_id)
            return
        task = asyncio.get_running_loop().create_task(self._follow(routing, follow_up))
        self._checks[key] = task
        task.add_done_callback(lambda _: self._checks.pop(key, None))

    async def close(self) -> None:
        """Stop every check (the reconciler finishes what they leave)."""
        tasks = list(self._checks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, routing: Routing, follow_up: FollowUp) -> None:
        try:
            if follow_up is FollowUp.FORGET:
                await self._forget(routing, "deleted")
            elif follow_up is FollowUp.CONFIRM:
                if await self._gone(routing):
                    await self._forget(routing, "not_found")
            else:
                for delay in self._delays:
                    await asyncio.sleep(delay)
                    if await self._gone(routing):
                        await self._forget(routing, "deleted")
                        return
        except PodgateError as exc:
            log.warning("routing of %s not forgotten: %s", routing.resource_id, exc)
        except Exception:  # a background task: nobody else would hear of it
            log.exception("routing of %s not checked", routing.resource_id)

    async def _gone(self, routing: Routing) -> bool:
        pod = self._pods().get(routing.pod_name)
        return pod is not None and await self._reads.gone(pod, routing) is True

    async def _forget(self, routing: Routing, reason: str) -> None:
        await forget(self._forgetter, [routing], reason=reason, metrics=self._metrics)
