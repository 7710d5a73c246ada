"""Nova flavors and their extra specs: global to the pod, seeded like devstack's m1.* flavors."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from podsim.extra_specs import ExtraSpecs
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body
from podsim.links import app_url
from podsim.shared_paging import FLAVORS, paged
from podsim.store import Record
from podsim.versions import negotiated

_BASE = "/compute/v2.1/{project_id}/flavors"
# devstack's standard flavors: id -> (name, ram MB, disk GB, vcpus).
_SEEDED = {
    "1": ("m1.tiny", 512, 1, 1),
    "2": ("m1.small", 2048, 20, 1),
    "3": ("m1.medium", 4096, 40, 2),
    "4": ("m1.large", 8192, 80, 4),
    "5": ("m1.xlarge", 16384, 160, 8),
}


class Conflict(Fault):
    """The flavor exists already (Nova's 409)."""

    status = 409


def flavor_not_found(flavor_id: str) -> NotFound:
    """Nova's FlavorNotFound."""
    return NotFound(f"Flavor {flavor_id} could not be found.")


class Flavors(ExtraSpecs):
    """The pod's flavors, shared by every project."""

    _noun = "Flavor"
    _specs_missing = "'extra_specs' is a required property"

    def __init__(self) -> None:
        self._flavors: dict[str, Record] = {
            flavor_id: _record(flavor_id, name, ram, disk, vcpus)
            for flavor_id, (name, ram, disk, vcpus) in _SEEDED.items()
        }

    def sizes(self, flavor_id: str | None) -> tuple[int, int]:
        """The vcpus and RAM (MB) of a flavor; (0, 0) for none or one deleted since."""
        record = self._flavors.get(flavor_id or "")
        return (int(record["vcpus"]), int(record["ram"])) if record else (0, 0)

    def copy_for_server(self, flavor_id: str | None) -> dict[str, Any] | None:
        """The flavor as Nova copies it into a server at boot (shown from 2.47 on)."""
        record = self._flavors.get(flavor_id or "")
        if record is None:
            return None
        return {
            "vcpus": record["vcpus"],
            "ram": record["ram"],
            "disk": record["disk"],
            "ephemeral": record["ephemeral"],
            "swap": record["swap"],
            "original_name": record["name"],
            "extra_specs": dict(record["extra_specs"]),
        }

    def exists(self, flavor_ref: str) -> bool:
        """Whether `flavor_ref` (an id or a URL ending in one) names a flavor here."""
        return flavor_ref.rstrip("/").rsplit("/", 1)[-1] in self._flavors

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        specs = f"{_BASE}/{{flavor_id}}/os-extra_specs"
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(f"{_BASE}/detail", self.detail),
            web.get(f"{_BASE}/{{flavor_id}}", self.show),
            web.delete(f"{_BASE}/{{flavor_id}}", self.delete),
            web.get(specs, self.extra_specs),
            web.post(specs, self.add_extra_specs),
            web.get(f"{specs}/{{key}}", self.extra_spec),
            web.put(f"{specs}/{{key}}", self.set_extra_spec),
            web.delete(f"{specs}/{{key}}", self.delete_extra_spec),
        ]

    async def index(self, request: web.Request) -> web.Response:
        """GET the brief list: id, name, links."""

        def brief(f: Record) -> dict[str, Any]:
            view = {"id": f["id"], "name": f["name"], "links": _links(request, f["id"])}
            if version_of(request) >= (2, 55):
                view["description"] = f["description"]
            return view

        return web.json_response(self._page(request, brief, "flavors"))

    async def detail(self, request: web.Request) -> web.Response:
        """GET the detailed list."""
        return web.json_response(self._page(request, lambda f: _view(request, f), "flavors/detail"))

    def _page(
        self, request: web.Request, view: Callable[[Record], dict[str, Any]], path: str
    ) -> dict[str, Any]:
        # Nova's default order: flavorid ascending.
        records = list(self._flavors.values())
        return paged(request, FLAVORS, records, view, path=path, default_order=("id",))

    async def show(self, request: web.Request) -> web.Response:
        """GET one flavor."""
        return web.json_response({"flavor": _view(request, self._get(request))})

    async def create(self, request: web.Request) -> web.Response:
        """POST (admin): a new flavor, 409 when its name or id is taken."""
        body = await json_body(request)
        flavor = body.get("flavor") if isinstance(body, dict) else None
        if not isinstance(flavor, dict):
            raise BadRequest("'flavor' is a required property")
        for field in ("name", "ram", "vcpus", "disk"):
            if field not in flavor:
                raise BadRequest(f"'{field}' is a required property")
        name = flavor["name"]
        flavor_id = str(flavor.get("id") or uuid.uuid4())
        if any(f["name"] == name for f in self._flavors.values()):
            raise Conflict(f"Flavor with name {name} already exists.")
        if flavor_id in self._flavors:
            raise Conflict(f"Flavor with ID {flavor_id} already exists.")
        record = _record(flavor_id, name, flavor["ram"], flavor["disk"], flavor["vcpus"])
        record["os-flavor-access:is_public"] = bool(flavor.get("os-flavor-access:is_public", True))
        record["swap"] = _size(flavor, "swap")
        record["ephemeral"] = _size(flavor, "OS-FLV-EXT-DATA:ephemeral")
        record["description"] = flavor.get("description")
        self._flavors[flavor_id] = record
        return web.json_response({"flavor": _view(request, record)})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE (admin): 202."""
        self._flavors.pop(self._get(request)["id"])
        return web.Response(status=202)

    async def extra_spec(self, request: web.Request) -> web.Response:
        """GET one extra spec."""
        flavor, key = self._get(request), request.match_info["key"]
        if key not in flavor["extra_specs"]:
            raise NotFound(f"Flavor {flavor['id']} has no extra specs with key {key}.")
        return web.json_response({key: flavor["extra_specs"][key]})

    async def set_extra_spec(self, request: web.Request) -> web.Response:
        """PUT one extra spec; the body names exactly that key."""
        flavor, key = self._get(request), request.match_info["key"]
        body = await json_body(request)
        if not isinstance(body, dict) or list(body) != [key]:
            raise BadRequest("Request body and URI mismatch")
        flavor["extra_specs"][key] = body[key]
        return web.json_response(body)

    def _get(self, request: web.Request) -> Record:
        flavor_id = request.match_info["flavor_id"]
        record = self._flavors.get(flavor_id)
        if record is None:
            raise flavor_not_found(flavor_id)
        return record


def _record(flavor_id: str, name: str, ram: object, disk: object, vcpus: object) -> Record:
    return {
        "id": flavor_id,
        "name": name,
        "ram": ram,
        "disk": disk,
        "vcpus": vcpus,
        "os-flavor-access:is_public": True,
        "swap": 0,
        "ephemeral": 0,
        "description": None,
        "extra_specs": {},
    }


def _view(request: web.Request, record: Record) -> dict[str, Any]:
    """nova/api/openstack/compute/views/flavors.py show(): description 2.55, extra_specs 2.61
    (a member may read them), swap an integer from 2.75 (before: "" for none)."""
    version = version_of(request)
    view = {
        "id": record["id"],
        "name": record["name"],
        "ram": record["ram"],
        "disk": record["disk"],
        "vcpus": record["vcpus"],
        "swap": record["swap"] if version >= (2, 75) else record["swap"] or "",
        "rxtx_factor": 1.0,
        "OS-FLV-EXT-DATA:ephemeral": record["ephemeral"],
        "OS-FLV-DISABLED:disabled": False,
        "os-flavor-access:is_public": record["os-flavor-access:is_public"],
        "links": _links(request, record["id"]),
    }
    if version >= (2, 55):
        view["description"] = record["description"]
    if version >= (2, 61):
        view["extra_specs"] = dict(record["extra_specs"])
    return view


def _size(flavor: dict[str, Any], field: str) -> int:
    """An optional size (MB or GB): an integer, or its digits as Nova's schema allows; 0 when
    not given."""
    value = flavor.get(field, 0)
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]+", str(value).strip()):
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}.")
    return int(str(value).strip())


def version_of(request: web.Request) -> tuple[int, int]:
    return negotiated(request.get("version_headers", {}))


def _links(request: web.Request, flavor_id: str) -> list[dict[str, str]]:
    tail = f"{request.match_info['project_id']}/flavors/{flavor_id}"
    return [
        {"rel": "self", "href": f"{app_url(request, '/compute/v2.1')}/{tail}"},
        {"rel": "bookmark", "href": f"{app_url(request, '/compute')}/{tail}"},
    ]
