"""Deliver one external-events request: each pod its share, all at once, within one deadline."""

import asyncio
import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from control_plane.decision.events import Delivery, Share, merge, parse_events, split
from control_plane.decision.mutate import pod_path
from control_plane.decision.pod_client import PodCallError, PodSend, forwarded_headers
from control_plane.decision.targets import RoutingLookup
from control_plane.model import Pod, PodState, ResourceType, Service

__all__ = ["EventRelay"]

log = logging.getLogger("podgate.events")

_REMAINDER = "/os-server-external-events"


class EventRelay:
    """Splits a request's events by the pod of each server and merges the pods' answers."""

    def __init__(self, *, send: PodSend, routings: RoutingLookup, timeout_s: float) -> None:
        self._send = send
        self._routings = routings
        self._timeout_s = timeout_s

    async def relay(
        self,
        *,
        request_id: str,
        project_id: str,
        body: bytes,
        headers: Mapping[str, str],
        pods: Mapping[str, Pod],
    ) -> tuple[int, bytes]:
        """The status and body to answer; BadRequest when the body names no events."""
        events = parse_events(body)
        servers = sorted({event["server_uuid"] for event in events})
        routings = await asyncio.gather(
            *(self._routings.lookup(ResourceType.SERVER, server) for server in servers)
        )
        pod_of = {r.resource_id: r.pod_name for r in routings if r is not None}
        shares = split(events, pod_of)
        outgoing = {**forwarded_headers(headers), "content-type": "application/json"}
        deliveries = await asyncio.gather(
            *(self._deliver(share, pods.get(share.pod), project_id, outgoing) for share in shares)
        )
        status, answer = merge(events, deliveries)
        log.info(
            "%s external events -> %d",
            request_id,
            status,
            extra={"events": len(events), "pods": ",".join(s.pod for s in shares) or "-"},
        )
        return status, answer

    async def _deliver(
        self, share: Share, pod: Pod | None, project_id: str, headers: Mapping[str, str]
    ) -> Delivery:
        endpoint = _endpoint(pod)
        if endpoint is None:
            log.warning("events for pod %s not delivered: pod not usable", share.pod)
            return Delivery(share, None)
        parts = urlsplit(endpoint)
        url = f"{parts.scheme}://{parts.netloc}{pod_path(endpoint, project_id, _REMAINDER)}"
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._send("POST", url, headers, share.body())
        except (PodCallError, TimeoutError) as exc:
            log.warning("events for pod %s not delivered: %s", share.pod, exc or "timeout")
            return Delivery(share, None)
        return Delivery(share, response.status, response.body)


def _endpoint(pod: Pod | None) -> str | None:
    if pod is None or pod.state == PodState.DISABLED:
        return None
    return pod.endpoints.get(str(Service.COMPUTE)) or None
