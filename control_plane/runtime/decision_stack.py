"""The decision service with what it reads and calls out to (pods, routings, health probes),
built the same way in the main process and in each decision worker."""

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack

from control_plane.decision.extproc import DecisionService
from control_plane.decision.pods.admin_reads import AdminReads
from control_plane.decision.pods.capacity import PodCapacity
from control_plane.decision.pods.client import PodClient
from control_plane.decision.pods.fanout import Fanout
from control_plane.decision.pods.health import PodHealth
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.decision.pods.tls import PodTls, verifying_context
from control_plane.decision.quotas.rebalancer import Rebalancer
from control_plane.decision.routed.forgetting import Forgetting
from control_plane.decision.routed.routing_table import FastPath, RoutingTable
from control_plane.identity import Catalog, Gate, service_session
from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.runtime.ca_bundle import decision_pod_ca_file
from control_plane.runtime.catalog_refresh import RefreshOnUnreachable
from control_plane.runtime.reconcile import Reconciler
from control_plane.runtime.shared_sync import SharedSync
from control_plane.settings import Settings
from control_plane.store import Store
from control_plane.store.notify import Announcer
from control_plane.xds.live_pods import LivePods

__all__ = ["decision_service", "live_pods", "quota_rebalancer", "routing_cache", "shared_sync"]


async def live_pods(
    stack: AsyncExitStack,
    settings: Settings,
    store: Store,
    catalog: Catalog | None,
    publish: Callable[[tuple[Pod, ...]], None],
) -> LivePods:
    """The pods, loaded now, following the store's changes, with catalog endpoints kept
    current (keystone mode)."""
    pods = LivePods(store, publish, catalog=catalog)
    store.changes.subscribe(pods.changed)
    await pods.reload()
    if catalog is not None:
        refresher = asyncio.create_task(pods.refresh_every(settings.keystone.catalog_refresh_s))
        stack.callback(refresher.cancel)
    return pods


def routing_cache(
    stack: AsyncExitStack, settings: Settings, store: Store, fast_path: FastPath
) -> RoutingTable:
    """The routing cache; a user's DELETE also reaches other replicas (PostgreSQL)."""
    announcer = Announcer(store.announce)
    stack.push_async_callback(announcer.close)
    return RoutingTable(
        store,
        max_entries=settings.decision.routing_cache_size,
        fast_path_set=fast_path,
        on_deleted=announcer.resource_deleted,
    )


def decision_service(
    stack: AsyncExitStack,
    settings: Settings,
    *,
    store: Store,
    pods: LivePods,
    routing_table: RoutingTable,
    gate: Gate,
    catalog: Catalog | None,
    metrics: Metrics,
    reconcile: bool = False,
) -> DecisionService:
    """Build it, its pod health prober, capacity reader and checks of gone resources, and
    (`reconcile`: one process does) the reconciler; `stack` closes them."""
    tls = PodTls(verifying_context(decision_pod_ca_file(settings)), pods)
    pod_client = PodClient(tls=tls, max_answer_bytes=settings.decision.max_pod_answer_bytes)
    stack.push_async_callback(pod_client.close)
    fetch = RefreshOnUnreachable(pod_client, pods.refresh_catalog) if catalog else pod_client
    health = PodHealth(fetch=fetch, pods=pods, settings=settings.health)
    prober = asyncio.create_task(health.run())
    stack.callback(prober.cancel)
    keystone = settings.auth == "keystone"
    token = ServiceToken(service_session(settings.keystone)) if keystone else None
    capacity = PodCapacity(
        fetch=fetch, pods=pods, settings=settings.decision, token=token, metrics=metrics
    )
    reader = asyncio.create_task(capacity.run())
    stack.callback(reader.cancel)
    reads = AdminReads(fetch=fetch, token=token, timeout_s=settings.decision.pod_timeout_s)
    gone = Forgetting(
        reads=reads,
        forgetter=routing_table,
        pods=pods,
        settings=settings.routings,
        metrics=metrics,
    )
    stack.push_async_callback(gone.close)
    if reconcile and settings.routings.reconcile_interval_s > 0:
        reconciler = Reconciler(
            reads=reads,
            store=store,
            forgetter=routing_table,
            pods=pods,
            interval_s=settings.routings.reconcile_interval_s,
            metrics=metrics,
        )
        passes = asyncio.create_task(reconciler.run())
        stack.callback(passes.cancel)
    decision = DecisionService(
        store=store,
        routing_table=routing_table,
        pods=pods,
        settings=settings.decision,
        gate=gate,
        fetch=fetch,
        send=pod_client.send,
        metrics=metrics,
        health=health,
        capacity=capacity,
        gone=gone,
    )
    stack.push_async_callback(decision.close)
    return decision


def quota_rebalancer(
    stack: AsyncExitStack, settings: Settings, *, store: Store, pods: LivePods, metrics: Metrics
) -> Rebalancer:
    """The background task moving the pods' shares of quota limits after usage (one per
    replica: rounds are idempotent); `stack` stops it."""
    fanout, token = _admin_fanout(stack, settings, pods)
    rebalancer = Rebalancer(
        store=store,
        fanout=fanout,
        pods=pods,
        every_s=settings.quotas.rebalance_s,
        metrics=metrics,
        token=token,
    )
    task = asyncio.create_task(rebalancer.run())
    stack.callback(task.cancel)
    return rebalancer


def shared_sync(
    stack: AsyncExitStack, settings: Settings, *, pods: LivePods, store: Store, metrics: Metrics
) -> SharedSync:
    """The shared objects' sync (main process only); running unless `shared_sync_s` is 0."""
    fanout, token = _admin_fanout(stack, settings, pods)
    sync = SharedSync(
        fanout=fanout,
        pods=pods,
        store=store,
        interval_s=settings.decision.shared_sync_s,
        token=token,
        metrics=metrics,
    )
    if settings.decision.shared_sync_s > 0:
        task = asyncio.create_task(sync.run())
        stack.callback(task.cancel)
    return sync


def _admin_fanout(
    stack: AsyncExitStack, settings: Settings, pods: LivePods
) -> tuple[Fanout, ServiceToken | None]:
    """A background task's own way to every pod, with the service user's token in keystone
    mode (noauth: none); `stack` closes its connections."""
    tls = PodTls(verifying_context(decision_pod_ca_file(settings)), pods)
    pod_client = PodClient(tls=tls, max_answer_bytes=settings.decision.max_pod_answer_bytes)
    stack.push_async_callback(pod_client.close)
    keystone = settings.auth == "keystone"
    token = ServiceToken(service_session(settings.keystone)) if keystone else None
    return Fanout(send=pod_client.send, timeout_s=settings.decision.pod_timeout_s), token
