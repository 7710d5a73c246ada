"""Carry out an accepted volume transfer at the gateway: the volume, and the snapshots Cinder
moves with it, are routed as the accepting project's.

Cinder gives the accepting project the volume and (unless the transfer said `no_snapshots`)
every snapshot of it; their routings must follow, or the new owner's requests would be refused
as another project's. The volume's routing moves before the answer goes on (the new owner's
next request is for it); the snapshots are read from the volume's pod as the new owner sees
them (`GET snapshots/detail?volume_id=`) after it, in the background, within one deadline: the
answer must not wait for a second pod call. A pod that does not answer leaves them with the
old owner, logged.
"""

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol
from urllib.parse import urlencode

from control_plane.decision.pods.client import PodCallError, PodFetch, forwarded_headers
from control_plane.decision.routed.transfers import accepted_volume
from control_plane.endpoints import pod_url
from control_plane.errors import PodgateError
from control_plane.model import Pod, ResourceType, Routing, Service

__all__ = ["Acceptance", "RoutingGiver"]

log = logging.getLogger("podgate.transfers")

_VOLUME, _SNAPSHOT = ResourceType.VOLUME, ResourceType.SNAPSHOT


class RoutingGiver(Protocol):
    """The part of the routing table an acceptance needs."""

    async def give(
        self, resource_type: ResourceType, resource_id: str, project_id: str
    ) -> Routing | None:
        """The resource is `project_id`'s now; None when no routing was stored."""

    async def learn(self, routings: Sequence[Routing]) -> int:
        """Record routings not known yet; returns how many were new."""


class Acceptance:
    """Moves the routings of what accepted transfers gave away."""

    def __init__(self, *, fetch: PodFetch, routings: RoutingGiver, timeout_s: float) -> None:
        self._fetch = fetch
        self._routings = routings
        self._timeout_s = timeout_s
        self._moving: set[asyncio.Task[None]] = set()

    async def settle(self) -> None:
        """Wait for the snapshot moves under way (at shutdown, and in tests)."""
        while self._moving:
            await asyncio.gather(*self._moving, return_exceptions=True)

    async def accepted(
        self,
        request_id: str,
        pod: Pod,
        project_id: str,
        headers: Mapping[str, str],
        status: int,
        body: bytes,
    ) -> None:
        """The pod's answer to an acceptance by `project_id` (with the caller's `headers`)."""
        volume_id = accepted_volume(status, body)
        if volume_id is None:
            return
        try:
            await self._routings.give(_VOLUME, volume_id, project_id)
        except PodgateError:
            log.exception(
                "%s volume %s not routed to project %s", request_id, volume_id, project_id
            )
            return
        task = asyncio.create_task(
            self._move_snapshots(request_id, pod, project_id, volume_id, dict(headers))
        )
        self._moving.add(task)
        task.add_done_callback(self._moving.discard)

    async def _move_snapshots(
        self,
        request_id: str,
        pod: Pod,
        project_id: str,
        volume_id: str,
        headers: Mapping[str, str],
    ) -> None:
        try:
            snapshots = await self._snapshots(pod, project_id, volume_id, headers)
            for snapshot_id in snapshots:
                if await self._routings.give(_SNAPSHOT, snapshot_id, project_id) is None:
                    await self._routings.learn(
                        [Routing(snapshot_id, _SNAPSHOT, project_id, pod.name)]
                    )
        except (PodCallError, TimeoutError, PodgateError) as exc:
            log.warning(
                "%s volume %s transferred to project %s; its snapshots' routings not moved: %s",
                request_id,
                volume_id,
                project_id,
                exc,
            )
            return
        log.info(
            "%s volume %s and %d snapshot(s) transferred to project %s",
            request_id,
            volume_id,
            len(snapshots),
            project_id,
        )

    async def _snapshots(
        self, pod: Pod, project_id: str, volume_id: str, headers: Mapping[str, str]
    ) -> list[str]:
        """The ids of the volume's snapshots the new owner sees in the pod."""
        query = urlencode({"volume_id": volume_id})
        url = pod_url(pod.endpoint(Service.VOLUME), project_id, "/snapshots/detail", query)
        async with asyncio.timeout(self._timeout_s):
            response = await self._fetch(url, forwarded_headers(headers))
        if response.status != 200:
            raise PodCallError(f"HTTP {response.status} listing the volume's snapshots")
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError) as exc:
            raise PodCallError("the snapshot list is not JSON") from exc
        items = document.get("snapshots") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise PodCallError("no snapshots list in the answer")
        return [
            item["id"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]
        ]
