"""Deliver one external-events request: each pod its share, all at once, within one deadline.

The servers' pods are found with one routing-table query for the whole request (each server
asked once), so a large request costs one round trip to the store, not one per event.
"""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

from control_plane.decision.events.parse import (
    Delivery,
    Share,
    check_caller,
    merge,
    parse_events,
    split,
)
from control_plane.decision.pods.client import PodCallError, PodSend, forwarded_headers
from control_plane.endpoints import pod_url
from control_plane.identity.policy import Caller
from control_plane.model import Pod, PodState, ResourceType, Routing, Service
from control_plane.settings import DecisionSettings

__all__ = ["EventRelay"]

log = logging.getLogger("podgate.events")

_REMAINDER = "/os-server-external-events"
_DEFAULTS = DecisionSettings()


class BatchLookup(Protocol):
    """The part of the routing table that finds many resources' pods at once."""

    async def lookup_many(
        self, resource_type: ResourceType, resource_ids: Iterable[str]
    ) -> dict[str, Routing]:
        """The known routings among `resource_ids`, by id."""


class EventRelay:
    """Splits a request's events by the pod of each server and merges the pods' answers."""

    def __init__(
        self,
        *,
        send: PodSend,
        routings: BatchLookup,
        timeout_s: float,
        max_events: int = _DEFAULTS.max_external_events,
        trust_noauth: bool = _DEFAULTS.noauth_external_events,
    ) -> None:
        self._send = send
        self._routings = routings
        self._timeout_s = timeout_s
        self._max_events = max_events
        self._trust_noauth = trust_noauth

    def admit(self, caller: Caller | None) -> None:
        """Forbidden unless `caller` (None: noauth) may send events; asked before the body."""
        check_caller(caller, trust_noauth=self._trust_noauth)

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
        events = parse_events(body, max_events=self._max_events)
        servers = [event["server_uuid"] for event in events]
        routings = await self._routings.lookup_many(ResourceType.SERVER, servers)
        pod_of = {server: routing.pod_name for server, routing in routings.items()}
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
            extra={
                "events": len(events),
                "servers": len(set(servers)),
                "pods": ",".join(s.pod for s in shares) or "-",
            },
        )
        return status, answer

    async def _deliver(
        self, share: Share, pod: Pod | None, project_id: str, headers: Mapping[str, str]
    ) -> Delivery:
        endpoint = _endpoint(pod)
        if endpoint is None:
            log.warning("events for pod %s not delivered: pod not usable", share.pod)
            return Delivery(share, None)
        url = pod_url(endpoint, project_id, _REMAINDER)
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
    return pod.endpoint(Service.COMPUTE) or None
