"""The microversion window every ENABLED pod supports, read from the pods and kept briefly.

Each pod's window is read from its API root, or its version document when the root shows none
(see version_docs), and cached by its endpoint for `ttl_s`: a new pod, or a pod whose
endpoint moved, is read before the answer (once, however many requests wait for it); an expired
entry is answered from the old value while it is read again in the background. A pod whose
document cannot be read keeps the window it had, or is left out until the next try if it never
had one, so one pod down never blocks requests.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from control_plane.decision.pods.client import PodCallError, PodFetch
from control_plane.decision.versions.documents import pod_window
from control_plane.decision.versions.microversions import Window, intersect, text
from control_plane.endpoints import document_urls, version_url
from control_plane.model import Pod, PodState, Service

__all__ = ["VersionWindows"]

log = logging.getLogger("podgate.versions")

_Key = tuple[Service, str]
_HEADERS = {"accept": "application/json"}


@dataclass(frozen=True, slots=True)
class _Entry:
    window: Window | None
    read_at: float


class VersionWindows:
    """Per-service windows over the pods, from their version documents."""

    def __init__(
        self,
        *,
        fetch: PodFetch,
        ttl_s: float = 30.0,
        timeout_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._entries: dict[_Key, _Entry] = {}
        self._reads: dict[_Key, asyncio.Task[None]] = {}

    async def window(self, service: Service, pods: Iterable[Pod]) -> Window:
        """What every ENABLED pod with `service` supports (the API's base when none is known)."""
        keys = _keys(service, pods)
        now = self._clock()
        missing = [key for key in keys if key not in self._entries]
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and now - entry.read_at >= self._ttl_s:
                self._start(key)
        if missing:
            await asyncio.gather(*(asyncio.shield(self._start(key)) for key in missing))
        self._forget_others(service, keys)
        entries = [self._entries.get(key) for key in keys]
        window = intersect(service, [e.window for e in entries if e is not None and e.window])
        if window.maximum < window.minimum:
            log.warning("the pods share no %s microversion: %s", service, _describe(window))
        return window

    async def close(self) -> None:
        """Stop reads still running."""
        reads = list(self._reads.values())
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)

    def _start(self, key: _Key) -> "asyncio.Task[None]":
        """The read of `key` under way, started now if none is."""
        task = self._reads.get(key)
        if task is None:
            task = asyncio.create_task(self._read(key))
            self._reads[key] = task
            task.add_done_callback(lambda _: self._reads.pop(key, None))
        return task

    async def _read(self, key: _Key) -> None:
        service, endpoint = key
        urls = document_urls(endpoint)
        window: Window | None = None
        reasons: list[str] = []
        try:
            async with asyncio.timeout(self._timeout_s):
                for url in urls:
                    # NOTE: only an HTTP answer without a window moves on to the next URL: a
                    # pod that cannot be reached at one of them cannot at the others either.
                    window = await self._read_one(service, url, reasons)
                    if window is not None:
                        break
        except PodCallError as exc:
            reasons.append(str(exc))
        except TimeoutError:
            reasons.append("timeout")
        if window is None:
            log.warning("no %s window from %s: %s", service, ", ".join(urls), "; ".join(reasons))
            # NOTE: a pod known before keeps its window: dropping it could widen the window
            # past what the pod supports, while it is only unreadable for a moment.
            known = self._entries.get(key)
            window = known.window if known is not None else None
        self._entries[key] = _Entry(window, self._clock())

    async def _read_one(self, service: Service, url: str, reasons: list[str]) -> Window | None:
        response = await self._fetch(url, _HEADERS)
        window = pod_window(service, response.body) if response.status in (200, 300) else None
        if window is None:
            reasons.append(f"{url}: HTTP {response.status}")
        return window

    def _forget_others(self, service: Service, keys: list[_Key]) -> None:
        """Drop entries of pods gone from this service's list (keeps the cache bounded)."""
        wanted = set(keys)
        for key in [key for key in self._entries if key[0] == service and key not in wanted]:
            del self._entries[key]


def _keys(service: Service, pods: Iterable[Pod]) -> list[_Key]:
    urls = {
        version_url(endpoint)
        for pod in pods
        if pod.state == PodState.ENABLED and (endpoint := pod.endpoint(service))
    }
    return [(service, url) for url in sorted(urls)]


def _describe(window: Window) -> str:
    return f"{text(window.minimum)}..{text(window.maximum)}"
