"""Prometheus metrics of the control plane (text format on 19992 /metrics).

One `Metrics` object per process owns its registry and is handed to each component; tests build
their own, so counts never leak between them. The main process's /metrics also shows its decision
workers' (control_plane.worker_metrics). Envoy's own metrics are at its admin port's
/stats/prometheus.
"""

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

from control_plane.worker_metrics import WORKER_GAUGE_MODE, Exported, WorkerMetrics

__all__ = ["Metrics", "WsgiApp"]

# A WSGI application (environ, start_response) -> body, as wsgiref serves it.
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Decisions are sub-millisecond when cached; fan-outs and pod calls take up to seconds.
_FAST = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Every metric Podgate exports, registered in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._exported = Exported(registry)
        self.decisions = Counter(
            "podgate_decisions",
            "Requests the decision service decided, by kind and outcome (pod or HTTP status)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.decision_seconds = Histogram(
            "podgate_decision_seconds",
            "Time to answer one ext_proc message",
            ["kind"],
            buckets=_FAST,
            registry=registry,
        )
        self.pod_requests = Counter(
            "podgate_pod_requests",
            "Requests the control plane sent to pods itself (lists), by pod and outcome",
            ["pod", "outcome"],
            registry=registry,
        )
        self.pod_request_seconds = Histogram(
            "podgate_pod_request_seconds",
            "Latency of the control plane's own requests to pods",
            ["pod"],
            buckets=_SLOW,
            registry=registry,
        )
        self.fanout_seconds = Histogram(
            "podgate_fanout_seconds",
            "Time to answer a merged list across pods",
            ["resource"],
            buckets=_SLOW,
            registry=registry,
        )
        self.xds_pushes = Counter(
            "podgate_xds_pushes", "xDS responses sent to Envoy, by type", ["type"],
            registry=registry,
        )  # fmt: skip
        self.xds_acks = Counter(
            "podgate_xds_acks", "xDS versions Envoy accepted, by type", ["type"], registry=registry
        )
        self.xds_nacks = Counter(
            "podgate_xds_nacks", "xDS versions Envoy rejected, by type", ["type"], registry=registry
        )
        self.routings_stored = Gauge(
            "podgate_routings_stored", "Resource routings in the store, by pod", ["pod"],
            registry=registry, multiprocess_mode=WORKER_GAUGE_MODE,
        )  # fmt: skip
        self.routings_forgotten = Counter(
            "podgate_routings_forgotten",
            "Routings forgotten because their resource is gone, by pod and how it was found "
            "(deleted: a delete completed; not_found: the pod answered 404; reconciled: the "
            "reconciler)",
            ["pod", "reason"],
            registry=registry,
        )
        self.reconcile_passes = Counter(
            "podgate_reconcile_passes",
            "Reconciler passes, by outcome (complete, or partial: some pod did not answer)",
            ["outcome"],
            registry=registry,
        )
        self.pod_free_capacity = Gauge(
            "podgate_pod_free_capacity",
            "Free room each ENABLED pod's hypervisors last showed (resource: ram_mib, vcpus); "
            "absent while unknown",
            ["pod", "resource"],
            registry=registry,
            multiprocess_mode=WORKER_GAUGE_MODE,
        )
        self.quota_rebalances = Counter(
            "podgate_quota_rebalances",
            "Pods given new shares of a project's limits over all pods, by service and pod",
            ["service", "pod"],
            registry=registry,
        )
        self.shared_objects_missing = Gauge(
            "podgate_shared_objects_missing",
            "Shared objects (kind: flavors, volume_types, group_types, qos_specs) other ENABLED "
            "pods hold and this pod lacks, as the last drift check found them",
            ["pod", "kind"],
            registry=registry,
            multiprocess_mode=WORKER_GAUGE_MODE,
        )
        self.fast_path_routings = Gauge(
            "podgate_fast_path_routings",
            "Known resources in the last published Envoy route table (routed without a decision)",
            registry=registry,
            multiprocess_mode=WORKER_GAUGE_MODE,
        )
        self.fast_path_readmissions = Counter(
            "podgate_fast_path_readmissions",
            "Routings that dropped out of Envoy's table at the cap and were used again (a steady "
            "rate: [fast_path] max_entries is smaller than the ids in use)",
            registry=registry,
        )
        self.pod_auth_passed = Gauge(
            "podgate_pod_auth_passed",
            "1 while the pod service is proven to check tokens (its known ids on the fast path), "
            "0 while it fails the checks (keystone mode, [fast_path] pod_auth = verify)",
            ["pod", "service"],
            registry=registry,
        )

    def watch_routing_cache(self, hits_and_misses: Callable[[], tuple[int, int]]) -> None:
        """Export the routing cache's counters (read when scraped, never copied)."""
        self.registry.register(_RoutingCacheCollector(hits_and_misses))

    def include_workers(self, workers: WorkerMetrics) -> None:
        """Show the decision workers' metrics, merged with this process's, on /metrics."""
        self._exported.workers = workers

    def serve(
        self, host: str, port: int, around: Callable[[WsgiApp], WsgiApp] = lambda app: app
    ) -> Callable[[], None]:
        """Serve /metrics in a background thread, inside `around` (more paths beside it);
        returns the function that stops it."""
        served = CollectorRegistry(auto_describe=False)
        served.register(self._exported)
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        server_class = type("MetricsServer", (ThreadingWSGIServer,), {"address_family": family})
        server = make_server(
            host, port, around(make_wsgi_app(served)), server_class, handler_class=_Quiet
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            thread.join(5)

        return stop


class _Quiet(WSGIRequestHandler):
    """No access line per scrape on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _RoutingCacheCollector(Collector):
    """Hits, misses and hit ratio of the decision service's routing cache."""

    def __init__(self, hits_and_misses: Callable[[], tuple[int, int]]) -> None:
        self._read = hits_and_misses

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        hits, misses = self._read()
        yield CounterMetricFamily(
            "podgate_routing_cache_hits", "Routing lookups answered from memory", value=hits
        )
        yield CounterMetricFamily(
            "podgate_routing_cache_misses", "Routing lookups that read the store", value=misses
        )
        total = hits + misses
        yield GaugeMetricFamily(
            "podgate_routing_cache_hit_ratio",
            "Share of routing lookups answered from memory since start",
            value=hits / total if total else 0.0,
        )
