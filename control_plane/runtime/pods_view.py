"""The pods as last read from the store, shared by the decision service and the xDS snapshot."""

import asyncio
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType

from control_plane.model import Pod
from control_plane.store import Store

log = logging.getLogger("podgate.pods")


class PodsView:
    """Re-reads pods after every change and hands them to `publish` (the xDS translator)."""

    def __init__(self, store: Store, publish: Callable[[tuple[Pod, ...]], None]) -> None:
        self._store = store
        self._publish = publish
        self._pods: Mapping[str, Pod] = MappingProxyType({})
        self._lock = asyncio.Lock()

    def __call__(self) -> Mapping[str, Pod]:
        """Current pods by name, in store order (created_at, name)."""
        return self._pods

    async def refresh(self) -> None:
        """Reload from the store; serialised so that the last write always wins."""
        async with self._lock:
            pods = await self._store.list_pods()
            self._pods = MappingProxyType({pod.name: pod for pod in pods})
            self._publish(tuple(pods))
            log.info("pods reloaded", extra={"pods": len(pods)})
