"""The pods as served: last read from the store, shared by the decision service and xDS.

Pods registered without endpoints get them from the Keystone catalog by region (keystone mode);
each pod is held with the endpoints the gateway actually uses. A committed pod change, made
here or elsewhere, reaches `changed` through the store's change feed.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from control_plane.errors import PodgateError
from control_plane.identity import Catalog
from control_plane.model import Pod
from control_plane.store import Store
from control_plane.store.changes import Change, ChangeKind

log = logging.getLogger("podgate.pods")


class LivePods:
    """Re-reads pods after every pod change and hands them to `publish` (the xDS runner)."""

    def __init__(
        self,
        store: Store,
        publish: Callable[[tuple[Pod, ...]], None],
        *,
        catalog: Catalog | None = None,
    ) -> None:
        self._store = store
        self._publish = publish
        self._catalog = catalog
        self._pods: Mapping[str, Pod] = MappingProxyType({})
        self._lock = asyncio.Lock()

    def __call__(self) -> Mapping[str, Pod]:
        """Current pods by name, in store order (created_at, name), with usable endpoints."""
        return self._pods

    async def changed(self, changes: Sequence[Change]) -> None:
        """A change feed subscriber: reload once per batch that touched pods, else nothing."""
        if any(change.kind is ChangeKind.PODS for change in changes):
            await self.reload()

    async def reload(self) -> None:
        """Reload from the store (and catalog); serialised so that the last write always wins."""
        async with self._lock:
            pods = [await self._with_endpoints(pod) for pod in await self._store.list_pods()]
            self._pods = MappingProxyType({pod.name: pod for pod in pods})
            self._publish(tuple(pods))
            log.info("pods reloaded", extra={"pods": len(pods)})

    async def refresh_catalog(self) -> None:
        """Re-read the Keystone catalog now (a pod stopped answering), then reload."""
        if self._catalog is not None:
            try:
                await self._catalog.refresh()
            except PodgateError as exc:
                log.warning("catalog refresh failed", extra={"error": exc.message})
        await self.reload()

    async def refresh_every(self, seconds: float) -> None:
        """Keep catalog endpoints current; runs until cancelled."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.refresh_catalog()
            except PodgateError as exc:
                log.warning("periodic pod refresh failed", extra={"error": exc.message})

    async def _with_endpoints(self, pod: Pod) -> Pod:
        if pod.endpoints or self._catalog is None:
            return pod
        try:
            endpoints = await self._catalog.endpoints_for(pod.name)
        except PodgateError as exc:
            log.warning("no catalog for pod", extra={"pod": pod.name, "error": exc.message})
            endpoints = {}
        if not endpoints:
            log.warning("pod has no endpoint in the catalog", extra={"pod": pod.name})
        return replace(pod, endpoints=endpoints)
