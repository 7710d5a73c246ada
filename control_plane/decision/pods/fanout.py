"""One request sent to several pods at once, each answer (or its absence) a value.

A pod the health monitor finds down is not sent anything: its reply is absent at once.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from control_plane.decision.pods.client import PodCallError, PodSend, forwarded_headers
from control_plane.decision.pods.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.pods.reply import Reply
from control_plane.endpoints import pod_url
from control_plane.model import Pod, PodState, Service

__all__ = ["AcrossPodsCall", "Fanout", "PodRequest", "usable_pods"]

log = logging.getLogger("podgate.fanout")


@dataclass(frozen=True, slots=True)
class PodRequest:
    """What to send: method, path below the project, query, headers (already forwarded), body."""

    service: Service
    method: str
    project_id: str
    remainder: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""
    # The loop time by which every pod must have answered, when rounds share one bound.
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class AcrossPodsCall:
    """One request the gateway answers from every pod (shared objects, views), as received."""

    request_id: str
    service: Service
    method: str
    project_id: str
    # The path below the project, e.g. "/flavors/detail".
    remainder: str
    query: str
    headers: Mapping[str, str]
    # `scheme://authority` the client used, for the links in the answer.
    origin: str
    body: bytes = b""

    def pod_request(self, deadline: float | None = None) -> PodRequest:
        """The request each pod gets: the caller's forwarded headers, the body as JSON."""
        headers = forwarded_headers(self.headers)
        if self.body:
            headers["content-type"] = "application/json"
        return PodRequest(
            self.service,
            self.method,
            self.project_id,
            self.remainder,
            self.query,
            headers,
            self.body,
            deadline=deadline,
        )


def usable_pods(pods: Mapping[str, Pod], service: Service) -> list[Pod]:
    """The ENABLED pods offering `service`, by name (the order answers are judged in)."""
    return sorted(
        (p for p in pods.values() if p.state == PodState.ENABLED and p.serves(service)),
        key=lambda p: p.name,
    )


class Fanout:
    """Sends requests to pods concurrently, each within the same time bound (or a deadline)."""

    def __init__(
        self, *, send: PodSend, timeout_s: float, health: HealthView = EVERY_POD_HEALTHY
    ) -> None:
        self._send = send
        self._timeout_s = timeout_s
        self._health = health

    def deadline(self) -> float:
        """The loop time one round started now must end by."""
        return asyncio.get_running_loop().time() + self._timeout_s

    async def all(self, pods: Sequence[Pod], request: PodRequest) -> list[Reply]:
        """Every pod's reply, in the order of `pods`."""
        return await self.each([(pod, request) for pod in pods])

    async def each(self, requests: Sequence[tuple[Pod, PodRequest]]) -> list[Reply]:
        """Each pod its own request, all at once; replies in the order given."""
        return list(await asyncio.gather(*(self.one(pod, request) for pod, request in requests)))

    async def one(self, pod: Pod, request: PodRequest) -> Reply:
        """One pod's reply; transport trouble, timeouts and unhealthy pods become status 0."""
        endpoint = pod.endpoint(request.service)
        if not endpoint:
            return Reply(pod.name, 0, zone=pod.az_name)
        if pod.name in self._health.unhealthy(request.service):
            log.info(
                "%s %s not sent to unhealthy pod %s", request.method, request.remainder, pod.name
            )
            return Reply(pod.name, 0, zone=pod.az_name)
        url = pod_url(endpoint, request.project_id, request.remainder, request.query)
        until = self.deadline()
        if request.deadline is not None:
            until = min(until, request.deadline)
        try:
            async with asyncio.timeout_at(until):
                response = await self._send(request.method, url, request.headers, request.body)
        except (PodCallError, TimeoutError) as exc:
            log.warning("%s %s to pod %s: %s", request.method, request.remainder, pod.name, exc)
            return Reply(pod.name, 0, zone=pod.az_name)
        return Reply(pod.name, response.status, response.body, pod.az_name)
