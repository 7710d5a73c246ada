"""Admin views of the pod's machinery: one nova-compute (and its hypervisor), one cinder-volume."""

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.config import PodConfig


class Inventory:
    """Nova `os-services` and `os-hypervisors[/detail]`, Cinder `os-services`."""

    def __init__(self, config: PodConfig) -> None:
        self._config = config

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
            "vcpus": 8,
            "memory_mb": 16384,
            "local_gb": 160,
            "service": {"host": self._host, "id": 1, "disabled_reason": None},
        }
        return web.json_response({"hypervisors": [detail]})

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
