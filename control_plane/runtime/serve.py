"""The control plane process: admin API, ADS and ext_proc on one gRPC port."""

import asyncio
import logging
import os
import secrets
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from functools import partial

import grpc

from control_plane.admin.service import PodAdminService
from control_plane.admin.service import add_to_server as add_admin
from control_plane.admin.trio2o import Trio2oAdminService
from control_plane.admin.trio2o import add_to_server as add_trio2o
from control_plane.auth.guard import AdminCheck, Guard
from control_plane.auth.tokens import control_plane_tokens
from control_plane.decision.extproc import add_to_server as add_decision
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import PodgateError
from control_plane.identity import (
    Catalog,
    Gate,
    KeystoneGate,
    NoAuthGate,
    TokenValidator,
    service_session,
)
from control_plane.metrics import Metrics
from control_plane.runtime.ca_bundle import envoy_pod_ca_file
from control_plane.runtime.decision_stack import (
    decision_service,
    live_pods,
    quota_rebalancer,
    routing_cache,
    shared_sync,
)
from control_plane.runtime.grpc_tls import bind, envoy_client_tls
from control_plane.runtime.listener_certs import ListenerCerts
from control_plane.runtime.pod_auth_probe import pod_auth_probe
from control_plane.runtime.readiness import Readiness, watch_store, wsgi_app
from control_plane.runtime.routing_changes import RoutingCaches
from control_plane.settings import Settings
from control_plane.store import Store
from control_plane.store.notify import follow
from control_plane.workers import WorkerHub, WorkerPool, add_hub
from control_plane.xds.ads import add_to_server as add_ads
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.fast_path_set import FastPathSet
from control_plane.xds.runner import Certs, Secrets, XdsRunner

log = logging.getLogger("podgate.serve")
# `/ready` (metrics port): the store is pinged this often, and stale after this long.
_STORE_PING_S, _STORE_STALE_S = 5.0, 15.0


def identity(settings: Settings) -> tuple[Gate, Catalog | None]:
    """The auth mode: Keystone tokens and catalog, or trust the URL's project (noauth)."""
    if settings.auth != "keystone":
        return NoAuthGate(), None
    session = service_session(settings.keystone)
    return (
        KeystoneGate(TokenValidator(settings.keystone, session=session)),
        Catalog(settings.keystone, session=session),
    )


async def serve(
    settings: Settings,
    *,
    ready: Callable[[], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM or `stop`; `ready` is awaited once every service accepts calls."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        tokens = control_plane_tokens(settings.state_dir, os.environ)
        store = await Store.open(settings.database_url)
        stack.push_async_callback(store.close)
        cache = SnapshotCache()
        gate, catalog = identity(settings)
        metrics = Metrics()
        fast_path_set = FastPathSet(max_entries=settings.fast_path.entries(settings.auth))
        certs = ListenerCerts(settings.envoy)
        runner = XdsRunner(
            settings, cache, fast_path_set, metrics, _secrets(settings, tokens.envoy, certs.current)
        )
        stack.callback(runner.close)
        certs.watch(runner.certs_changed)
        stack.callback(certs.close)
        fast_path_set.seed(await store.recent_routings(settings.fast_path.entries(settings.auth)))
        routing_table = routing_cache(stack, settings, store, fast_path_set)
        store.changes.subscribe(_routing_caches(store, routing_table, fast_path_set, settings))
        pods = await live_pods(stack, settings, store, catalog, runner.pods_changed)
        probe = pod_auth_probe(
            stack,
            settings,
            pods=pods,
            store=store,
            metrics=metrics,
            on_change=runner.pod_auth_changed,
        )
        # Other replicas' changes (PostgreSQL) reach the same subscribers as this one's.
        other_replicas = partial(store.changes.publish, own=False)
        await stack.enter_async_context(follow(settings.database_url, store.origin, other_replicas))
        metrics.watch_routing_cache(lambda: (routing_table.hits, routing_table.misses))
        readiness = Readiness(stale_s=_STORE_STALE_S)
        host, port = settings.control_plane.host, settings.control_plane.metrics_port
        stack.callback(metrics.serve(host, port, around=partial(wsgi_app, readiness)))
        for task in (
            asyncio.create_task(_count_routings(store, metrics)),
            asyncio.create_task(watch_store(store, readiness, _STORE_PING_S, _STORE_PING_S)),
        ):
            stack.callback(task.cancel)

        link_token = secrets.token_urlsafe(32)
        guard = Guard(
            envoy_token=tokens.envoy,
            admin=AdminCheck(tokens.admin, gate),
            worker_token=link_token if settings.decision.workers else "",
        )
        server = grpc.aio.server(interceptors=[guard])
        sync = shared_sync(stack, settings, pods=pods, store=store, metrics=metrics)
        admin = PodAdminService(
            store,
            in_use=pods,
            xds=cache,
            drift=sync.drift,
            pod_auth=probe.summaries if probe is not None else dict,
        )
        add_admin(server, admin)
        add_trio2o(server, Trio2oAdminService(admin))
        add_ads(server, cache, metrics)
        decision = decision_service(
            stack,
            settings,
            store=store,
            pods=pods,
            routing_table=routing_table,
            gate=gate,
            catalog=catalog,
            metrics=metrics,
            reconcile=True,
        )
        add_decision(server, decision)
        quota_rebalancer(stack, settings, store=store, pods=pods, metrics=metrics)
        if settings.decision.workers:
            hub = WorkerHub(
                (settings.control_plane.advertised_host, settings.control_plane.grpc_port),
                fast_path_set,
                runner.decision_endpoints_changed,
                origin=store.origin,
                token=link_token,
                publish=partial(store.changes.publish, own=True),
            )
            runner.decision_endpoints_changed(hub.endpoints())
            store.changes.subscribe(hub.broadcast, own_only=True)
            add_hub(server, hub)
        bind(server, settings.grpc_target, settings.control_plane)
        await server.start()
        readiness.serving = True
        stack.push_async_callback(server.stop, 1.0)
        if settings.decision.workers:
            pool = WorkerPool(settings, link_token)
            metrics.include_workers(pool.metrics)
            await pool.start()
            stack.push_async_callback(pool.close)
        log.info("control plane serving", extra={"grpc": settings.grpc_target})
        if ready is not None:
            await ready()
        await stop.wait()
        log.info("control plane stopping")


def _secrets(settings: Settings, envoy_token: str, certs: Certs) -> Secrets:
    """What the xDS runner pushes from files: tokens, certificates, CAs."""
    control_plane = settings.control_plane
    return Secrets(
        envoy_token=envoy_token,
        certs=certs,
        # The decision workers serve the gRPC port's certificate, when it has one.
        control_plane_tls=envoy_client_tls(control_plane) if control_plane.tls_cert_file else None,
        pod_ca_file=envoy_pod_ca_file(settings),
    )


def _routing_caches(
    store: Store, routing_table: RoutingTable, fast_path_set: FastPathSet, settings: Settings
) -> RoutingCaches:
    """How routing changes, this replica's and the others', reach its routing caches."""

    async def reload_routings() -> None:
        recent = await store.recent_routings(settings.fast_path.entries(settings.auth))
        routing_table.forget_all()
        for routing in fast_path_set.routings():
            fast_path_set.forget(routing.resource_type, routing.resource_id)
        fast_path_set.seed(recent)

    return RoutingCaches(
        forget_routing=routing_table.forget,
        resource_deleted=fast_path_set.delete,
        reload_routings=reload_routings,
    )


async def _count_routings(store: Store, metrics: Metrics, every_s: float = 15.0) -> None:
    """Keep the routings-stored gauge current (one grouped count: 0.2 s at 1 M routings); a
    store that fails a count is asked again next time (readiness reports it)."""
    while True:
        try:
            counts = await store.routings_per_pod()
        except PodgateError:
            counts = {}
        for name, count in counts.items():
            metrics.routings_stored.labels(name).set(count)
        await asyncio.sleep(every_s)
