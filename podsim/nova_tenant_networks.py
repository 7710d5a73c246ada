"""Nova's network proxies `os-networks` and `os-tenant-networks` (up to 2.35), over the pod's
own Neutron (podsim's NetState).

Nova lists and shows what Neutron shows the caller (its own networks, shared and external
ones; an admin every one), in nova-network's old shapes: `os-networks` with nova-network's
fields all null but `id` and `label` (the admin fields too, for admins), `os-tenant-networks`
with `cidr` the string "None". Creates, deletes and actions went with nova-network: 410.
The caller is the path's project, an admin when `X-Roles` names `admin` (what
keystonemiddleware sets).
"""

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from podsim.faults import Fault, NotFound
from podsim.network.model import Caller, NetState, Record, public
from podsim.network.networks import NETWORKS
from podsim.proxy_versions import gated

__all__ = ["NovaTenantNetworks"]

_BASE = "/compute/v2.1/{project_id}"
# nova/api/openstack/compute/networks.py network_dict.
_FIELDS = (
    "id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6",
    "label", "netmask_v6",
)  # fmt: skip
_ADMIN_FIELDS = (
    "created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan",
    "vpn_public_address", "vpn_public_port", "vpn_private_address", "dhcp_start", "project_id",
    "host", "bridge_interface", "multi_host", "priority", "rxtx_base", "mtu", "dhcp_server",
    "enable_dhcp", "share_address",
)  # fmt: skip
# webob's HTTPGone, as Nova's fault wraps it.
_GONE = "This resource is no longer available.  No forwarding address is given."

View = Callable[[Record, Caller], Mapping[str, Any]]


class Gone(Fault):
    """The API went with nova-network."""

    status = 410


def _nova_network(record: Record, caller: Caller) -> Mapping[str, Any]:
    fields = _FIELDS + _ADMIN_FIELDS if caller.admin else _FIELDS
    view: dict[str, Any] = dict.fromkeys(fields)
    view.update(id=record["id"], label=record.get("name"))
    return view


def _tenant_network(record: Record, caller: Caller) -> Mapping[str, Any]:
    return {"id": record["id"], "cidr": str(None), "label": record.get("name")}


class NovaTenantNetworks:
    """Lists and shows the pod's Neutron networks through Nova."""

    def __init__(self, network: NetState) -> None:
        self._network = network

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        routes = []
        for collection, view in (
            ("os-networks", _nova_network),
            ("os-tenant-networks", _tenant_network),
        ):
            path = f"{_BASE}/{collection}"
            routes += [
                web.get(path, gated(self._lister(view))),
                web.get(f"{path}/{{item_id}}", gated(self._shower(view))),
                web.post(path, _gone),
                web.delete(f"{path}/{{item_id}}", _gone),
            ]
        return [
            *routes,
            web.post(f"{_BASE}/os-networks/add", _gone),
            web.post(f"{_BASE}/os-networks/{{item_id}}/action", _gone),
        ]

    def _visible(self, caller: Caller) -> list[Record]:
        return [
            public(record)
            for record in self._network.table("networks").values()
            if NETWORKS.visible(self._network, caller, record)
        ]

    def _lister(self, view: View) -> Callable[[web.Request], Any]:
        async def index(request: web.Request) -> web.Response:
            caller = _caller(request)
            networks = [view(record, caller) for record in self._visible(caller)]
            return web.json_response({"networks": networks})

        return index

    def _shower(self, view: View) -> Callable[[web.Request], Any]:
        async def show(request: web.Request) -> web.Response:
            caller, item_id = _caller(request), request.match_info["item_id"]
            for record in self._visible(caller):
                if record["id"] == item_id:
                    return web.json_response({"network": view(record, caller)})
            raise NotFound("Network not found")

        return show


async def _gone(request: web.Request) -> web.Response:
    raise Gone(_GONE)


def _caller(request: web.Request) -> Caller:
    roles = {role.strip().lower() for role in request.headers.get("X-Roles", "").split(",")}
    return Caller(request.match_info["project_id"], admin="admin" in roles)
