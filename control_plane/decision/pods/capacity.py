"""Each ENABLED pod's free capacity, read from its own hypervisor statistics on a timer.

Scheduling ranks a new project's pods by it (create/schedule.py), so it must not wait on a pod:
every `capacity_refresh_s` each ENABLED pod's Nova `os-hypervisors/detail` is read (at the base
microversion, which still shows vcpus and memory_mb; 2.88 dropped them) and measured
(create/capacity.py); decisions read the last results. A pod whose read failed, or not read yet,
is unknown. The call is admin-only: in keystone mode it carries the gateway's service token,
in noauth mode no token (the pods trust the gateway).
"""

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Protocol

from control_plane.decision.create.capacity import Capacity, measure
from control_plane.decision.pods.client import PodCallError, PodFetch
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.endpoints import pod_url
from control_plane.errors import PodgateError
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState, Service
from control_plane.settings import DecisionSettings

__all__ = ["NOTHING_KNOWN", "CapacityView", "PodCapacity"]

log = logging.getLogger("podgate.capacity")

_REMAINDER = "/os-hypervisors/detail"
# A noauth pod takes any project in its URL; this one names the gateway in the pod's logs.
_NOAUTH_PROJECT = "podgate"


class CapacityView(Protocol):
    """What scheduling asks: each pod's free capacity as last read."""

    def capacity(self) -> Mapping[str, Capacity]:
        """Pod name -> capacity; a pod not in it is unknown."""


class _NothingKnown:
    def capacity(self) -> Mapping[str, Capacity]:
        return {}


# The view when nothing reads the pods (unit tests, tools): every pod's capacity is unknown.
NOTHING_KNOWN: CapacityView = _NothingKnown()


class PodCapacity:
    """Reads the pods' capacity every `capacity_refresh_s`; answers `capacity` from the last."""

    def __init__(
        self,
        *,
        fetch: PodFetch,
        pods: Callable[[], Mapping[str, Pod]],
        settings: DecisionSettings | None = None,
        token: ServiceToken | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._fetch = fetch
        self._pods = pods
        self._settings = settings or DecisionSettings()
        self._token = token
        self._metrics = metrics or Metrics()
        self._known: dict[str, Capacity] = {}
        self._failures: dict[str, str] = {}

    def capacity(self) -> Mapping[str, Capacity]:
        """The capacity of every pod whose last read succeeded."""
        return self._known

    async def run(self) -> None:
        """Read every `capacity_refresh_s` until cancelled."""
        while True:
            try:
                await self.read_all()
            except Exception:
                log.exception("pod capacity reads failed; the last results stay")
            await asyncio.sleep(self._settings.capacity_refresh_s)

    async def read_all(self) -> None:
        """One round: every ENABLED pod with a compute endpoint at once."""
        pods = [
            pod
            for pod in self._pods().values()
            if pod.state == PodState.ENABLED and pod.endpoint(Service.COMPUTE)
        ]
        try:
            auth = await self._token.current() if self._token is not None else None
        except PodgateError as exc:
            results: list[Capacity | str] = [str(exc)] * len(pods)
        else:
            headers = {"accept": "application/json"}
            if auth is not None:
                headers["x-auth-token"] = auth.token
            project = auth.project_id if auth is not None else _NOAUTH_PROJECT
            results = await asyncio.gather(*(self._read(pod, project, headers) for pod in pods))
        known: dict[str, Capacity] = {}
        for pod, result in zip(pods, results, strict=True):
            if isinstance(result, Capacity):
                known[pod.name] = result
            self._report(pod.name, result)
        gone = (set(self._known) | set(self._failures)) - {pod.name for pod in pods}
        for name in gone:
            self._forget(name)
        self._known = known

    async def _read(self, pod: Pod, project: str, headers: Mapping[str, str]) -> Capacity | str:
        """The pod's capacity, or why it is unknown."""
        url = pod_url(pod.endpoint(Service.COMPUTE), project, _REMAINDER)
        timeout = self._settings.pod_timeout_s
        try:
            async with asyncio.timeout(timeout):
                response = await self._fetch(url, headers)
        except PodCallError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {timeout}s"
        if response.status == 401 and self._token is not None:
            self._token.invalidate()
        if response.status != 200:
            return f"HTTP {response.status}"
        return self._measured(response.body)

    def _measured(self, body: bytes) -> Capacity | str:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return "answer is not JSON"
        capacity = measure(document, full_free_ram_mib=self._settings.pod_full_free_ram_mib)
        return capacity if capacity is not None else "answer shows no vcpus and memory_mb"

    def _report(self, name: str, result: Capacity | str) -> None:
        """Log what changed (one line per pod and change) and set the gauges."""
        before = self._known.get(name)
        if isinstance(result, str):
            if self._failures.get(name) != result:
                log.warning("pod %s capacity unknown: %s", name, result)
            self._failures[name] = result
            self._forget_gauges(name)
            return
        self._failures.pop(name, None)
        if before is None or before.full != result.full:
            ram, vcpus = result.free_ram_mib, result.free_vcpus
            if result.full:
                log.warning("pod %s is full: %d MiB RAM and %d vCPUs free", name, ram, vcpus)
            else:
                log.info("pod %s has room: %d MiB RAM and %d vCPUs free", name, ram, vcpus)
        gauge = self._metrics.pod_free_capacity
        gauge.labels(name, "ram_mib").set(result.free_ram_mib)
        gauge.labels(name, "vcpus").set(result.free_vcpus)

    def _forget(self, name: str) -> None:
        self._failures.pop(name, None)
        self._forget_gauges(name)

    def _forget_gauges(self, name: str) -> None:
        for resource in ("ram_mib", "vcpus"):
            with suppress(KeyError):  # never set: the pod was never known
                self._metrics.pod_free_capacity.remove(name, resource)
