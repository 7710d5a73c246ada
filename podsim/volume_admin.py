"""Cinder's admin views beyond the service list: hosts, pools, a backend's capabilities, service
actions, quota classes, and the extension and filter lists every user may read.

The pod has one volume backend, `<host>@lvm` with pool `lvm` (Inventory's host). Shapes as
Cinder answers them; errors with the codes Tempest's admin tests expect of Cinder.
"""

import json
from typing import Any

from aiohttp import web

from podsim.config import PodConfig
from podsim.faults import BadRequest, NotFound
from podsim.inventory import Inventory
from podsim.store import Store
from podsim.volume_types import VolumeTypes

_BACKEND = "lvm"
_EXTENSIONS = (
    ("os-hosts", "Hosts", "Admin-only host administration."),
    ("os-services", "Services", "Services support."),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
    ("capabilities", "Capabilities", "Capabilities support."),
    ("os-quota-class-sets", "Quota_classes", "Quota classes management support."),
)
_FILTERS = {
    "volume": ["name", "status", "metadata", "bootable", "migration_status",
               "availability_zone", "group_id", "size", "created_at", "updated_at"],
    "snapshot": ["name", "status", "volume_id", "metadata", "availability_zone"],
    "backup": ["name", "status", "volume_id"],
}  # fmt: skip


class VolumeAdmin:
    """The routes below `/volume/v3/{project}` an admin uses on the pod's volume machinery."""

    def __init__(
        self, config: PodConfig, inventory: Inventory, volumes: Store, types: VolumeTypes
    ) -> None:
        self._config = config
        self._inventory = inventory
        self._volumes = volumes
        self._types = types
        # project -> its default volume type's id (3.62)
        self._default_types: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        at = "/volume/v3/{project_id}"
        return [
            web.get(f"{at}/os-hosts", self.hosts),
            web.get(f"{at}/os-hosts/{{host}}", self.host),
            web.get(f"{at}/scheduler-stats/get_pools", self.pools),
            web.get(f"{at}/capabilities/{{host}}", self.capabilities),
            web.put(f"{at}/os-services/{{action}}", self.service_action),
            web.get(f"{at}/extensions", self.extensions),
            web.get(f"{at}/resource_filters", self.resource_filters),
            web.get(f"{at}/clusters", self.clusters),
            web.get(f"{at}/clusters/detail", self.clusters),
            web.get(f"{at}/clusters/{{name}}", self.cluster),
            web.put(f"{at}/clusters/{{action}}", self.cluster_action),
            web.post(f"{at}/workers/cleanup", self.cleanup),
            web.get(f"{at}/manageable_volumes", self.manageable_volumes),
            web.get(f"{at}/default-types", self.default_types),
            web.get(f"{at}/default-types/{{project}}", self.default_type),
            web.put(f"{at}/default-types/{{project}}", self.set_default_type),
            web.delete(f"{at}/default-types/{{project}}", self.unset_default_type),
        ]

    @property
    def _backend_host(self) -> str:
        return f"{self._inventory.host}@{_BACKEND}"

    async def hosts(self, request: web.Request) -> web.Response:
        """GET the volume hosts."""
        state = self._inventory.volume
        host = {
            "service": "cinder-volume",
            "host_name": self._backend_host,
            "zone": self._config.az,
            "service_status": "available",
            "service_state": "disabled" if state.disabled else "enabled",
            "last-update": None,
        }
        return web.json_response({"hosts": [host]})

    async def host(self, request: web.Request) -> web.Response:
        """GET one host's volume totals, per project and in all."""
        name = request.match_info["host"]
        if name not in (self._backend_host, self._inventory.host):
            raise NotFound(f"Host {name} could not be found.")
        volumes = self._volumes.every_record()
        total = {"host": name, "project": "(total)", "volume_count": str(len(volumes)),
                 "total_volume_gb": str(sum(int(v.get("size", 0)) for v in volumes)),
                 "snapshot_count": "0", "total_snapshot_gb": "0"}  # fmt: skip
        return web.json_response({"host": [{"resource": total}]})

    async def pools(self, request: web.Request) -> web.Response:
        """GET the backend's pools (`detail=True`: with their capabilities)."""
        pool: dict[str, Any] = {"name": f"{self._backend_host}#{_BACKEND}"}
        if request.query.get("detail", "").lower() == "true":
            pool["capabilities"] = {
                "pool_name": _BACKEND, "total_capacity_gb": 1000.0, "free_capacity_gb": 990.0,
                "reserved_percentage": 0, "volume_backend_name": _BACKEND,
                "storage_protocol": "iSCSI", "vendor_name": "Open Source",
                "driver_version": "3.0.0", "QoS_support": False,
                "timestamp": "2026-12-07T00:00:00.000000",
            }  # fmt: skip
        return web.json_response({"pools": [pool]})

    async def capabilities(self, request: web.Request) -> web.Response:
        """GET the capabilities of a backend host."""
        name = request.match_info["host"]
        if name != self._backend_host:
            raise NotFound(f"Service {name} could not be found.")
        return web.json_response({
            "namespace": f"OS::Storage::Capabilities::{name}", "vendor_name": "Open Source",
            "volume_backend_name": _BACKEND, "pool_name": None, "driver_version": "3.0.0",
            "storage_protocol": "iSCSI", "display_name": None, "description": None,
            "visibility": None, "replication_targets": [], "properties": {},
        })  # fmt: skip

    async def service_action(self, request: web.Request) -> web.Response:
        """PUT enable, disable, disable-log-reason, freeze or thaw."""
        action = request.match_info["action"]
        body = await _json(request)
        host, binary = body.get("host"), body.get("binary", "cinder-volume")
        state = self._inventory.volume
        if action in ("freeze", "thaw"):
            if host != self._backend_host:
                raise BadRequest(f"Host {host} could not be found.")
            state.frozen = action == "freeze"
            return web.Response(status=200)
        if action not in ("enable", "disable", "disable-log-reason"):
            raise NotFound("Unknown action")
        if action == "disable-log-reason" and not body.get("disabled_reason"):
            raise BadRequest("Disabled reason contains invalid characters or is too long")
        if host not in (self._backend_host, self._inventory.host) or binary != "cinder-volume":
            raise NotFound(f"Service {binary} could not be found.")
        state.disabled = action != "enable"
        state.disabled_reason = body.get("disabled_reason") if state.disabled else None
        return web.json_response({
            "host": host, "binary": binary, "disabled": state.disabled,
            "status": "disabled" if state.disabled else "enabled",
            **({"disabled_reason": state.disabled_reason} if state.disabled else {}),
        })  # fmt: skip

    async def extensions(self, request: web.Request) -> web.Response:
        """GET the API extensions."""
        listed = [
            {"alias": alias, "name": name, "description": text, "links": [],
             "updated": "2026-01-01T00:00:00+00:00"}
            for alias, name, text in _EXTENSIONS
        ]  # fmt: skip
        return web.json_response({"extensions": listed})

    async def resource_filters(self, request: web.Request) -> web.Response:
        """GET the filters each resource's list takes (`?resource=` picks one)."""
        wanted = request.query.get("resource")
        listed = [
            {"resource": resource, "filters": filters}
            for resource, filters in _FILTERS.items()
            if wanted in (None, resource)
        ]
        return web.json_response({"resource_filters": listed})

    @property
    def _cluster_name(self) -> str:
        return f"{self._inventory.host}-cluster@{_BACKEND}"

    def _cluster(self, detail: bool) -> dict[str, Any]:
        state = self._inventory.volume
        brief = {"name": self._cluster_name, "binary": "cinder-volume", "state": "up",
                 "status": "disabled" if state.disabled else "enabled"}  # fmt: skip
        if not detail:
            return brief
        return {
            **brief, "num_hosts": 1, "num_down_hosts": 0, "last_heartbeat": None,
            "created_at": "2026-01-01T00:00:00.000000", "updated_at": None,
            "disabled_reason": state.disabled_reason, "replication_status": "disabled",
            "frozen": state.frozen, "active_backend_id": None,
        }  # fmt: skip

    async def clusters(self, request: web.Request) -> web.Response:
        """GET the clusters (3.7), in brief or in detail."""
        detail = request.path.endswith("/detail")
        return web.json_response({"clusters": [self._cluster(detail)]})

    async def cluster(self, request: web.Request) -> web.Response:
        """GET one cluster by name."""
        name = request.match_info["name"]
        if name != self._cluster_name:
            raise NotFound(f"Cluster {name} could not be found.")
        return web.json_response({"cluster": self._cluster(True)})

    async def cluster_action(self, request: web.Request) -> web.Response:
        """PUT enable or disable a cluster named in the body."""
        action, body = request.match_info["action"], await _json(request)
        if action not in ("enable", "disable"):
            raise NotFound("Unknown action")
        if body.get("name") != self._cluster_name:
            raise NotFound(f"Cluster {body.get('name')} could not be found.")
        state = self._inventory.volume
        state.disabled = action == "disable"
        state.disabled_reason = body.get("disabled_reason") if state.disabled else None
        return web.json_response({"cluster": self._cluster(False)})

    async def cleanup(self, request: web.Request) -> web.Response:
        """POST a cleanup of the pod's volume service's work (3.24)."""
        await _json(request)
        service = {"id": 1, "host": self._backend_host, "binary": "cinder-volume",
                   "cluster_name": self._cluster_name}  # fmt: skip
        return web.json_response({"cleaning": [service], "unavailable": []}, status=202)

    async def manageable_volumes(self, request: web.Request) -> web.Response:
        """GET the volumes the backend holds that Cinder does not manage (3.8), by host."""
        host = request.query.get("host")
        if host not in (self._backend_host, f"{self._backend_host}#{_BACKEND}"):
            raise NotFound(f"Service {host} could not be found.")
        found = {"reference": {"source-name": f"{self._config.name}-lv"}, "size": 1,
                 "safe_to_manage": True}  # fmt: skip
        return web.json_response({"manageable-volumes": [found]})

    async def default_types(self, request: web.Request) -> web.Response:
        """GET every project's default volume type."""
        listed = [_default(project, type_id) for project, type_id in self._default_types.items()]
        return web.json_response({"default_types": listed})

    async def default_type(self, request: web.Request) -> web.Response:
        """GET a project's default volume type."""
        project = request.match_info["project"]
        if project not in self._default_types:
            raise NotFound(f"Default type for project {project} could not be found.")
        return web.json_response({"default_type": _default(project, self._default_types[project])})

    async def set_default_type(self, request: web.Request) -> web.Response:
        """PUT a project's default volume type (by the type's name or id)."""
        project = request.match_info["project"]
        wanted = ((await _json(request)).get("default_type") or {}).get("volume_type")
        record = self._types.find(str(wanted)) if wanted else None
        if record is None:
            raise NotFound(f"Volume type {wanted} could not be found.")
        self._default_types[project] = record["id"]
        return web.json_response({"default_type": _default(project, record["id"])})

    async def unset_default_type(self, request: web.Request) -> web.Response:
        """DELETE a project's default volume type."""
        project = request.match_info["project"]
        if self._default_types.pop(project, None) is None:
            raise NotFound(f"Default type for project {project} could not be found.")
        return web.Response(status=204)


def _default(project: str, type_id: str) -> dict[str, str]:
    return {"project_id": project, "volume_type_id": type_id}


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise BadRequest("Malformed request body") from exc
    if not isinstance(body, dict):
        raise BadRequest("Malformed request body")
    return body
