"""HTTP handlers of the Neutron subset under `/network` (thin: the logic is in the kinds)."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from podsim.network import meta
from podsim.network.faults import NeutronFault, http_bad_request
from podsim.network.floatingips import FLOATINGIPS
from podsim.network.ip_availability import ATTRIBUTES as IP_ATTRIBUTES
from podsim.network.ip_availability import HIDDEN, availability, ip_version_filter
from podsim.network.model import Caller, NetKind, NetState, Record, caller_of, project_of
from podsim.network.networks import NETWORKS
from podsim.network.ports import PORTS
from podsim.network.query import links, matches, only, parse_query, select
from podsim.network.quotas import Quotas, may_change, may_see
from podsim.network.routers import ROUTERS, add_interface, remove_interface
from podsim.network.security_groups import SECURITY_GROUP_RULES, SECURITY_GROUPS
from podsim.network.subnets import SUBNETS
from podsim.test_hooks import CREATED_ID

PREFIX = "/network"
API = f"{PREFIX}/v2.0"
KINDS = (NETWORKS, SUBNETS, PORTS, ROUTERS, FLOATINGIPS, SECURITY_GROUPS, SECURITY_GROUP_RULES)
_PROJECT_KEYS = frozenset({"project_id", "tenant_id"})
_AZ_ATTRIBUTES = frozenset({"name", "resource", "state"})


def not_found_fault() -> NeutronFault:
    """What Neutron answers for a path it has no route for."""
    return NeutronFault(404, "HTTPNotFound", "The resource could not be found.")


class NeutronApi:
    """Routes of the pod's Neutron: one `NetState`, every kind's CRUD, routers' interfaces."""

    def __init__(self, state: NetState, delay: float = 0.0) -> None:
        self._state = state
        self._quotas = Quotas()
        self._delay = delay

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the pod's app."""
        routes = [
            web.get(PREFIX, self._versions),
            web.get(f"{PREFIX}/", self._versions),
            web.get(API, self._resources),
            web.get(f"{API}/", self._resources),
            web.get(f"{API}/extensions", self._extensions),
            web.get(f"{API}/extensions/{{alias}}", self._extension),
            web.get(f"{API}/availability_zones", self._zones),
            web.get(f"{API}/network-ip-availabilities", self._ip_list),
            web.get(f"{API}/network-ip-availabilities/{{id}}", self._ip_show),
            web.get(f"{API}/quotas", self._quota_list),
            web.get(f"{API}/quotas/{{project}}", self._quota_show),
            web.get(f"{API}/quotas/{{project}}/details", self._quota_show),
            web.get(f"{API}/quotas/{{project}}/default", self._quota_show),
            web.put(f"{API}/quotas/{{project}}", self._quota_update),
            web.delete(f"{API}/quotas/{{project}}", self._quota_delete),
            web.put(f"{API}/routers/{{id}}/add_router_interface", self._interface(add_interface)),
            web.put(
                f"{API}/routers/{{id}}/remove_router_interface", self._interface(remove_interface)
            ),
        ]
        for kind in KINDS:
            # The URL names a collection with hyphens, the JSON with underscores.
            base = f"{API}/{kind.collection.replace('_', '-')}"
            routes += [
                web.get(base, self._list(kind)),
                web.post(base, self._create(kind)),
                web.get(f"{base}/{{id}}", self._show(kind)),
                web.put(f"{base}/{{id}}", self._update(kind)),
                web.delete(f"{base}/{{id}}", self._delete(kind)),
            ]
        return routes

    def _list(self, kind: NetKind) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            await self._pause()
            caller = caller_of(request.headers)
            params = list(request.query.items())
            if kind.prepare is not None and caller.project_id:
                # As get_security_groups: for the project filtered on, else the caller's.
                named = [v for k, v in params if k in ("project_id", "tenant_id") and v]
                kind.prepare(self._state, named[0] if named else caller.project_id)
            query = parse_query(
                params,
                attributes=kind.attributes,
                sort_keys=kind.sort_keys,
                extra=frozenset(kind.filters),
            )
            visible = [
                r
                for r in self._state.table(kind.collection).values()
                if kind.visible(self._state, caller, r)
            ]
            views = [kind.view(self._state, record) for record in visible]
            chosen = [view for view in views if matches(view, query.filters, kind.filters)]
            by_id = {view["id"]: view for view in views}
            items = select(
                chosen,
                query,
                marker_of=by_id.get,
                not_found=kind.not_found,
                strict_marker=kind.strict_marker,
            )
            body: dict[str, Any] = {kind.collection: [only(v, query.fields) for v in items]}
            paging = links(_url(request), params, items, query)
            if paging:
                body[f"{kind.collection}_links"] = paging
            return web.json_response(body)

        return handle

    def _show(self, kind: NetKind) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            await self._pause()
            record = self._visible(kind, request)
            fields = [v for k, v in request.query.items() if k == "fields" and v]
            return web.json_response({kind.member: only(kind.view(self._state, record), fields)})

        return handle

    def _create(self, kind: NetKind) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            bulk, items = _created(await _json(request), kind)
            caller = caller_of(request.headers)
            saved = self._state.checkpoint() if bulk else None
            given = request.get(CREATED_ID)
            try:
                views = [
                    self._create_one(kind, caller, attrs, given if i == 0 else None)
                    for i, attrs in enumerate(items)
                ]
            except Exception:
                if saved is not None:
                    self._state.restore(saved)  # Neutron's bulk creates are atomic
                raise
            if bulk:
                return web.json_response({kind.collection: views}, status=201)
            return web.json_response({kind.member: views[0]}, status=201)

        return handle

    def _create_one(
        self, kind: NetKind, caller: Caller, attrs: dict[str, Any], given: str | None
    ) -> dict[str, Any]:
        """One item made; `given`: the id it takes (podsim.test_hooks), None: a new one."""
        project_id = project_of(caller, attrs)
        _check_keys(attrs, allowed=kind.create_keys, known=kind.attributes, create=True)
        if kind.prepare is not None:
            kind.prepare(self._state, project_id)
        self._quotas.check(self._state, project_id, kind.collection)
        self._state.give_id(kind.collection, given)
        try:
            record = kind.create(self._state, caller, project_id, attrs)
        finally:
            self._state.give_id(kind.collection, None)
        return kind.view(self._state, record)

    def _update(self, kind: NetKind) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            attrs = await _member(request, kind.member)
            record = self._owned(kind, request)
            _check_keys(
                attrs, allowed=kind.update_keys, known=kind.attributes | _PROJECT_KEYS, create=False
            )
            kind.update(self._state, caller_of(request.headers), record, attrs)
            return web.json_response({kind.member: kind.view(self._state, record)})

        return handle

    def _delete(self, kind: NetKind) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            record = self._owned(kind, request)
            kind.delete(self._state, caller_of(request.headers), record)
            return web.Response(status=204)

        return handle

    def _interface(
        self, action: Callable[[NetState, Caller, Record, object], dict]
    ) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            body = await _json(request)
            router = self._owned(ROUTERS, request)
            return web.json_response(action(self._state, caller_of(request.headers), router, body))

        return handle

    async def _versions(self, request: web.Request) -> web.Response:
        return web.json_response(meta.versions(_origin(request)))

    async def _resources(self, request: web.Request) -> web.Response:
        return web.json_response(meta.resources(_origin(request)))

    async def _extensions(self, request: web.Request) -> web.Response:
        return web.json_response({"extensions": meta.extensions()})

    async def _extension(self, request: web.Request) -> web.Response:
        return web.json_response({"extension": meta.extension(request.match_info["alias"])})

    async def _zones(self, request: web.Request) -> web.Response:
        params = list(request.query.items())
        query = parse_query(
            params, attributes=_AZ_ATTRIBUTES, sort_keys=frozenset(), extra=frozenset()
        )
        zones = [z for z in meta.availability_zones(self._state.az) if matches(z, query.filters)]
        return web.json_response({"availability_zones": [only(z, query.fields) for z in zones]})

    async def _ip_list(self, request: web.Request) -> web.Response:
        params = list(request.query.items())
        special = {"ip_version": ip_version_filter}
        query = parse_query(
            params, attributes=IP_ATTRIBUTES, sort_keys=frozenset(), extra=frozenset(special)
        )
        items: list[dict[str, Any]] = []
        if caller_of(request.headers).admin:
            every = [availability(self._state, n) for n in self._state.table("networks").values()]
            items = [item for item in every if matches(item, query.filters, special)]
        body = [only(item, query.fields) for item in items]
        return web.json_response({"network_ip_availabilities": body})

    async def _ip_show(self, request: web.Request) -> web.Response:
        network = self._state.table("networks").get(request.match_info["id"])
        if network is None:
            raise NETWORKS.not_found(request.match_info["id"])
        if not caller_of(request.headers).admin:
            return web.json_response(HIDDEN, status=404)
        return web.json_response({"network_ip_availability": availability(self._state, network)})

    async def _quota_list(self, request: web.Request) -> web.Response:
        may_change(caller_of(request.headers), "get")
        return web.json_response({"quotas": self._quotas.listed()})

    async def _quota_show(self, request: web.Request) -> web.Response:
        """The limits, `/details` with use, `/default` the defaults."""
        project = request.match_info["project"]
        may_see(caller_of(request.headers), project)
        if request.path.endswith("/details"):
            return web.json_response({"quota": self._quotas.details(self._state, project)})
        if request.path.endswith("/default"):
            return web.json_response({"quota": Quotas().limits(project)})
        return web.json_response({"quota": self._quotas.limits(project)})

    async def _quota_update(self, request: web.Request) -> web.Response:
        may_change(caller_of(request.headers), "update")
        limits = self._quotas.update(request.match_info["project"], await _json(request))
        return web.json_response({"quota": limits})

    async def _quota_delete(self, request: web.Request) -> web.Response:
        may_change(caller_of(request.headers), "delete")
        self._quotas.reset(request.match_info["project"])
        return web.Response(status=204)

    def _visible(self, kind: NetKind, request: web.Request) -> Record:
        """The addressed record if the caller may see it, else the kind's 404."""
        resource_id = request.match_info["id"]
        record = self._state.table(kind.collection).get(resource_id)
        if record is None or not kind.visible(self._state, caller_of(request.headers), record):
            raise kind.not_found(resource_id)
        return record

    def _owned(self, kind: NetKind, request: web.Request) -> Record:
        """The addressed record if the caller may change it: 404 unseen, 403 only seen."""
        record = self._visible(kind, request)
        if not caller_of(request.headers).owns(record):
            action = f"{(request.method == 'DELETE' and 'delete') or 'update'}_{kind.member}"
            raise NeutronFault(403, "PolicyNotAuthorized", f"{action} is disallowed by policy")
        return record

    async def _pause(self) -> None:
        if self._delay > 0:
            await asyncio.sleep(self._delay)


async def _json(request: web.Request) -> object:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise http_bad_request("Malformed request body") from None


def _created(body: object, kind: NetKind) -> tuple[bool, list[dict[str, Any]]]:
    """A create's items and whether it is a bulk create (`{"<collection>": [...]}`, each item
    the object or it under the member), as prepare_request_body reads them."""
    if isinstance(body, dict) and kind.collection in body and kind.member not in body:
        entries = body[kind.collection]
        if not isinstance(entries, list):
            raise http_bad_request("Body contains invalid data")
        if not entries:
            raise http_bad_request("Resources required")
        items = [
            _object(entry.get(kind.member, entry) if isinstance(entry, dict) else entry, kind)
            for entry in entries
        ]
        return True, items
    return False, [_object(_document(body, kind.member), kind)]


def _object(value: object, kind: NetKind) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise http_bad_request(f"Object '{kind.member}' contains invalid data")
    return dict(value)


async def _member(request: web.Request, member: str) -> dict[str, Any]:
    """The `{"<member>": {...}}` document of a create or update, its inner dict copied."""
    return dict(_document(await _json(request), member))


def _document(body: object, member: str) -> dict[str, Any]:
    """The object under `member` of a create or update body."""
    if not body:
        raise http_bad_request("Resource body required")
    if not isinstance(body, dict):
        raise http_bad_request("Body contains invalid data")
    if body.get(member) is None:
        raise http_bad_request(f"Unable to find '{member}' in request body")
    if not isinstance(body[member], dict):
        raise http_bad_request(f"Object '{member}' contains invalid data")
    return body[member]


def _check_keys(
    attrs: dict[str, Any], *, allowed: frozenset[str], known: frozenset[str], create: bool
) -> None:
    """neutron/api/v2/base.py prepare_request_body: unknown, then not settable, attributes."""
    unknown = sorted(set(attrs) - allowed - known)
    if unknown:
        raise http_bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for key in sorted(set(attrs) - allowed):
        if create:
            raise http_bad_request(f"Attribute '{key}' not allowed in POST")
        raise http_bad_request(f"Cannot update read-only attribute {key}")


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{PREFIX}"


def _url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{request.path}"
