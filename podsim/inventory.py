"""Admin views of the pod's machinery: one nova-compute (and its hypervisor), one cinder-volume.

The hypervisor is as big as the pod's configuration says and its use is the servers the pod
holds (their flavors' vCPUs and RAM), so a gateway reading it sees the pod fill up.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.config import PodConfig
from podsim.faults import NotFound
from podsim.flavors import Flavors
from podsim.store import Store
from podsim.versions import parse

# Microversion 2.88 dropped the hypervisor's resource numbers (placement has them instead).
_NO_RESOURCES_SINCE = (2, 88)
# Service and hypervisor ids are UUIDs from 2.53.
_UUID_IDS_SINCE = (2, 53)
# cpu_info is a JSON string before 2.28, an object from then on.
_CPU_INFO_OBJECT_SINCE = (2, 28)
_CPU_INFO = {"arch": "x86_64", "model": "qemu64", "vendor": "AMD", "features": [], "topology": {}}


@dataclass(slots=True)
class ServiceState:
    """What an admin changed of one service (os-services actions)."""

    disabled_reason: str | None = None
    disabled: bool = False
    forced_down: bool = False
    frozen: bool = False


class Inventory:
    """Nova `os-services` and `os-hypervisors[/detail]`, Cinder `os-services`."""

    def __init__(self, config: PodConfig, servers: Store, flavors: Flavors) -> None:
        self._config = config
        self._servers = servers
        self._flavors = flavors
        self.compute = ServiceState()
        self.volume = ServiceState()

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        compute = "/compute/v2.1/{project_id}"
        return [
            web.get(f"{compute}/os-services", self.compute_services),
            web.get(f"{compute}/os-hypervisors", self.hypervisors),
            web.get(f"{compute}/os-hypervisors/detail", self.hypervisors_detail),
            web.get("/volume/v3/{project_id}/os-services", self.volume_services),
        ]

    async def compute_services(self, request: web.Request) -> web.Response:
        """GET Nova services (`?host=`, `?binary=` filter them)."""
        service = self.compute_service(request)
        wanted = {key: request.query[key] for key in ("host", "binary") if key in request.query}
        if any(service[key] != value for key, value in wanted.items()):
            return web.json_response({"services": []})
        return web.json_response({"services": [service]})

    def compute_service(self, request: web.Request) -> dict[str, Any]:
        """The pod's nova-compute as Nova shows it at the request's microversion."""
        service = {
            **self._service("nova-compute", self.host, self.compute),
            "id": self.compute_service_id(request),
            "forced_down": self.compute.forced_down,
        }
        return service

    def compute_service_id(self, request: web.Request) -> int | str:
        """1 before 2.53, the service's UUID from then on."""
        if version_of(request) >= _UUID_IDS_SINCE:
            return _uuid(self._config.name, "nova-compute")
        return 1

    async def volume_services(self, request: web.Request) -> web.Response:
        """GET Cinder services."""
        service = {
            **self._service("cinder-volume", f"{self.host}@lvm", self.volume),
            "frozen": self.volume.frozen,
            "replication_status": "disabled",
            "active_backend_id": None,
            "cluster": None,
        }
        return web.json_response({"services": [service]})

    async def hypervisors(self, request: web.Request) -> web.Response:
        """GET the brief hypervisor list (`?hypervisor_hostname_pattern=` at 2.53+)."""
        return self._listed(request, self.hypervisor(request))

    async def hypervisors_detail(self, request: web.Request) -> web.Response:
        """GET the detailed hypervisor list."""
        return self._listed(request, self.hypervisor_detail(request))

    def _listed(self, request: web.Request, hypervisor: dict[str, Any]) -> web.Response:
        pattern = request.query.get("hypervisor_hostname_pattern")
        if pattern is not None and pattern not in self.host:
            raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
        return web.json_response({"hypervisors": [hypervisor]})

    def hypervisor_detail(self, request: web.Request) -> dict[str, Any]:
        """The pod's hypervisor in full, as Nova shows it at the request's microversion."""
        version = version_of(request)
        detail = {
            **self.hypervisor(request),
            "hypervisor_type": "QEMU",
            "hypervisor_version": 8002000,
            "host_ip": "127.0.0.1",
            "service": {
                "host": self.host,
                "id": self.compute_service_id(request),
                "disabled_reason": self.compute.disabled_reason,
            },
        }
        if version < _NO_RESOURCES_SINCE:
            detail.update(self.resources(version))
        return detail

    def hypervisor(self, request: web.Request) -> dict[str, Any]:
        """The pod's hypervisor in brief: id 1 before 2.53, a UUID from then on."""
        uuids = version_of(request) >= _UUID_IDS_SINCE
        hypervisor_id = _uuid(self._config.name, "hypervisor") if uuids else 1
        status = "disabled" if self.compute.disabled else "enabled"
        return {
            "id": hypervisor_id,
            "hypervisor_hostname": self.host,
            "state": "up",
            "status": status,
        }

    def resources(self, version: tuple[int, int]) -> dict[str, Any]:
        """The hypervisor's size and use, as Nova showed them before 2.88 (and in statistics)."""
        config = self._config
        servers = self._servers.every_record()
        sizes = [self._flavors.sizes(server["instance_type_id"]) for server in servers]
        vcpus_used = sum(vcpus for vcpus, _ in sizes)
        memory_used = sum(ram for _, ram in sizes)
        cpu_info: object = _CPU_INFO
        if version < _CPU_INFO_OBJECT_SINCE:
            cpu_info = json.dumps(_CPU_INFO)
        return {
            "vcpus": config.vcpus,
            "vcpus_used": vcpus_used,
            "memory_mb": config.memory_mb,
            "memory_mb_used": memory_used,
            "free_ram_mb": config.memory_mb - memory_used,
            "local_gb": config.local_gb,
            "local_gb_used": 0,
            "free_disk_gb": config.local_gb,
            "disk_available_least": config.local_gb,
            "running_vms": len(servers),
            "current_workload": 0,
            "cpu_info": cpu_info,
        }

    @property
    def host(self) -> str:
        """The pod's one compute and volume host, named after the pod."""
        return f"{self._config.name}-host"

    def _service(self, binary: str, host: str, state: ServiceState) -> dict[str, Any]:
        return {
            "binary": binary,
            "host": host,
            "zone": self._config.az,
            "status": "disabled" if state.disabled else "enabled",
            "state": "down" if state.forced_down else "up",
            "disabled_reason": state.disabled_reason,
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        }


def version_of(request: web.Request) -> tuple[int, int]:
    """The compute microversion the request was negotiated at."""
    headers = request.get("version_headers", {})
    return parse(headers.get("X-OpenStack-Nova-API-Version", "2.1")) or (2, 1)


def _uuid(pod: str, what: str) -> str:
    """A stable UUID for one of the pod's things (the same on every call)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"podsim/{pod}/{what}"))
