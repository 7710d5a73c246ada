"""The xDS runner: turns the pods as served and the known routings into snapshots for the cache.

Pod changes are published at once; known-routing changes (one per create or first touch) are
gathered so that a burst of them costs Envoy one route table: for `push_interval_ms`, or longer
when the table is big. Each push rebuilds and resends the whole table, in Python and in Envoy
(measured: ~6 ms per 1 000 entries here, Envoy several times that), so pushes are spaced by
`_COST_FACTOR` times the last one's cost, which keeps them to a small share of the CPU.

Pods come from `LivePods` (control_plane.xds.live_pods), which follows the store's change feed;
listener certificates from whoever watches their files (`certs_changed`), both published at once.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.resources import files

from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.settings import Settings
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.fast_path_set import FastPathSet
from control_plane.xds.tls import ServerCert, UpstreamTls
from control_plane.xds.translate import XdsInputs, translate

__all__ = ["Certs", "Secrets", "XdsRunner"]

log = logging.getLogger("podgate.xds")

_COST_FACTOR = 10

# The listeners' and the admin REST listener's certificates, None where plaintext.
Certs = tuple[ServerCert | None, ServerCert | None]


@dataclass(frozen=True, slots=True)
class Secrets:
    """What the runner is given from files, read by the process that starts it."""

    envoy_token: str = field(default="", repr=False)
    certs: Certs = (None, None)
    # How Envoy checks the decision services' gRPC ports; None while they are plaintext.
    control_plane_tls: UpstreamTls | None = None
    pod_ca_file: str = ""


class XdsRunner:
    """Owns what the translator reads; every publish translates the whole state (pure, cheap)."""

    def __init__(
        self,
        settings: Settings,
        cache: SnapshotCache,
        fast_path_set: FastPathSet,
        metrics: Metrics,
        secrets: Secrets = Secrets(),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._clock = clock
        self._metrics = metrics
        self._cache = cache
        self._fast_path_set = fast_path_set
        self._descriptors = files("podgate_api").joinpath("descriptors.pb").read_bytes()
        self._pods: tuple[Pod, ...] = ()
        self._decision_endpoints: tuple[tuple[str, int], ...] = ()
        verifies = settings.fast_path.verifies_pods(settings.auth)
        self._pod_auth_passed: frozenset[tuple[str, str]] | None = frozenset() if verifies else None
        self._pending: asyncio.TimerHandle | None = None
        self._last_cost_s = 0.0
        self._readmissions = 0
        fast_path_set.on_change = self.known_changed

    def pods_changed(self, pods: tuple[Pod, ...]) -> None:
        """New pods: publish now (a new pod must be routable fast)."""
        self._pods = pods
        self.publish()

    def decision_endpoints_changed(self, endpoints: tuple[tuple[str, int], ...]) -> None:
        """Decision processes came or went: publish now (a gone one must get no more streams)."""
        self._decision_endpoints = endpoints
        self.publish()

    def pod_auth_changed(self, passed: frozenset[tuple[str, str]]) -> None:
        """Pods proven to check tokens changed: publish now (a failing one leaves at once)."""
        self._pod_auth_passed = passed
        self.publish()

    def known_changed(self) -> None:
        """The known routings changed: publish once the push interval has passed."""
        if self._pending is not None:
            return
        delay = max(self._settings.fast_path.push_interval_ms / 1000, self.spacing_s)
        self._pending = asyncio.get_running_loop().call_later(delay, self.publish)

    @property
    def spacing_s(self) -> float:
        """The least time between two pushes of known routings, from the last push's cost."""
        return _COST_FACTOR * self._last_cost_s

    def certs_changed(self, certs: Certs) -> None:
        """Listener certificate files changed: publish now (new connections get them)."""
        self._secrets = replace(self._secrets, certs=certs)
        self.publish()

    def close(self) -> None:
        """Drop a publish still waiting for its interval."""
        self._drop_pending()

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def publish(self) -> None:
        """Translate and hand to the cache; an inconsistent snapshot is logged, never pushed."""
        self._drop_pending()
        started = self._clock()
        settings, secrets = self._settings, self._secrets
        inputs = XdsInputs(
            pods=self._pods,
            listen_host=settings.envoy.host,
            compute_port=settings.envoy.compute_port,
            volume_port=settings.envoy.volume_port,
            network_port=settings.envoy.network_port,
            connect_timeout_s=settings.envoy.connect_timeout_s,
            upstream_timeout_s=settings.envoy.upstream_timeout_s,
            upstream_idle_timeout_s=settings.envoy.upstream_idle_timeout_s,
            ext_proc_message_timeout_ms=settings.decision.message_timeout_ms,
            admin_rest_host=settings.envoy.admin_rest_host,
            admin_rest_port=settings.envoy.admin_rest_port,
            admin_rest_descriptors=self._descriptors,
            fast_path=self._fast_path_set.routings(),
            pod_auth_passed=self._pod_auth_passed,
            decision_endpoints=self._decision_endpoints,
            max_body_bytes=settings.decision.max_body_bytes,
            health_interval_s=settings.health.interval_s,
            health_timeout_s=settings.health.timeout_s,
            unhealthy_threshold=settings.health.unhealthy_threshold,
            healthy_threshold=settings.health.healthy_threshold,
            listener_tls=secrets.certs[0],
            admin_rest_tls=secrets.certs[1],
            control_plane_tls=secrets.control_plane_tls,
            pod_ca_file=secrets.pod_ca_file,
            envoy_token=secrets.envoy_token,
            request_headers_timeout_s=settings.envoy.request_headers_timeout_s,
            request_timeout_s=settings.envoy.request_timeout_s,
            stream_idle_timeout_s=settings.envoy.stream_idle_timeout_s,
            max_concurrent_streams=settings.envoy.max_concurrent_streams,
            project_rate_per_s=settings.envoy.project_rate_per_s,
            project_burst=settings.envoy.project_burst,
            rate_limited_projects=settings.envoy.rate_limited_projects,
            max_in_flight=settings.decision.max_in_flight,
        )
        try:
            self._cache.set(translate(inputs))
            self._metrics.fast_path_routings.set(len(inputs.fast_path))
            self._last_cost_s = self._clock() - started
        except Exception:
            log.exception("xds snapshot rejected; Envoy keeps the last good one")
        self._count_readmissions()

    def _count_readmissions(self) -> None:
        readmissions = self._fast_path_set.readmissions
        if readmissions > self._readmissions:
            log.warning(
                "fast path: %d ids dropped at the cap came back since the last push; "
                "[fast_path] max_entries=%d is smaller than the ids in use",
                readmissions - self._readmissions,
                self._fast_path_set.max_entries,
            )
            self._metrics.fast_path_readmissions.inc(readmissions - self._readmissions)
            self._readmissions = readmissions
