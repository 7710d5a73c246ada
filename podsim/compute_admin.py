"""Nova's admin views beyond the lists: one hypervisor shown, its statistics, uptime and
servers; service actions; hosts; usage; the audit log; migrations; quota classes.

The pod has one compute host (Inventory's); what an admin changes (a disabled service) lives
until the process ends. Shapes as Nova answers them, errors as Nova words
the ones Tempest's admin tests meet.
"""

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.aggregates import Conflict
from podsim.config import PodConfig
from podsim.faults import BadRequest, NotFound
from podsim.flavors import Flavors
from podsim.inventory import Inventory, version_of
from podsim.store import Store

# Usage is paged by servers from 2.40.
_USAGE_PAGED_SINCE = (2, 40)
_NOW = "%Y-%m-%dT%H:%M:%S.%f"


class ComputeAdmin:
    """The routes below `/compute/v2.1/{project}` an admin uses on the pod's machinery."""

    def __init__(
        self, config: PodConfig, inventory: Inventory, servers: Store, flavors: Flavors
    ) -> None:
        self._config = config
        self._inventory = inventory
        self._servers = servers
        self._flavors = flavors

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        at = "/compute/v2.1/{project_id}"
        hypervisor = f"{at}/os-hypervisors"
        return [
            web.get(f"{hypervisor}/statistics", self.statistics),
            web.get(f"{hypervisor}/{{pattern}}/search", self.search),
            web.get(f"{hypervisor}/{{pattern}}/servers", self.hypervisor_servers),
            web.get(f"{hypervisor}/{{hypervisor_id}}/uptime", self.uptime),
            web.get(f"{hypervisor}/{{hypervisor_id}}", self.hypervisor),
            web.put(f"{at}/os-services/{{action}}", self.update_service),
            web.delete(f"{at}/os-services/{{service_id}}", self.delete_service),
            web.get(f"{at}/os-hosts", self.hosts),
            web.get(f"{at}/os-hosts/{{host}}", self.host),
            web.put(f"{at}/os-hosts/{{host}}", self.update_host),
            web.get(f"{at}/os-simple-tenant-usage", self.usages),
            web.get(f"{at}/os-simple-tenant-usage/{{tenant}}", self.usage),
            web.get(f"{at}/os-instance_usage_audit_log", self.audit_logs),
            web.get(f"{at}/os-instance_usage_audit_log/{{before}}", self.audit_log),
            web.get(f"{at}/os-migrations", self.migrations),
        ]

    # --- hypervisors
    async def hypervisor(self, request: web.Request) -> web.Response:
        """GET one hypervisor by its id (1, or its UUID from 2.53)."""
        detail = self._hypervisor_named(request)
        return web.json_response({"hypervisor": detail})

    async def uptime(self, request: web.Request) -> web.Response:
        """GET a hypervisor's uptime."""
        detail = self._hypervisor_named(request)
        brief = {key: detail[key] for key in ("id", "hypervisor_hostname", "state", "status")}
        uptime = " 08:32:11 up 93 days, 18:25, 12 users,  load average: 0.20, 0.12, 0.14"
        return web.json_response({"hypervisor": {**brief, "uptime": uptime}})

    async def statistics(self, request: web.Request) -> web.Response:
        """GET the hypervisors' statistics (one hypervisor here)."""
        resources = self._inventory.resources(version_of(request))
        del resources["cpu_info"]
        return web.json_response({"hypervisor_statistics": {"count": 1, **resources}})

    async def search(self, request: web.Request) -> web.Response:
        """GET the hypervisors whose host name contains the pattern."""
        return web.json_response({"hypervisors": [self._matching(request)]})

    async def hypervisor_servers(self, request: web.Request) -> web.Response:
        """GET the matching hypervisors with the servers they run."""
        hypervisor = self._matching(request)
        servers = [
            {"uuid": record["uuid"], "name": record["display_name"]}
            for record in self._servers.every_record()
        ]
        return web.json_response({"hypervisors": [{**hypervisor, **_if_any("servers", servers)}]})

    def _hypervisor_named(self, request: web.Request) -> dict[str, Any]:
        detail = self._inventory.hypervisor_detail(request)
        wanted = request.match_info["hypervisor_id"]
        if wanted != str(detail["id"]):
            raise NotFound(f"Hypervisor with ID {wanted} could not be found.")
        return detail

    def _matching(self, request: web.Request) -> dict[str, Any]:
        pattern = request.match_info["pattern"]
        if pattern not in self._inventory.host:
            raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
        return self._inventory.hypervisor(request)

    # --- services
    async def update_service(self, request: web.Request) -> web.Response:
        """PUT a service action: enable, disable, disable-log-reason, force-down (by host and
        binary, before 2.53) or an update of the service its UUID names (2.53+)."""
        body = await _json(request)
        action = request.match_info["action"]
        state = self._inventory.compute
        service = self._inventory.compute_service(request)
        if action in ("enable", "disable", "disable-log-reason", "force-down"):
            if (body.get("host"), body.get("binary")) != (service["host"], "nova-compute"):
                raise NotFound("Host '{}' is not found.".format(body.get("host")))
            if action == "force-down":
                state.forced_down = bool(body.get("forced_down"))
                keys = ("host", "binary", "forced_down")
                return web.json_response({"service": {**_pick(body, keys)}})
            if action == "disable-log-reason" and not body.get("disabled_reason"):
                raise BadRequest("Missing disabled reason field")
            state.disabled = action != "enable"
            state.disabled_reason = body.get("disabled_reason") if state.disabled else None
            shown = {"host": service["host"], "binary": "nova-compute",
                     "status": "disabled" if state.disabled else "enabled"}  # fmt: skip
            if action == "disable-log-reason":
                shown["disabled_reason"] = state.disabled_reason
            return web.json_response({"service": shown})
        if action != str(service["id"]):
            raise NotFound(f"Service {action} could not be found.")
        if "status" in body:
            state.disabled = body["status"] == "disabled"
            state.disabled_reason = body.get("disabled_reason") if state.disabled else None
        if "forced_down" in body:
            state.forced_down = bool(body["forced_down"])
        return web.json_response({"service": self._inventory.compute_service(request)})

    async def delete_service(self, request: web.Request) -> web.Response:
        """DELETE a service (the pod's only compute service is refused: it hosts servers)."""
        wanted = request.match_info["service_id"]
        if wanted != str(self._inventory.compute_service(request)["id"]):
            raise NotFound(f"Service {wanted} could not be found.")
        raise Conflict("Unable to delete compute service that is hosting instances.")

    # --- hosts
    async def hosts(self, request: web.Request) -> web.Response:
        """GET the hosts, `?zone=` filtering them."""
        host = {"host_name": self._inventory.host, "service": "compute", "zone": self._config.az}
        zone = request.query.get("zone")
        return web.json_response({"hosts": [host] if zone in (None, self._config.az) else []})

    async def host(self, request: web.Request) -> web.Response:
        """GET one host's resources: total, used now, used at most."""
        name = self._named_host(request)
        resources = self._inventory.resources(version_of(request))
        used = {"cpu": resources["vcpus_used"], "memory_mb": resources["memory_mb_used"],
                "disk_gb": resources["local_gb_used"]}  # fmt: skip
        total = {"cpu": resources["vcpus"], "memory_mb": resources["memory_mb"],
                 "disk_gb": resources["local_gb"]}  # fmt: skip
        rows = [("(total)", total), ("(used_now)", used), ("(used_max)", used)]
        listed = [{"resource": {"host": name, "project": p, **r}} for p, r in rows]
        return web.json_response({"host": listed})

    async def update_host(self, request: web.Request) -> web.Response:
        """PUT a host's status (enable, disable)."""
        name = self._named_host(request)
        status = (await _json(request)).get("status")
        if status not in ("enable", "disable"):
            raise BadRequest(f"Invalid status: '{status}'")
        self._inventory.compute.disabled = status == "disable"
        return web.json_response({"host": name, "status": f"{status}d"})

    def _named_host(self, request: web.Request) -> str:
        name = request.match_info["host"]
        if name != self._inventory.host:
            raise NotFound(f"Compute host {name} could not be found.")
        return name

    # --- usage, audit log, migrations
    async def usages(self, request: web.Request) -> web.Response:
        """GET every project's usage (`detailed=1`: each server's; 2.40: `limit` servers
        after `marker`)."""
        detailed = request.query.get("detailed") == "1"
        records = _paged(request, self._servers.every_record())
        projects = list(dict.fromkeys(record["project_id"] for record in records))
        return web.json_response({
            "tenant_usages": [
                self._usage(request, [r for r in records if r["project_id"] == project], detailed)
                for project in projects
            ]
        })  # fmt: skip

    async def usage(self, request: web.Request) -> web.Response:
        """GET one project's usage ({} when it had no server here)."""
        records = _paged(request, self._servers.records(request.match_info["tenant"]))
        if not records:
            return web.json_response({"tenant_usage": {}})
        return web.json_response({"tenant_usage": self._usage(request, records, True)})

    def _usage(
        self, request: web.Request, records: list[dict[str, Any]], detailed: bool
    ) -> dict[str, Any]:
        project = records[0]["project_id"]
        servers = [self._server_usage(record) for record in records]
        hours = sum(server["hours"] for server in servers)
        usage = {
            "tenant_id": project,
            "total_hours": hours,
            "total_local_gb_usage": 0.0,
            "total_memory_mb_usage": sum(s["memory_mb"] * s["hours"] for s in servers),
            "total_vcpus_usage": sum(s["vcpus"] * s["hours"] for s in servers),
            "start": request.query.get("start", _now()),
            "stop": request.query.get("end", _now()),
        }
        return {**usage, "server_usages": servers} if detailed else usage

    def _server_usage(self, record: dict[str, Any]) -> dict[str, Any]:
        vcpus, ram = self._flavors.sizes(record["instance_type_id"])
        return {
            "instance_id": record["uuid"], "name": record["display_name"], "hours": 1.0,
            "memory_mb": ram, "local_gb": 0, "vcpus": vcpus, "tenant_id": record["project_id"],
            "flavor": str(record["instance_type_id"]), "started_at": str(record["created_at"]),
            "ended_at": None, "state": "active", "uptime": 3600,
        }  # fmt: skip

    async def audit_logs(self, request: web.Request) -> web.Response:
        """GET the audit of the last period."""
        return web.json_response({"instance_usage_audit_logs": self._audit()})

    async def audit_log(self, request: web.Request) -> web.Response:
        """GET the audit of the period before a time."""
        return web.json_response({"instance_usage_audit_log": self._audit()})

    def _audit(self) -> dict[str, Any]:
        return {
            "hosts_not_run": [self._inventory.host], "log": {}, "num_hosts": 1,
            "num_hosts_done": 0, "num_hosts_not_run": 1, "num_hosts_running": 0,
            "overall_status": "0 of 1 hosts done. 0 errors.",
            "period_beginning": "2026-11-01 00:00:00", "period_ending": "2026-12-01 00:00:00",
            "total_errors": 0, "total_instances": 0,
        }  # fmt: skip

    async def migrations(self, request: web.Request) -> web.Response:
        """GET the migrations (none: servers here never move)."""
        return web.json_response({"migrations": []})

    # --- quota classes


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise BadRequest("Malformed request body") from exc
    if not isinstance(body, dict):
        raise BadRequest("Malformed request body")
    return body


def _paged(request: web.Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Servers in creation order, after `marker` (a server's UUID; 400 if none), at most
    `limit`, as Nova pages usage from 2.40."""
    ordered = sorted(records, key=lambda record: (str(record["created_at"]), record["uuid"]))
    if version_of(request) < _USAGE_PAGED_SINCE:
        return ordered
    marker = request.query.get("marker")
    if marker is not None:
        uuids = [record["uuid"] for record in ordered]
        if marker not in uuids:
            raise BadRequest(f"Marker {marker} could not be found.")
        ordered = ordered[uuids.index(marker) + 1 :]
    limit = request.query.get("limit")
    return ordered[: int(limit)] if limit and limit.isdigit() else ordered


def _pick(body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: body.get(key) for key in keys}


def _if_any(key: str, items: list[Any]) -> dict[str, Any]:
    """Nova leaves `servers` out of a hypervisor running none."""
    return {key: items} if items else {}


def _now() -> str:
    return datetime.now(UTC).strftime(_NOW)
