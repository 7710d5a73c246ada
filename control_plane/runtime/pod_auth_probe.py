"""The pod-auth probe of the main process (keystone mode, `[fast_path] pod_auth = "verify"`)."""

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack

from control_plane.decision.pods.client import PodClient
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.decision.pods.tls import PodTls, verifying_context
from control_plane.identity import service_session
from control_plane.metrics import Metrics
from control_plane.pod_auth.probe import Passed, PodAuthProbe
from control_plane.pod_auth.tokens import ProbeTokens
from control_plane.runtime.ca_bundle import decision_pod_ca_file
from control_plane.settings import Settings
from control_plane.store import Store
from control_plane.xds.live_pods import LivePods

__all__ = ["pod_auth_probe"]


def pod_auth_probe(
    stack: AsyncExitStack,
    settings: Settings,
    *,
    pods: LivePods,
    store: Store,
    metrics: Metrics,
    on_change: Callable[[Passed], None],
) -> PodAuthProbe | None:
    """Start probing (after `pods` subscribed to the store, so a change is probed once loaded);
    None when pods are not verified. `stack` stops it and closes its connections."""
    if not settings.fast_path.verifies_pods(settings.auth):
        return None
    tls = PodTls(verifying_context(decision_pod_ca_file(settings)), pods)
    client = PodClient(connections=10, tls=tls, max_answer_bytes=64 * 1024)
    stack.push_async_callback(client.close)
    tokens = ProbeTokens(settings.keystone, ServiceToken(service_session(settings.keystone)))
    probe = PodAuthProbe(
        pods=pods,
        fetch=client,
        tokens=tokens,
        on_change=on_change,
        metrics=metrics,
        every_s=settings.fast_path.pod_auth_check_s,
        timeout_s=settings.decision.pod_timeout_s,
    )
    store.changes.subscribe(probe.changed)
    task = asyncio.create_task(probe.run())
    stack.callback(task.cancel)
    return probe
