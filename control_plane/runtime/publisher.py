"""Turns the current pods and known routings into xDS snapshots for the cache.

Pod changes are published at once; known-routing changes (one per create or first touch) are
gathered so that a burst of them costs Envoy one route table: for `push_interval_ms`, or longer
when the table is big. Each push rebuilds and resends the whole table, in Python and in Envoy
(measured: ~6 ms per 1 000 entries here, Envoy several times that), so pushes are spaced by
`_COST_FACTOR` times the last one's cost, which keeps them to a small share of the CPU.

Listener certificates are files the publisher re-reads every `[envoy] tls_reload_interval_s`;
a changed pair is published at once (an SDS secret), a broken one logged and skipped.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from control_plane.fastpath import HotSet
from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.runtime.ca_bundle import envoy_pod_ca_file
from control_plane.runtime.grpc_tls import envoy_client_tls
from control_plane.runtime.tls_files import TlsFilesError, read_pair
from control_plane.settings import Settings
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.tls import ADMIN_REST_SECRET, LISTENER_SECRET, ServerCert
from control_plane.xds.translate import XdsInputs, translate

__all__ = ["Publisher"]

log = logging.getLogger("podgate.xds")

_COST_FACTOR = 10

_Certs = tuple[ServerCert | None, ServerCert | None]


class Publisher:
    """Owns what the translator reads; every publish translates the whole state (pure, cheap).

    Created in the running loop: with listener TLS configured it reads the files (raising
    TlsFilesError when they are unusable) and starts watching them until `close`.
    """

    def __init__(
        self,
        settings: Settings,
        cache: SnapshotCache,
        hot_set: HotSet,
        metrics: Metrics,
        clock: Callable[[], float] = time.perf_counter,
        envoy_token: str = "",
    ) -> None:
        self._settings = settings
        self._envoy_token = envoy_token
        self._clock = clock
        self._metrics = metrics
        self._cache = cache
        self._hot_set = hot_set
        self._descriptors = files("podgate").joinpath("descriptors.pb").read_bytes()
        self._pod_ca_file = envoy_pod_ca_file(settings)
        self._pods: tuple[Pod, ...] = ()
        self._decision_endpoints: tuple[tuple[str, int], ...] = ()
        self._pending: asyncio.TimerHandle | None = None
        self._last_cost_s = 0.0
        hot_set.on_change = self.known_changed
        self._certs = self._read_certs()
        # The decision workers serve the gRPC port's certificate, when it has one.
        control_plane = settings.control_plane
        self._workers_tls = envoy_client_tls(control_plane) if control_plane.tls_cert_file else None
        self._tls_error = ""
        self._watch: asyncio.Task[None] | None = None
        if any(self._certs):
            interval_s = settings.envoy.tls_reload_interval_s
            self._watch = asyncio.get_running_loop().create_task(self._watch_certs(interval_s))

    def pods_changed(self, pods: tuple[Pod, ...]) -> None:
        """New pods: publish now (a new pod must be routable fast)."""
        self._pods = pods
        self.publish()

    def decision_endpoints_changed(self, endpoints: tuple[tuple[str, int], ...]) -> None:
        """Decision processes came or went: publish now (a gone one must get no more streams)."""
        self._decision_endpoints = endpoints
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

    def close(self) -> None:
        """Drop a publish still waiting for its interval, and stop watching certificates."""
        self._drop_pending()
        if self._watch is not None:
            self._watch.cancel()

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def publish(self) -> None:
        """Translate and hand to the cache; an inconsistent snapshot is logged, never pushed."""
        self._drop_pending()
        started = self._clock()
        settings = self._settings
        inputs = XdsInputs(
            pods=self._pods,
            listen_host=settings.envoy.host,
            compute_port=settings.envoy.compute_port,
            volume_port=settings.envoy.volume_port,
            connect_timeout_s=settings.envoy.connect_timeout_s,
            upstream_timeout_s=settings.envoy.upstream_timeout_s,
            upstream_idle_timeout_s=settings.envoy.upstream_idle_timeout_s,
            ext_proc_message_timeout_ms=settings.decision.message_timeout_ms,
            admin_rest_host=settings.envoy.admin_rest_host,
            admin_rest_port=settings.envoy.admin_rest_port,
            admin_rest_descriptors=self._descriptors,
            known=self._hot_set.routings(),
            decision_endpoints=self._decision_endpoints,
            max_body_bytes=settings.decision.max_body_bytes,
            health_interval_s=settings.health.interval_s,
            health_timeout_s=settings.health.timeout_s,
            unhealthy_threshold=settings.health.unhealthy_threshold,
            healthy_threshold=settings.health.healthy_threshold,
            listener_tls=self._certs[0],
            admin_rest_tls=self._certs[1],
            control_plane_tls=self._workers_tls,
            pod_ca_file=self._pod_ca_file,
            envoy_token=self._envoy_token,
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
            self._metrics.fast_path_routings.set(len(inputs.known))
            self._last_cost_s = self._clock() - started
        except Exception:
            log.exception("xds snapshot rejected; Envoy keeps the last good one")

    def _read_certs(self) -> _Certs:
        """The listeners' and the admin REST listener's certificates (the latter's own or the
        listeners'), None where plaintext."""
        envoy = self._settings.envoy
        listeners = _server_cert(LISTENER_SECRET, envoy.tls_cert_file, envoy.tls_key_file)
        admin = _server_cert(
            ADMIN_REST_SECRET, envoy.admin_rest_tls_cert_file, envoy.admin_rest_tls_key_file
        )
        return listeners, admin or listeners

    async def _watch_certs(self, interval_s: float) -> None:
        """Publish whenever the files hold another valid pair; new connections get it."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                certs = self._read_certs()
            except TlsFilesError as exc:
                if str(exc) != self._tls_error:  # once per problem, not every interval
                    log.warning("listener certificate not reloaded; Envoy keeps the last: %s", exc)
                self._tls_error = str(exc)
                continue
            self._tls_error = ""
            if certs != self._certs:
                self._certs = certs
                log.info("listener certificate changed; pushing it to Envoy")
                self.publish()


def _server_cert(name: str, cert_file: Path | None, key_file: Path | None) -> ServerCert | None:
    if cert_file is None or key_file is None:
        return None
    cert_pem, key_pem = read_pair(cert_file, key_file)
    return ServerCert(name, cert_pem, key_pem)
