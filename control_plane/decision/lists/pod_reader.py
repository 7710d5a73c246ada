"""Reading one list request's pages from the pods: concurrently, within one deadline.

Each pod's stream starts where its cursor position says: from its start, after its own last
item (a pod-local marker), or, without a position, from its start skipping everything that does
not sort strictly after the cursor's values. A pod that errors or is late becomes a `Failed`
outcome and a pod's 4xx a `Rejected` one: failures are values, never exceptions in the merge.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from control_plane.decision.lists.dialects import Dialect
from control_plane.decision.lists.listing import (
    FROM_START,
    Cursor,
    Entry,
    Exhausted,
    Position,
    ResumeAfter,
    Stream,
)
from control_plane.decision.lists.present import localise
from control_plane.decision.lists.query import ListQuery, SortKey, pod_query
from control_plane.decision.pods.client import PodCallError, PodFetch, PodResponse
from control_plane.decision.resources import SPECS
from control_plane.decision.zone_faults import zone_unavailable
from control_plane.endpoints import pod_url
from control_plane.metrics import Metrics
from control_plane.model import RESOURCE_SERVICE, Pod, ResourceType

__all__ = ["Failed", "Located", "MarkerMissing", "Outcome", "PodReader", "Rejected"]

log = logging.getLogger("podgate.lists")


@dataclass(frozen=True, slots=True)
class Rejected:
    """A pod refused the request itself (4xx): the client gets that answer unchanged."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Failed:
    """A pod that could not be read in time."""

    pod: str
    reason: str


Outcome = Stream | Rejected | Failed


class MarkerMissing(Exception):
    """The marker's pod does not show the caller the marker item (any more)."""


@dataclass(frozen=True, slots=True)
class Located:
    """The pod showing a marker the routing table did not know, the item and its sort values."""

    pod: Pod
    item: Mapping[str, Any]
    key: SortKey


@dataclass(frozen=True, slots=True)
class _Page:
    entries: tuple[Entry, ...]
    exhausted: bool


class PodReader:
    """The pod reads of one list request: one query, the caller's headers, one deadline."""

    def __init__(
        self,
        *,
        resource_type: ResourceType,
        collection: str,
        project_id: str,
        request_id: str,
        query: ListQuery,
        dialect: Dialect,
        fetch: PodFetch,
        headers: Mapping[str, str],
        deadline: float,
        max_page: int,
        metrics: Metrics,
    ) -> None:
        spec = SPECS[resource_type]
        self._metrics = metrics
        self._remainder = dialect.remainder(spec, collection)
        self._items_key, self._links_key = spec.items_key, spec.next_key
        # NOTE: a pod that ignores a marker it does not know answers from its start; a resumed
        # page must then be seen to follow the cursor, or the walk would repeat items.
        self._check_resumes = not dialect.strict_marker(spec)
        self._resource_type = resource_type
        self._project_id = project_id
        self._request_id = request_id
        self._query = query
        self._fetch = fetch
        self._headers = headers
        self._deadline = deadline
        self._max_page = max_page

    async def read_all(
        self,
        pods: Sequence[Pod],
        cursor: Cursor,
        *,
        marker_task: "asyncio.Task[SortKey] | None",
    ) -> list[Outcome]:
        """Every pod's stream, read concurrently; raises what reading the marker raised."""

        async def after() -> SortKey:
            if marker_task is not None:
                return await marker_task
            assert cursor.after is not None, "a pod without position needs the cursor's values"
            return cursor.after

        tasks = [
            asyncio.create_task(self._read(pod, cursor.positions.get(pod.name), after))
            for pod in pods
        ]
        try:
            if marker_task is not None:
                await marker_task
            return list(await asyncio.gather(*tasks))
        finally:
            pending = [task for task in (*tasks, marker_task) if task and not task.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(
                *tasks, *([marker_task] if marker_task else []), return_exceptions=True
            )

    async def marker_key(self, pod: Pod, marker: str) -> SortKey:
        """The sort values of the marker item, read from its pod; MarkerMissing on its 404."""
        return self._query.order.key(await self._marker_item(pod, marker))

    async def locate(self, pods: Sequence[Pod], marker: str) -> Located:
        """The pod showing the caller the marker item, asking them all at once.

        MarkerMissing when every pod says it has none, PodUnavailable when one that did not
        answer might have it.
        """
        found = await asyncio.gather(
            *(self._marker_item(pod, marker) for pod in pods), return_exceptions=True
        )
        for pod, item in zip(pods, found, strict=True):
            if isinstance(item, dict):
                return Located(pod, item, self._query.order.key(item))
        for outcome in found:
            if isinstance(outcome, BaseException) and not isinstance(outcome, MarkerMissing):
                raise outcome
        raise MarkerMissing(marker)

    async def _marker_item(self, pod: Pod, marker: str) -> dict[str, Any]:
        """The marker item as its pod shows it (AZ localised); MarkerMissing on a 404."""
        spec = SPECS[self._resource_type]
        url = self._url(pod, spec.item_path(marker))
        unavailable = zone_unavailable(pod, "did not answer the marker")
        try:
            async with asyncio.timeout_at(self._deadline):
                response = await self._measured(pod, url)
            if response.status == 404:
                raise MarkerMissing(marker)
            document = _json(response) if response.status == 200 else None
        except (PodCallError, TimeoutError) as exc:
            raise unavailable from exc
        item = document.get(spec.member) if isinstance(document, dict) else None
        if not isinstance(item, dict):
            raise unavailable
        return localise(self._resource_type, item, pod)

    async def _read(
        self, pod: Pod, position: Position | None, after: Callable[[], Awaitable[SortKey]]
    ) -> Outcome:
        """One pod's stream from its position, or after the cursor's values when it has none."""
        try:
            async with asyncio.timeout_at(self._deadline):
                if isinstance(position, Exhausted):
                    return Stream(pod.name, (), exhausted=True, start=position)
                # A pod that ignores markers is read whole, resumed by the cursor's values.
                resumed = isinstance(position, ResumeAfter)
                if position is None or (resumed and not SPECS[self._resource_type].pod_pages):
                    return await self._scan(pod, await after())
                marker = position.marker if isinstance(position, ResumeAfter) else None
                page = await self._first_page(pod, marker)
                if isinstance(page, _Page):
                    if marker is None or not await self._restarted(page, after):
                        return Stream(pod.name, page.entries, page.exhausted, start=position)
                    return await self._scan(pod, await after())
                if marker is None:
                    return page
                # NOTE: a pod refusing its own marker most likely deleted that item since the
                # last page; the position can be found again from the cursor's sort values.
                return await self._scan(pod, await after())
        except PodCallError as exc:
            log.warning("%s pod %s not listed: %s", self._request_id, pod.name, exc)
            return Failed(pod.name, str(exc))
        except TimeoutError:
            log.warning("%s pod %s not listed: deadline passed", self._request_id, pod.name)
            self._metrics.pod_requests.labels(pod.name, "timeout").inc()
            return Failed(pod.name, "timeout")

    async def _first_page(self, pod: Pod, marker: str | None) -> _Page | Rejected:
        """The page the merge needs: one more than the limit, or every item when none is set."""
        if self._query.limit is not None:
            return await self._page(pod, marker, self._query.limit + 1)
        entries: list[Entry] = []
        while True:
            page = await self._page(pod, marker, None)
            if isinstance(page, Rejected):
                return page
            entries += page.entries
            if page.exhausted:
                return _Page(tuple(entries), exhausted=True)
            marker = page.entries[-1].id

    async def _restarted(self, page: _Page, after: Callable[[], Awaitable[SortKey]]) -> bool:
        """A resumed page that does not follow the cursor: its pod ignored the marker."""
        if not self._check_resumes or not page.entries:
            return False
        return not await after() < page.entries[0].key

    async def _scan(self, pod: Pod, after: SortKey) -> Stream | Rejected:
        """Read the pod from its start, keeping only items sorting strictly after `after`.

        Pages double in size (up to the largest page) so a deep marker costs few round trips.
        """
        wanted = None if self._query.limit is None else self._query.limit + 1
        size = wanted
        kept: list[Entry] = []
        start: Position = FROM_START
        marker: str | None = None
        while True:
            page = await self._page(pod, marker, size)
            if isinstance(page, Rejected):
                return page
            for entry in page.entries:
                if after < entry.key:
                    kept.append(entry)
                elif not kept:
                    start = ResumeAfter(entry.id)
            if (wanted is not None and len(kept) >= wanted) or page.exhausted:
                return Stream(pod.name, tuple(kept), page.exhausted, start=start)
            marker = page.entries[-1].id
            size = None if size is None else min(size * 2, self._max_page)

    async def _page(self, pod: Pod, marker: str | None, size: int | None) -> _Page | Rejected:
        """One page from the pod (size None: as many as it gives); PodCallError when it is not
        a usable answer."""
        if not SPECS[self._resource_type].pod_pages:
            size, marker = None, None
        query = pod_query(self._query, pod_az_name=pod.pod_az_name, limit=size, marker=marker)
        response = await self._measured(pod, self._url(pod, self._remainder, query))
        if 400 <= response.status < 500:
            return Rejected(response.status, response.body)
        if response.status != 200:
            raise PodCallError(f"HTTP {response.status}")
        document = _json(response)
        items = document.get(self._items_key) if isinstance(document, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise PodCallError(f"no {self._items_key} list in the answer")
        links = document.get(self._links_key) or []
        has_next = isinstance(links, list) and any(
            isinstance(link, dict) and link.get("rel") == "next" for link in links
        )
        entries = tuple(self._entry(pod, item) for item in items)
        exhausted = not entries or ((size is None or len(entries) < size) and not has_next)
        return _Page(entries, exhausted)

    async def _measured(self, pod: Pod, url: str) -> PodResponse:
        """One GET to `pod`, timed and counted by outcome (a timeout is counted by `_read`)."""
        started = time.perf_counter()
        try:
            response = await self._fetch(url, self._headers)
        except PodCallError:
            self._metrics.pod_requests.labels(pod.name, "error").inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            self._metrics.pod_request_seconds.labels(pod.name).observe(elapsed)
        outcome = "ok" if response.status < 400 else str(response.status)
        self._metrics.pod_requests.labels(pod.name, outcome).inc()
        return response

    def _entry(self, pod: Pod, item: Mapping[str, Any]) -> Entry:
        resource_id = item.get("id")
        if not isinstance(resource_id, str) or not resource_id:
            raise PodCallError(f"a listed {SPECS[self._resource_type].member} has no id")
        # NOTE: only an AZ sort needs the user-facing AZ before the merge; the pod's item is
        # kept as is and only the shown ones are rewritten (copying thousands costs).
        spec = SPECS[self._resource_type]
        zoned = (spec.az_field, *spec.az_lists)
        sorted_by_az = any(field in self._query.order.fields for field in zoned if field)
        compared = localise(self._resource_type, item, pod) if sorted_by_az else item
        return Entry(pod=pod.name, id=resource_id, item=item, key=self._query.order.key(compared))

    def _url(self, pod: Pod, remainder: str, query: str = "") -> str:
        endpoint = pod.endpoint(RESOURCE_SERVICE[self._resource_type])
        return pod_url(endpoint, self._project_id, remainder, query)


def _json(response: PodResponse) -> object:
    try:
        return orjson.loads(response.body)
    except (ValueError, RecursionError) as exc:
        raise PodCallError("the answer is not JSON") from exc
