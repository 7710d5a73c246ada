"""Nova and Cinder limits and quota sets: per-project limits, usage counted from the stores."""

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest
from podsim.flavors import Flavors
from podsim.handlers import json_body
from podsim.store import Store

# Nova's and Cinder's default quotas (nova.conf [quota], cinder.conf quota_*).
_NOVA_DEFAULTS = {
    "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
    "server_groups": 10, "server_group_members": 10, "injected_files": 5,
    "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
}  # fmt: skip
_CINDER_DEFAULTS = {
    "volumes": 10, "gigabytes": 1000, "snapshots": 10, "backups": 10, "backup_gigabytes": 1000,
    "per_volume_gigabytes": -1, "groups": 10,
}  # fmt: skip
# /limits `absolute`: limit name -> quota, and usage name -> quota (nova/api/openstack/compute/
# views/limits.py, cinder/api/views/limits.py).
_NOVA_LIMITS = {
    "maxTotalInstances": "instances", "maxTotalCores": "cores", "maxTotalRAMSize": "ram",
    "maxServerMeta": "metadata_items", "maxImageMeta": "metadata_items",
    "maxPersonality": "injected_files", "maxPersonalitySize": "injected_file_content_bytes",
    "maxTotalKeypairs": "key_pairs", "maxServerGroups": "server_groups",
    "maxServerGroupMembers": "server_group_members",
}  # fmt: skip
_NOVA_USED = {
    "totalInstancesUsed": "instances", "totalCoresUsed": "cores", "totalRAMUsed": "ram",
    "totalServerGroupsUsed": "server_groups",
}  # fmt: skip
_CINDER_LIMITS = {
    "maxTotalVolumes": "volumes", "maxTotalVolumeGigabytes": "gigabytes",
    "maxTotalSnapshots": "snapshots", "maxTotalBackups": "backups",
    "maxTotalBackupGigabytes": "backup_gigabytes",
}  # fmt: skip
_CINDER_USED = {
    "totalVolumesUsed": "volumes", "totalGigabytesUsed": "gigabytes",
    "totalSnapshotsUsed": "snapshots", "totalBackupsUsed": "backups",
    "totalBackupGigabytesUsed": "backup_gigabytes",
}  # fmt: skip

Usage = Callable[[str], Mapping[str, int]]


class Quotas:
    """One API's quota sets and limits; `usage` counts a project's use of each quota."""

    def __init__(
        self,
        prefix: str,
        defaults: Mapping[str, int],
        limits: Mapping[str, str],
        used: Mapping[str, str],
        usage: Usage,
    ) -> None:
        self._prefix = prefix
        self._defaults = defaults
        self._limits = limits
        self._used = used
        self._usage = usage
        self._set: dict[str, dict[str, int]] = {}

    def routes(self, *, detail: bool) -> list[web.RouteDef]:
        """Routes to add to the app; Nova has `/detail`, Cinder `?usage=True` instead."""
        base = f"{self._prefix}/{{project_id}}/os-quota-sets/{{target}}"
        routes = [
            web.get(f"{self._prefix}/{{project_id}}/limits", self.limits),
            web.get(base, self.show),
            web.put(base, self.update),
            web.delete(base, self.revert),
            web.get(f"{base}/defaults", self.defaults),
        ]
        return [*routes, web.get(f"{base}/detail", self.detail)] if detail else routes

    async def limits(self, request: web.Request) -> web.Response:
        """GET /limits: the caller's project's limits and usage."""
        project = request.match_info["project_id"]
        quotas, use = self._quotas(project), self._usage(project)
        absolute = {name: quotas[quota] for name, quota in self._limits.items()}
        absolute |= {name: use.get(quota, 0) for name, quota in self._used.items()}
        return web.json_response({"limits": {"rate": [], "absolute": absolute}})

    async def show(self, request: web.Request) -> web.Response:
        """GET a project's quota set (Cinder: with usage when `usage=True`)."""
        if request.query.get("usage", "").lower() == "true":
            return await self.detail(request)
        target = request.match_info["target"]
        return web.json_response({"quota_set": {"id": target, **self._quotas(target)}})

    async def detail(self, request: web.Request) -> web.Response:
        """GET with usage: each quota as limit, in_use and reserved."""
        target = request.match_info["target"]
        use = self._usage(target)
        shown: dict[str, Any] = {
            quota: {"limit": limit, "in_use": use.get(quota, 0), "reserved": 0}
            for quota, limit in self._quotas(target).items()
        }
        return web.json_response({"quota_set": {"id": target, **shown}})

    async def defaults(self, request: web.Request) -> web.Response:
        """GET the defaults."""
        target = request.match_info["target"]
        return web.json_response({"quota_set": {"id": target, **self._defaults}})

    async def update(self, request: web.Request) -> web.Response:
        """PUT (admin): new limits, each an integer of at least -1 (unlimited)."""
        body = await json_body(request)
        changes = body.get("quota_set") if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            raise BadRequest("'quota_set' is a required property")
        for quota, value in changes.items():
            if quota not in self._defaults:
                raise BadRequest(
                    f"Additional properties are not allowed ('{quota}' was unexpected)"
                )
            if not isinstance(value, int) or isinstance(value, bool) or value < -1:
                raise BadRequest(f"Invalid input for field/attribute {quota}. Value: {value}.")
        target = request.match_info["target"]
        self._set.setdefault(target, {}).update(changes)
        return web.json_response({"quota_set": self._quotas(target)})

    async def revert(self, request: web.Request) -> web.Response:
        """DELETE (admin): back to the defaults, 202."""
        self._set.pop(request.match_info["target"], None)
        return web.Response(status=202)

    def _quotas(self, project: str) -> dict[str, int]:
        return {**self._defaults, **self._set.get(project, {})}


def nova_quotas(servers: Store, flavors: Flavors) -> Quotas:
    """Nova's: instances, cores and RAM in use from the project's servers and their flavors."""

    def usage(project: str) -> dict[str, int]:
        records = servers.records(project)
        sizes = [flavors.sizes(record["instance_type_id"]) for record in records]
        return {
            "instances": len(records),
            "cores": sum(cores for cores, _ in sizes),
            "ram": sum(ram for _, ram in sizes),
        }

    return Quotas("/compute/v2.1", _NOVA_DEFAULTS, _NOVA_LIMITS, _NOVA_USED, usage)


def cinder_quotas(volumes: Store, snapshots: Store, backups: Store) -> Quotas:
    """Cinder's: gigabytes count volumes and snapshots, as Cinder reserves both."""

    def usage(project: str) -> dict[str, int]:
        vols, snaps, backs = (s.records(project) for s in (volumes, snapshots, backups))
        return {
            "volumes": len(vols),
            "snapshots": len(snaps),
            "backups": len(backs),
            "gigabytes": sum(v["size"] for v in vols) + sum(s["volume_size"] or 0 for s in snaps),
            "backup_gigabytes": sum(b.get("size") or 0 for b in backs),
        }

    return Quotas("/volume/v3", _CINDER_DEFAULTS, _CINDER_LIMITS, _CINDER_USED, usage)
