"""Nova's proxies to Neutron, `os-security-groups` and `os-floating-ips` (up to 2.35).

Enough for a client to make, show, list and delete a group or a floating IP through Nova, and
to list the floating IP pools, in Nova's views; they are the pod's own (podsim keeps them apart
from its Neutron's).
"""

import ipaddress
import uuid
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body
from podsim.proxy_versions import gated
from podsim.store import Record, Store

__all__ = ["NovaNetworks"]

_BASE = "/compute/v2.1/{project_id}"
_FIRST_FLOATING_IP = ipaddress.ip_address("172.24.4.10")
_POOL = "public"


class NovaNetworks:
    """Security groups and floating IPs made through Nova's proxy."""

    def __init__(self) -> None:
        self._groups = Store()
        self._floating_ips = Store()
        self._allocated = 0

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        groups, ips = f"{_BASE}/os-security-groups", f"{_BASE}/os-floating-ips"
        return [
            web.get(groups, gated(self.list_groups)),
            web.post(groups, gated(self.create_group)),
            web.get(f"{groups}/{{item_id}}", gated(self.show_group)),
            web.delete(f"{groups}/{{item_id}}", gated(self.delete_group)),
            web.get(ips, gated(self.list_ips)),
            web.post(ips, gated(self.create_ip)),
            web.get(f"{ips}/{{item_id}}", gated(self.show_ip)),
            web.delete(f"{ips}/{{item_id}}", gated(self.delete_ip)),
            web.get(f"{_BASE}/os-floating-ip-pools", gated(self.pools)),
        ]

    async def pools(self, request: web.Request) -> web.Response:
        """The pod's external network, the one pool."""
        return web.json_response({"floating_ip_pools": [{"name": _POOL}]})

    async def list_groups(self, request: web.Request) -> web.Response:
        """The project's groups; every project's with `all_tenants` (podsim answers as to an
        admin), sorted by project and name as Nova sorts them."""
        if "all_tenants" in request.query:
            records = self._groups.every_record()
        else:
            records = self._groups.records(request.match_info["project_id"])
        records.sort(key=lambda group: (group["tenant_id"], group["name"]))
        return web.json_response({"security_groups": records})

    async def create_group(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        group = body.get("security_group") if isinstance(body, dict) else None
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            raise BadRequest("Invalid input for field/attribute security_group.")
        project_id = request.match_info["project_id"]
        record = {
            "id": str(uuid.uuid4()),
            "name": group["name"],
            "description": str(group.get("description", "")),
            "tenant_id": project_id,
            "rules": [],
        }
        self._groups.add(project_id, record["id"], record)
        return web.json_response({"security_group": record})

    async def show_group(self, request: web.Request) -> web.Response:
        return web.json_response({"security_group": _get(request, self._groups, "group")})

    async def delete_group(self, request: web.Request) -> web.Response:
        record = _get(request, self._groups, "group")
        self._groups.remove(request.match_info["project_id"], record["id"])
        return web.Response(status=202)

    async def list_ips(self, request: web.Request) -> web.Response:
        records = self._floating_ips.records(request.match_info["project_id"])
        return web.json_response({"floating_ips": records})

    async def create_ip(self, request: web.Request) -> web.Response:
        body = await json_body(request) if request.can_read_body else {}
        pool = body.get("pool", _POOL) if isinstance(body, dict) else _POOL
        project_id = request.match_info["project_id"]
        address = _FIRST_FLOATING_IP + self._allocated
        self._allocated += 1
        record: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "ip": str(address),
            "pool": pool,
            "fixed_ip": None,
            "instance_id": None,
        }
        self._floating_ips.add(project_id, record["id"], record)
        return web.json_response({"floating_ip": record})

    async def show_ip(self, request: web.Request) -> web.Response:
        return web.json_response({"floating_ip": _get(request, self._floating_ips, "ip")})

    async def delete_ip(self, request: web.Request) -> web.Response:
        record = _get(request, self._floating_ips, "ip")
        self._floating_ips.remove(request.match_info["project_id"], record["id"])
        return web.Response(status=202)


def _get(request: web.Request, store: Store, what: str) -> Record:
    item_id = request.match_info["item_id"]
    record = store.get(request.match_info["project_id"], item_id)
    if record is None:
        if what == "group":
            raise NotFound(f"Security group {item_id} not found.")
        raise NotFound(f"Floating IP not found for ID {item_id}")
    return record
