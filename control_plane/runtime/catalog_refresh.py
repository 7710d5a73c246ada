"""Re-read the Keystone catalog when a pod cannot be reached: its endpoint may have moved."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from control_plane.decision.pods.client import PodCallError, PodFetch, PodResponse

log = logging.getLogger("podgate.pods")


class RefreshOnUnreachable:
    """A PodFetch calling `refresh` on transport errors, at most once per `min_interval_s`."""

    def __init__(
        self,
        fetch: PodFetch,
        refresh: Callable[[], Awaitable[None]],
        *,
        min_interval_s: float = 5.0,
    ) -> None:
        self._fetch = fetch
        self._refresh = refresh
        self._min_interval_s = min_interval_s
        self._last = -min_interval_s
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        try:
            return await self._fetch(url, headers)
        except PodCallError:
            self._schedule()
            raise

    def _schedule(self) -> None:
        now = time.monotonic()
        if now - self._last < self._min_interval_s or (self._task and not self._task.done()):
            return
        self._last = now
        log.info("pod unreachable; refreshing the catalog")
        self._task = asyncio.create_task(self._refresh())
