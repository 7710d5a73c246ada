"""Answer a list request from every pod at once: concurrent reads, one merge, one page.

Every pod is asked concurrently, each within one deadline (pod_reader.py); a pod that errors or
is late, or is not asked at all because it is unhealthy (health.py), is missing from the answer
(named in it, or the whole list fails if so configured), never an exception in the merge. The
pure parts live in query.py (parameters and order), listing.py (merge, cursor positions),
present.py (the answer's shape) and, for what differs between APIs, dialects.py and neutron.py.
"""

import asyncio
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from control_plane.decision.decisions import ListPage
from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.dialects import DIALECTS
from control_plane.decision.lists.listing import (
    FROM_START,
    Cursor,
    Entry,
    ResumeAfter,
    Stream,
    advance,
    cursor_key,
    merge,
)
from control_plane.decision.lists.pod_reader import (
    Failed,
    MarkerMissing,
    Outcome,
    PodReader,
    Rejected,
)
from control_plane.decision.lists.present import ListView, localise, origin
from control_plane.decision.lists.query import ListQuery, SortKey, pods_to_ask
from control_plane.decision.pod_choice import usable
from control_plane.decision.pods.client import PodFetch, forwarded_headers
from control_plane.decision.pods.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.resources import SPECS
from control_plane.errors import PodgateError, fault_body
from control_plane.metrics import Metrics
from control_plane.model import RESOURCE_SERVICE, Pod, ResourceType, Routing

__all__ = ["ListAnswer", "Lister", "RoutingLearner"]

log = logging.getLogger("podgate.lists")

_ALL_TENANTS = "all_tenants"


class RoutingLearner(Protocol):
    """The part of the routing table lists need: find a marker's pod, learn listed items."""

    async def lookup(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The routing of one resource, if known."""

    async def learn(self, routings: Sequence[Routing]) -> int:
        """Record routings not known yet; returns how many were new."""


@dataclass(frozen=True, slots=True)
class ListAnswer:
    """The HTTP answer to give the client, and the pods that could not be read."""

    status: int
    body: bytes
    missing: tuple[str, ...] = ()


class Lister:
    """Lists one project's resources across pods, page by page, as one cloud would."""

    def __init__(
        self,
        *,
        fetch: PodFetch,
        routings: RoutingLearner,
        cursors: CursorCache,
        timeout_s: float,
        partial: bool,
        max_limit: int,
        metrics: Metrics | None = None,
        health: HealthView = EVERY_POD_HEALTHY,
    ) -> None:
        self._metrics = metrics or Metrics()
        self._health = health
        self._fetch = fetch
        self._routings = routings
        self._cursors = cursors
        self._timeout_s = timeout_s
        self._partial = partial
        self._max_limit = max_limit

    async def list(self, request_id: str, page: ListPage, pods: Mapping[str, Pod]) -> ListAnswer:
        """One page of the merged list; PodgateError for answers the gateway gives itself."""
        started = time.perf_counter()
        service = RESOURCE_SERVICE[page.resource_type]
        spec = SPECS[page.resource_type]
        dialect = DIALECTS[service]
        query = dialect.parse(spec, page.query, self._max_limit)
        asked = pods_to_ask(pods.values(), service, query.availability_zone)
        view = ListView(
            resource_type=page.resource_type,
            detail=page.detail,
            origin=origin(page.headers),
            project_id=page.project_id,
            path=page.path,
            collection=page.collection,
        )
        if not asked or query.limit == 0:
            body = dialect.body(view, [], query, False)
            self._log(request_id, page, started, asked, (), 0)
            return ListAnswer(200, body)
        reader = PodReader(
            resource_type=page.resource_type,
            collection=page.collection,
            project_id=page.project_id,
            request_id=request_id,
            query=query,
            dialect=dialect,
            fetch=self._fetch,
            headers=forwarded_headers(page.headers),
            deadline=asyncio.get_running_loop().time() + self._timeout_s,
            max_page=max(self._max_limit, (query.limit or 0) + 1),
            metrics=self._metrics,
        )
        unhealthy = self._health.unhealthy(service)
        reading = [pod for pod in asked if pod.name not in unhealthy]
        skipped = [Failed(pod.name, "not answering") for pod in asked if pod.name in unhealthy]
        try:
            cursor, marker_task = await self._cursor(
                request_id, page, query, reader, pods, reading, unhealthy
            )
            outcomes = await reader.read_all(reading, cursor, marker_task=marker_task)
        except MarkerMissing:
            if dialect.strict_marker(spec):
                raise dialect.unknown_marker(spec, query.marker or "") from None
            # NOTE: as Neutron's OVO Pager: a marker it does not find is no marker at all.
            cursor = _from_start(reading)
            outcomes = await reader.read_all(reading, cursor, marker_task=None)
        outcomes = [*outcomes, *skipped]
        return await self._answer(request_id, page, view, query, cursor, asked, outcomes, started)

    async def _cursor(
        self,
        request_id: str,
        page: ListPage,
        query: ListQuery,
        reader: PodReader,
        pods: Mapping[str, Pod],
        asked: Sequence[Pod],
        unhealthy: Collection[str],
    ) -> tuple[Cursor, "asyncio.Task[SortKey] | None"]:
        """Where each pod's stream starts: at its beginning, from a cached cursor, or rebuilt.

        A marker the cache does not know is found through the routing table: its pod resumes
        after it, every other pod is scanned after its sort values, which are read from its pod
        concurrently with the first pages (the returned task). MarkerMissing when no pod shows
        the caller the marker.
        """
        marker = query.marker
        if marker is None:
            return _from_start(asked), None
        service = RESOURCE_SERVICE[page.resource_type]
        cursor = self._cursors.get(cursor_key(page.project_id, service, query, marker))
        if cursor is not None:
            return cursor, None
        routing = await self._routings.lookup(page.resource_type, marker)
        pods_judge = not DIALECTS[service].own_markers
        if routing is None and pods_judge:
            return await self._located(request_id, page, reader, asked, marker), None
        any_project = _ALL_TENANTS in dict(query.params) or pods_judge
        if routing is None or (routing.project_id != page.project_id and not any_project):
            raise MarkerMissing(marker)
        pod, _ = usable(routing.pod_name, pods.get(routing.pod_name), service, unhealthy)
        task = asyncio.create_task(reader.marker_key(pod, marker))
        in_list = any(candidate.name == pod.name for candidate in asked)
        positions = {pod.name: ResumeAfter(marker)} if in_list else {}
        return Cursor(after=None, positions=positions), task

    async def _located(
        self, request_id: str, page: ListPage, reader: PodReader, asked: Sequence[Pod], marker: str
    ) -> Cursor:
        """The cursor after a marker no routing names, found by asking every pod for it (as
        one Neutron would find any item the caller sees); its routing is learnt."""
        located = await reader.locate(asked, marker)
        owner = _text(located.item.get(SPECS[page.resource_type].owner_field))
        routing = Routing(marker, page.resource_type, owner or page.project_id, located.pod.name)
        try:
            await self._routings.learn([routing])
        except PodgateError:
            log.exception("%s marker %s could not be learnt", request_id, marker)
        return Cursor(after=located.key, positions={located.pod.name: ResumeAfter(marker)})

    async def _answer(
        self,
        request_id: str,
        page: ListPage,
        view: ListView,
        query: ListQuery,
        cursor: Cursor,
        asked: Sequence[Pod],
        outcomes: Sequence["Outcome"],
        started: float,
    ) -> ListAnswer:
        for outcome in outcomes:
            if isinstance(outcome, Rejected):
                self._log(request_id, page, started, asked, (), 0, status=outcome.status)
                return ListAnswer(outcome.status, outcome.body)
        streams = [outcome for outcome in outcomes if isinstance(outcome, Stream)]
        missing = tuple(sorted(o.pod for o in outcomes if isinstance(o, Failed)))
        if missing and (not streams or not self._partial):
            self._log(request_id, page, started, asked, missing, 0, status=503)
            zones = ", ".join(dict.fromkeys(p.az_name for p in asked if p.name in missing))
            message = f"The list could not be read from availability zone {zones}."
            service = RESOURCE_SERVICE[page.resource_type]
            return ListAnswer(503, fault_body(503, message, service), missing)
        merged = merge(streams, limit=query.limit)
        if merged.more and merged.entries:
            last = merged.entries[-1]
            service = RESOURCE_SERVICE[page.resource_type]
            self._cursors.put(
                cursor_key(page.project_id, service, query, last.id),
                advance(cursor, streams, merged),
            )
        await self._learn(request_id, page, merged.entries)
        by_name = {pod.name: pod for pod in asked}
        items = [localise(page.resource_type, e.item, by_name[e.pod]) for e in merged.entries]
        body = DIALECTS[RESOURCE_SERVICE[page.resource_type]].body(view, items, query, merged.more)
        self._log(request_id, page, started, asked, missing, len(merged.entries))
        return ListAnswer(200, body, missing)

    async def _learn(self, request_id: str, page: ListPage, entries: Sequence[Entry]) -> None:
        """Record where every listed item lives, so a GET by id works next (best effort)."""
        owner = SPECS[page.resource_type].owner_field
        routings = [
            Routing(
                resource_id=entry.id,
                resource_type=page.resource_type,
                project_id=_text(entry.item.get(owner)) or page.project_id,
                pod_name=entry.pod,
            )
            for entry in entries
        ]
        try:
            await self._routings.learn(routings)
        except PodgateError:
            log.exception("%s listed items could not be learnt", request_id)

    def _log(
        self,
        request_id: str,
        page: ListPage,
        started: float,
        asked: Sequence[Pod],
        missing: Sequence[str],
        items: int,
        *,
        status: int = 200,
    ) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._metrics.fanout_seconds.labels(str(page.resource_type)).observe(elapsed_ms / 1000)
        log.info(
            "%s list %s -> %d",
            request_id,
            page.path,
            status,
            extra={
                "pods": ",".join(pod.name for pod in asked) or "-",
                "missing": ",".join(missing) or "-",
                "items": items,
                "ms": round(elapsed_ms, 1),
            },
        )


def _from_start(pods: Sequence[Pod]) -> Cursor:
    return Cursor(after=None, positions=dict.fromkeys((pod.name for pod in pods), FROM_START))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
