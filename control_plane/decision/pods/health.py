"""Which pods answer at all: each pod's API root probed on a timer, judged over a few tries.

Envoy health-checks the pod clusters itself, but the decision service cannot see Envoy's view,
and lists, scheduling and routing must not wait a pod timeout on a pod that is down or hung. So
every ENABLED or DRAINING pod's unauthenticated API root (the address its microversion window is
read from, version_docs.root_url) is probed per service; any HTTP answer below 500 counts as
alive. A pod turns unhealthy after `unhealthy_threshold` failed probes in a row and healthy again
after `healthy_threshold` good ones; a pod not probed yet counts as healthy.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from control_plane.decision.pods.client import PodCallError, PodFetch
from control_plane.endpoints import root_url
from control_plane.model import Pod, PodState, Service
from control_plane.settings import HealthSettings

__all__ = ["EVERY_POD_HEALTHY", "HealthView", "PodHealth", "Standing", "observe"]

log = logging.getLogger("podgate.health")

_HEADERS = {"accept": "application/json"}
_Key = tuple[str, Service]


class HealthView(Protocol):
    """What the decision service asks: which pods are down for a service right now."""

    def unhealthy(self, service: Service) -> frozenset[str]:
        """The names of the pods whose `service` endpoint is not answering."""


class _EveryPodHealthy:
    def unhealthy(self, service: Service) -> frozenset[str]:
        return frozenset()


# The view when nothing probes the pods (unit tests, tools): every pod counts as healthy.
EVERY_POD_HEALTHY: HealthView = _EveryPodHealthy()


@dataclass(frozen=True, slots=True)
class Standing:
    """A pod's health and how many probes in a row have contradicted it."""

    healthy: bool = True
    streak: int = 0


def observe(standing: Standing, ok: bool, *, unhealthy_after: int, healthy_after: int) -> Standing:
    """The standing after one probe that answered (`ok`) or did not."""
    if ok == standing.healthy:
        return Standing(standing.healthy)
    streak = standing.streak + 1
    if streak >= (healthy_after if ok else unhealthy_after):
        return Standing(ok)
    return Standing(standing.healthy, streak)


class PodHealth:
    """Probes the pods every `interval_s` and answers `unhealthy` from the last results."""

    def __init__(
        self,
        *,
        fetch: PodFetch,
        pods: Callable[[], Mapping[str, Pod]],
        settings: HealthSettings | None = None,
    ) -> None:
        self._fetch = fetch
        self._pods = pods
        self._settings = settings or HealthSettings()
        self._standings: dict[_Key, Standing] = {}

    def unhealthy(self, service: Service) -> frozenset[str]:
        """The pods whose `service` endpoint the last probes found down."""
        return frozenset(
            name
            for (name, probed), standing in self._standings.items()
            if probed == service and not standing.healthy
        )

    async def run(self) -> None:
        """Probe every `interval_s` until cancelled."""
        while True:
            try:
                await self.probe_all()
            except Exception:
                log.exception("pod health probes failed; the last results stay")
            await asyncio.sleep(self._settings.interval_s)

    async def probe_all(self) -> None:
        """One round: every watched endpoint's root once, all at once; pods gone are forgotten."""
        targets = {
            (pod.name, service): root_url(endpoint)
            for pod in self._pods().values()
            if pod.state != PodState.DISABLED
            for service in Service
            if (endpoint := pod.endpoint(service))
        }
        urls = sorted(set(targets.values()))
        failures = dict(zip(urls, await asyncio.gather(*map(self._probe, urls)), strict=True))
        for key in [key for key in self._standings if key not in targets]:
            del self._standings[key]
        for key, url in targets.items():
            self._judge(key, url, failures[url])

    async def _probe(self, url: str) -> str | None:
        """Why the probe failed, or None when the pod answered."""
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                response = await self._fetch(url, _HEADERS)
        except PodCallError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {self._settings.timeout_s}s"
        return f"HTTP {response.status}" if response.status >= 500 else None

    def _judge(self, key: _Key, url: str, failure: str | None) -> None:
        before = self._standings.get(key, Standing())
        after = observe(
            before,
            failure is None,
            unhealthy_after=self._settings.unhealthy_threshold,
            healthy_after=self._settings.healthy_threshold,
        )
        self._standings[key] = after
        if after.healthy == before.healthy:
            return
        name, service = key
        if after.healthy:
            log.info("pod %s %s is healthy again (%s)", name, service, url)
        else:
            log.warning("pod %s %s is unhealthy (%s): %s", name, service, url, failure)
