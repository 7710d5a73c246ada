"""Admin views of the pod's machinery: one nova-compute (and its hypervisor), one cinder-volume.

The hypervisor is as big as the pod's configuration says and its use is the servers the pod
holds (their flavors' vCPUs and RAM), so a gateway reading it sees the pod fill up.
"""

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.config import PodConfig
from podsim.flavors import Flavors
from podsim.store import Store
from podsim.versions import parse

# Microversion 2.88 dropped the hypervisor's resource numbers (placement has them instead).
_NO_RESOURCES_SINCE = (2, 88)
# cpu_info is a JSON string before 2.28, an object from then on.
_CPU_INFO_OBJECT_SINCE = (2, 28)
_CPU_INFO = {"arch": "x86_64", "model": "qemu64", "vendor": "AMD", "features": [], "topology": {}}


class Inventory:
    """Nova `os-services` and `os-hypervisors[/detail]`, Cinder `os-services`."""

    def __init__(self, config: PodConfig, servers: Store, flavors: Flavors) -> None:
        self._config = config
        self._servers = servers
        self._flavors = flavors

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
        """GET Nova services."""
        service = {**self._service("nova-compute", self._host), "id": 1, "forced_down": False}
        return web.json_response({"services": [service]})

    async def volume_services(self, request: web.Request) -> web.Response:
        """GET Cinder services."""
        service = {
            **self._service("cinder-volume", f"{self._host}@lvm"),
            "frozen": False,
            "replication_status": "disabled",
            "active_backend_id": None,
            "cluster": None,
        }
        return web.json_response({"services": [service]})

    async def hypervisors(self, request: web.Request) -> web.Response:
        """GET the brief hypervisor list."""
        return web.json_response({"hypervisors": [self._hypervisor()]})

    async def hypervisors_detail(self, request: web.Request) -> web.Response:
        """GET the detailed hypervisor list."""
        detail = {
            **self._hypervisor(),
            "hypervisor_type": "QEMU",
            "hypervisor_version": 8002000,
            "host_ip": "127.0.0.1",
            "service": {"host": self._host, "id": 1, "disabled_reason": None},
        }
        headers = request.get("version_headers", {})
        version = parse(headers.get("X-OpenStack-Nova-API-Version", "2.1")) or (2, 1)
        if version < _NO_RESOURCES_SINCE:
            detail.update(self._resources(version))
        return web.json_response({"hypervisors": [detail]})

    def _resources(self, version: tuple[int, int]) -> dict[str, Any]:
        """The hypervisor's size and use, as Nova showed them before 2.88."""
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
    def _host(self) -> str:
        return f"{self._config.name}-host"

    def _service(self, binary: str, host: str) -> dict[str, Any]:
        return {
            "binary": binary,
            "host": host,
            "zone": self._config.az,
            "status": "enabled",
            "state": "up",
            "disabled_reason": None,
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        }

    def _hypervisor(self) -> dict[str, Any]:
        return {"id": 1, "hypervisor_hostname": self._host, "state": "up", "status": "enabled"}
