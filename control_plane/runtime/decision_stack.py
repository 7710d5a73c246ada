"""The decision service with what it calls out to (pods, health probes), for any process."""

import asyncio
from contextlib import AsyncExitStack

from control_plane.decision.extproc import DecisionService
from control_plane.decision.health import PodHealth
from control_plane.decision.pod_client import PodClient
from control_plane.decision.routing_table import RoutingTable
from control_plane.identity import Catalog, Gate
from control_plane.metrics import Metrics
from control_plane.runtime.catalog_refresh import RefreshOnUnreachable
from control_plane.runtime.pods_view import PodsView
from control_plane.settings import Settings
from control_plane.store import Store

__all__ = ["decision_service"]


def decision_service(
    stack: AsyncExitStack,
    settings: Settings,
    *,
    store: Store,
    pods: PodsView,
    routing_table: RoutingTable,
    gate: Gate,
    catalog: Catalog | None,
    metrics: Metrics,
) -> DecisionService:
    """Build it and its pod health prober; `stack` closes both."""
    pod_client = PodClient()
    stack.push_async_callback(pod_client.close)
    fetch = RefreshOnUnreachable(pod_client, pods.refresh_catalog) if catalog else pod_client
    health = PodHealth(fetch=fetch, pods=pods, settings=settings.health)
    prober = asyncio.create_task(health.run())
    stack.callback(prober.cancel)
    decision = DecisionService(
        store=store,
        routing_table=routing_table,
        pods=pods,
        settings=settings.decision,
        gate=gate,
        fetch=fetch,
        metrics=metrics,
        health=health,
    )
    stack.push_async_callback(decision.close)
    return decision
