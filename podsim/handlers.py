"""HTTP handlers of one resource kind over its in-memory store (thin: the logic is pure)."""

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from podsim.clock import Clock
from podsim.config import PodConfig
from podsim.faults import BadRequest, Fault
from podsim.kind import NewRecord, Record, ResourceKind
from podsim.links import Links, app_url
from podsim.paging import page
from podsim.settling import Settling
from podsim.store import Store
from podsim.test_hooks import CREATED_ID, DELETE_AFTER_S
from podsim.versions import negotiated

_FALSE_WORDS = ("0", "false", "f", "no", "n", "off")

# Without Keystone in front there is no user; Keystone's middleware would send X-User-Id.
ANONYMOUS_USER = "podsim-user"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What creating or deleting one record does to others (a server's boot volume, a volume's
    snapshots); either hook may refuse with a Fault before anything changed."""

    created: Callable[[str, Record], None] | None = None
    deleting: Callable[[web.Request, Record], None] | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where the records a kind is made from live, and the fault for a missing one."""

    store: Store
    not_found: Callable[[str], Fault]


class Collection:
    """Create, show, delete and list one kind of resource under `{prefix}/{project_id}/…`."""

    def __init__(
        self,
        kind: ResourceKind,
        *,
        config: PodConfig,
        store: Store,
        clock: Clock,
        source: Source | None = None,
        lifecycle: Lifecycle = Lifecycle(),
    ) -> None:
        self._kind = kind
        self._config = config
        self._store = store
        self._clock = clock
        self._source = source
        self._lifecycle = lifecycle
        self._settling = Settling(config.settle_s)

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app; `detail` comes before `{id}` so it is not taken for an id."""
        base = f"{self._kind.prefix}/{{project_id}}/{self._kind.collection}"
        return [
            web.get(base, self.index),
            web.post(base, self.create),
            web.get(f"{base}/detail", self.detail),
            web.get(f"{base}/{{resource_id}}", self.show),
            web.delete(f"{base}/{{resource_id}}", self.delete),
        ]

    async def create(self, request: web.Request) -> web.Response:
        """POST: validate, store, answer 202 with the kind's create view."""
        body = await json_body(request)
        project_id = request.match_info["project_id"]
        new = NewRecord(
            id=request.get(CREATED_ID) or str(uuid.uuid4()),
            project_id=project_id,
            user_id=request.headers.get("X-User-Id", ANONYMOUS_USER),
            az=self._config.az,
            pod=self._config.name,
            at=self._clock.tick(),
            request_id=request.get("request_id", ""),
        )
        record = self._kind.new(body, new)
        self._adopt(project_id, record)
        if self._lifecycle.created is not None:
            self._lifecycle.created(project_id, record)
        self._store.add(project_id, new.id, record)
        if self._kind.settling:
            final = {key: record[key] for key in self._kind.settling}
            self._settling.move(record, self._kind.settling, final)
        links = self._links(request, project_id)
        headers = {"Location": links.self_href(new.id)} if self._kind.location_header else None
        return web.json_response(
            {self._kind.member: self._kind.created_view(record, links)}, status=202, headers=headers
        )

    async def show(self, request: web.Request) -> web.Response:
        """GET one: the full view, or the kind's 404."""
        await self._delay()
        project_id = request.match_info["project_id"]
        record = self._get(project_id, request.match_info["resource_id"])
        links = self._links(request, project_id)
        view = self._kind.show_view or self._kind.detail_view
        return web.json_response({self._kind.member: view(record, links)})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: gone once settled (test hooks: maybe later); 204 for Nova, 202 for Cinder."""
        project_id = request.match_info["project_id"]
        resource_id = request.match_info["resource_id"]
        record = self._get(project_id, resource_id)
        if self._lifecycle.deleting is not None:
            self._lifecycle.deleting(request, record)

        def remove() -> None:
            self._store.remove(project_id, resource_id)

        later = request.get(DELETE_AFTER_S)
        if later is not None:
            asyncio.get_running_loop().call_later(later, remove)
        else:
            if self._kind.deleting and self._settling.seconds > 0:
                record.update(self._kind.deleting)
            self._settling.finish(remove)
        return web.Response(status=self._kind.delete_status)

    async def index(self, request: web.Request) -> web.Response:
        """GET the collection: id, name and links of each."""
        return await self._list(request, detail=False)

    async def detail(self, request: web.Request) -> web.Response:
        """GET the collection's detail: full views."""
        return await self._list(request, detail=True)

    async def _list(self, request: web.Request, *, detail: bool) -> web.Response:
        await self._delay()
        project_id = request.match_info["project_id"]
        params = list(request.query.items())
        query = self._kind.list_query(params)
        every_project = all_tenants(params)
        marker = None
        if query.marker is not None:
            if every_project:
                marker = self._store.find(query.marker)
            else:
                marker = self._store.get(project_id, query.marker)
            if marker is None:
                raise self._kind.marker_not_found(query.marker)
        store = self._store
        candidates = store.every_record() if every_project else store.records(project_id)
        records = [record for record in candidates if self._kind.matches(record, query.filters)]
        result = page(records, query.order, limit=query.limit, marker=marker)
        links = self._links(request, project_id)
        collection = self._kind.collection
        view = self._kind.detail_view if detail else self._kind.brief_view or self._brief_view
        body: dict[str, Any] = {collection: [view(record, links) for record in result.items]}
        if result.full:
            path = f"{collection}/detail" if detail else collection
            last_id = result.items[-1][self._kind.id_key]
            body[f"{collection}_links"] = links.next_page(path, params, last_id)
        return web.json_response(body)

    def _adopt(self, project_id: str, record: Record) -> None:
        """Take what a record made from another needs from its source (a volume's size)."""
        key, take = self._kind.source_key, self._kind.from_source
        if key is None or take is None or self._source is None:
            return
        source = self._source.store.get(project_id, record[key])
        if source is None:
            raise self._source.not_found(record[key])
        take(record, source)

    def _brief_view(self, record: Record, links: Links) -> dict[str, Any]:
        resource_id = record[self._kind.id_key]
        name = record["display_name"]
        return {"id": resource_id, "name": name, "links": links.member(resource_id)}

    def _get(self, project_id: str, resource_id: str) -> Record:
        record = self._store.get(project_id, resource_id)
        if record is None:
            raise self._kind.not_found(resource_id)
        return record

    def _links(self, request: web.Request, project_id: str) -> Links:
        return Links(
            endpoint=app_url(request, self._kind.prefix),
            bookmark=app_url(request, self._kind.bookmark_prefix),
            project_id=project_id,
            collection=self._kind.collection,
            version=negotiated(request.get("version_headers", {})),
        )

    async def _delay(self) -> None:
        if self._config.delay > 0:
            await asyncio.sleep(self._config.delay)


def all_tenants(params: list[tuple[str, str]]) -> bool:
    """`all_tenants` asked for (present, and not a false word; empty counts as yes, as in Nova).

    podsim checks no token, so it answers like a pod to an admin: the gateway decides who may ask.
    """
    values = [value for key, value in params if key == "all_tenants"]
    return bool(values) and values[-1].strip().lower() not in _FALSE_WORDS


async def json_body(request: web.Request) -> object:
    """The request's JSON document; an empty body counts as `{}`."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise BadRequest("Malformed request body") from None


async def json_member(request: web.Request, key: str) -> dict[str, Any]:
    """The object under `key` of the request's JSON document (Cinder's 400 without one)."""
    body = await json_body(request)
    member = body.get(key) if isinstance(body, dict) else None
    if not isinstance(member, dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return member


async def meta_value(request: web.Request, key: str) -> object:
    """The value a `PUT .../metadata/{key}` body (`{"meta": {key: value}}`) sets, as Nova and
    Cinder check it."""
    body = await json_body(request)
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict) or len(meta) != 1:
        raise BadRequest("Request body contains too many items")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    return meta[key]
