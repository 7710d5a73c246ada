"""Nova and Cinder limits and quota sets: per-project limits, usage counted from the stores,
and creates over a limit refused as Nova (403) and Cinder (413 overLimit) refuse them.

A new limit below the usage is refused (400) as the APIs do: Nova unless `force`, Cinder always
(but never `per_volume_gigabytes` nor -1). Nova takes limits as integers or their strings.
"""

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, Fault
from podsim.flavors import Flavors
from podsim.handlers import json_body
from podsim.store import Store

_WHOLE = re.compile(r"-?[0-9]+")
_SERVERS = re.compile(r"/compute/v2\.1/(?P<project>[^/]+)/servers/?")
_VOLUMES = re.compile(r"/volume/v3/(?P<project>[^/]+)/volumes/?")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Forbidden(Fault):
    """Nova's refusal of a create over quota."""

    status = 403


class OverLimit(Fault):
    """Cinder's refusal of a create over quota (QuotaError: 413, `Retry-After: 0`)."""

    status = 413

    def body(self) -> dict[str, dict[str, object]]:
        return {"overLimit": {"message": self.message, "code": 413, "retryAfter": "0"}}


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
        *,
        forceable: bool,
    ) -> None:
        self._prefix = prefix
        self._defaults = dict(defaults)
        self._limits = limits
        self._used = used
        self._usage = usage
        self._forceable = forceable
        self._set: dict[str, dict[str, int]] = {}

    def over(self, project: str, wanted: Mapping[str, int]) -> tuple[str, int, int] | None:
        """The first quota `wanted` more would exceed: (name, limit, used), else None."""
        quotas, use = self._quotas(project), self._usage(project)
        for name, more in wanted.items():
            limit, used = quotas[name], use.get(name, 0)
            if more > 0 and limit != -1 and used + more > limit:
                return name, limit, used
        return None

    def routes(self, *, detail: bool) -> list[web.RouteDef]:
        """Routes to add to the app; Nova has `/detail`, Cinder `?usage=True` instead."""
        base = f"{self._prefix}/{{project_id}}/os-quota-sets/{{target}}"
        routes = [
            web.get(f"{self._prefix}/{{project_id}}/limits", self.limits),
            web.get(base, self.show),
            web.put(base, self.update),
            web.delete(base, self.revert),
            web.get(f"{base}/defaults", self.defaults),
            web.get(f"{self._prefix}/{{project_id}}/os-quota-class-sets/{{name}}", self.show_class),
            web.put(f"{self._prefix}/{{project_id}}/os-quota-class-sets/{{name}}", self.set_class),
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
        changes = dict(changes)
        force = str(changes.pop("force", "")).lower() == "true" and self._forceable
        target = request.match_info["target"]
        use = self._usage(target)
        limits: dict[str, int] = {}
        for quota, value in changes.items():
            limit = self._limit(quota, value)
            if not force and limit != -1 and limit < use.get(quota, 0):
                raise BadRequest(self._below(quota, limit, use[quota]))
            limits[quota] = limit
        self._set.setdefault(target, {}).update(limits)
        return web.json_response({"quota_set": self._quotas(target)})

    async def show_class(self, request: web.Request) -> web.Response:
        """GET a quota class: `default` holds the defaults (others have none of their own)."""
        name = request.match_info["name"]
        return web.json_response({"quota_class_set": {"id": name, **self._defaults}})

    async def set_class(self, request: web.Request) -> web.Response:
        """PUT (admin) a quota class: the `default` one's limits are every project's defaults."""
        body = await json_body(request)
        changes = body.get("quota_class_set") if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            raise BadRequest("'quota_class_set' is a required property")
        limits = {quota: self._limit(quota, value) for quota, value in changes.items()}
        if request.match_info["name"] == "default":
            self._defaults.update(limits)
        return web.json_response({"quota_class_set": dict(self._defaults)})

    def _limit(self, quota: str, value: object) -> int:
        """A new limit for `quota`: an integer of at least -1 (Nova: or its string)."""
        if quota not in self._defaults:
            raise BadRequest(f"Additional properties are not allowed ('{quota}' was unexpected)")
        limit = _whole(value, nova=self._forceable)
        if limit is None or limit < -1:
            raise BadRequest(f"Invalid input for field/attribute {quota}. Value: {value}.")
        return limit

    def _below(self, quota: str, limit: int, used: int) -> str:
        if self._forceable:
            return (
                f"Quota limit {limit} for {quota} must be greater than or equal to already "
                f"used and reserved {used}."
            )
        return (
            f"Quota {quota} limit must be equal or greater than existing resources. "
            f"Current usage is {used} and the requested limit is {limit}."
        )

    async def revert(self, request: web.Request) -> web.Response:
        """DELETE (admin): back to the defaults, 202."""
        self._set.pop(request.match_info["target"], None)
        return web.Response(status=202)

    def _quotas(self, project: str) -> dict[str, int]:
        return {**self._defaults, **self._set.get(project, {})}


def nova_quotas(
    servers: Store, flavors: Flavors, overrides: Mapping[str, int] | None = None
) -> Quotas:
    """Nova's: instances, cores and RAM in use from the project's servers and their flavors."""

    def usage(project: str) -> dict[str, int]:
        records = servers.records(project)
        sizes = [flavors.sizes(record["instance_type_id"]) for record in records]
        return {
            "instances": len(records),
            "cores": sum(cores for cores, _ in sizes),
            "ram": sum(ram for _, ram in sizes),
        }

    defaults = _overridden(_NOVA_DEFAULTS, overrides)
    return Quotas("/compute/v2.1", defaults, _NOVA_LIMITS, _NOVA_USED, usage, forceable=True)


def cinder_quotas(
    volumes: Store, snapshots: Store, backups: Store, overrides: Mapping[str, int] | None = None
) -> Quotas:
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

    defaults = _overridden(_CINDER_DEFAULTS, overrides)
    return Quotas("/volume/v3", defaults, _CINDER_LIMITS, _CINDER_USED, usage, forceable=False)


def _overridden(defaults: Mapping[str, int], overrides: Mapping[str, int] | None) -> dict:
    """The service's defaults with the pod's own values for the quotas it knows."""
    return {name: (overrides or {}).get(name, value) for name, value in defaults.items()}


def quota_checks(nova: Quotas, cinder: Quotas, flavors: Flavors) -> Callable[..., Any]:
    """Middleware refusing server and volume creates over the project's limits, before the
    create itself (a body it cannot read is left to the handler's validation)."""

    @web.middleware
    async def check(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.method == "POST":
            if match := _SERVERS.fullmatch(request.path):
                _check_server(nova, flavors, match["project"], await _document(request))
            elif match := _VOLUMES.fullmatch(request.path):
                _check_volume(cinder, match["project"], await _document(request))
        return await handler(request)

    return check


def _check_server(nova: Quotas, flavors: Flavors, project: str, body: dict[str, Any]) -> None:
    """nova/compute/api.py _check_num_instances_quota: TooManyInstances, a 403."""
    server = body.get("server")
    if not isinstance(server, dict):
        return
    count = server.get("min_count", 1)
    count = count if isinstance(count, int) and count > 0 else 1
    flavor = str(server.get("flavorRef") or "").rstrip("/").rsplit("/", 1)[-1]
    cores, ram = flavors.sizes(flavor)
    over = nova.over(project, {"instances": count, "cores": cores * count, "ram": ram * count})
    if over is not None:
        name, limit, used = over
        wanted = {"instances": count, "cores": cores * count, "ram": ram * count}[name]
        raise Forbidden(
            f"Quota exceeded for {name}: Requested {wanted}, but already used {used} of "
            f"{limit} {name}"
        )


def _check_volume(cinder: Quotas, project: str, body: dict[str, Any]) -> None:
    """cinder/quota_utils.py process_reserve_over_quota: 413 overLimit."""
    volume = body.get("volume")
    size = volume.get("size") if isinstance(volume, dict) else None
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return
    over = cinder.over(project, {"volumes": 1, "gigabytes": size})
    if over is None:
        return
    name, limit, used = over
    if name == "volumes":
        raise OverLimit(
            f"Maximum number of volumes allowed ({limit}) exceeded for quota 'volumes'."
        )
    raise OverLimit(
        "Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
        f"{size}G, quota is {limit}G and {used}G has been consumed."
    )


async def _document(request: web.Request) -> dict[str, Any]:
    try:
        document = json.loads(await request.read() or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _whole(value: object, *, nova: bool) -> int | None:
    """An integer (Nova also takes its string: `"5120"`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if nova and isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return None
