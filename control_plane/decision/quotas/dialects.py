"""How Nova, Cinder and Neutron spell quotas: paths, document keys, usage fields, body extras.

Nova and Cinder: `os-quota-sets/{project}` (`/detail` with usage, Nova; `?usage=True`, Cinder),
`/defaults`, `os-quota-class-sets/{class}` and `limits` (`absolute`: `maxTotal*` limits,
`total*Used` usage). Neutron: `quotas/{project}` (`/details` with usage, `/default`). Nova
scopes a set to one user with `?user_id=`. Pure.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, urlencode

from control_plane.model import QuotaScope, Service

__all__ = ["DIALECTS", "Addressed", "Dialect", "QuotaPath", "addressed", "log_fields"]


class Addressed(StrEnum):
    """What a quota request names."""

    SET = "set"  # a project's (or user's) limits
    DETAIL = "detail"  # the same with usage
    DEFAULTS = "defaults"  # the defaults (the pods' configuration)
    CLASS = "class"  # a quota class (the pods' configuration)
    LIMITS = "limits"  # the caller's (or `tenant_id`'s) absolute limits and usage


@dataclass(frozen=True, slots=True)
class QuotaPath:
    """A quota request's target: the project (and Nova user) whose limits it reads or sets."""

    addressed: Addressed
    project_id: str
    user_id: str = ""


@dataclass(frozen=True, slots=True)
class Dialect:
    """One API's quota vocabulary."""

    service: Service
    # The document's top key: `{"quota_set": {...}}` or `{"quota": {...}}`.
    key: str
    # The fields of a detail entry that count usage (summed over pods; their sum is the usage).
    used: tuple[str, ...]
    # Further detail fields summed over pods but not counted (Cinder's `allocated`).
    summed: tuple[str, ...]
    # Limits every pod gets whole: one object's bound, or objects every pod holds a copy of.
    per_pod: frozenset[str]
    # Body keys that are not quotas.
    extras: frozenset[str]
    # `limits` absolute: limit name -> the quota it shows.
    limit_names: Mapping[str, str]
    # Whether a limit below usage is refused (400) without `force` (Nova) or always (Cinder).
    checks_usage: bool
    forceable: bool

    def detail_request(self, project_id: str, user_id: str) -> tuple[str, str]:
        """The remainder and query reading a project's limits with usage."""
        user = {"user_id": user_id} if user_id else {}
        if self.service is Service.NETWORK:
            return f"/v2.0/quotas/{project_id}/details", ""
        if self.service is Service.VOLUME:
            return f"/os-quota-sets/{project_id}", urlencode({"usage": "True"})
        return f"/os-quota-sets/{project_id}/detail", urlencode(user)

    def set_request(self, project_id: str, user_id: str) -> tuple[str, str]:
        """The remainder and query setting a project's (user's) limits."""
        if self.service is Service.NETWORK:
            return f"/v2.0/quotas/{project_id}", ""
        return f"/os-quota-sets/{project_id}", urlencode({"user_id": user_id} if user_id else {})

    def below_usage(self, resource: str, limit: int, used: int) -> str:
        """The API's 400 message for a limit below what is in use."""
        if self.service is Service.VOLUME:
            return (
                f"Quota {resource} limit must be equal or greater than existing resources. "
                f"Current usage is {used} and the requested limit is {limit}."
            )
        return (
            f"Quota limit {limit} for {resource} must be greater than or equal to already "
            f"used and reserved {used}."
        )


_NOVA_PER_POD = frozenset(
    {"metadata_items", "injected_files", "injected_file_content_bytes",
     "injected_file_path_bytes", "key_pairs", "server_group_members"}
)  # fmt: skip
_NOVA_LIMITS = {
    "maxTotalInstances": "instances", "maxTotalCores": "cores", "maxTotalRAMSize": "ram",
    "maxServerMeta": "metadata_items", "maxImageMeta": "metadata_items",
    "maxPersonality": "injected_files", "maxPersonalitySize": "injected_file_content_bytes",
    "maxTotalKeypairs": "key_pairs", "maxServerGroups": "server_groups",
    "maxServerGroupMembers": "server_group_members", "maxTotalFloatingIps": "floating_ips",
    "maxSecurityGroups": "security_groups", "maxSecurityGroupRules": "security_group_rules",
}  # fmt: skip
_CINDER_LIMITS = {
    "maxTotalVolumes": "volumes", "maxTotalVolumeGigabytes": "gigabytes",
    "maxTotalSnapshots": "snapshots", "maxTotalBackups": "backups",
    "maxTotalBackupGigabytes": "backup_gigabytes",
}  # fmt: skip

DIALECTS: Mapping[Service, Dialect] = {
    Service.COMPUTE: Dialect(
        Service.COMPUTE, "quota_set", ("in_use", "reserved"), (), _NOVA_PER_POD,
        frozenset({"force"}), _NOVA_LIMITS, checks_usage=True, forceable=True,
    ),
    Service.VOLUME: Dialect(
        Service.VOLUME, "quota_set", ("in_use", "reserved"), ("allocated",),
        frozenset({"per_volume_gigabytes"}), frozenset({"id", "tenant_id"}), _CINDER_LIMITS,
        checks_usage=True, forceable=False,
    ),
    # Security groups and their rules are copied into every pod (decision/security_groups/).
    Service.NETWORK: Dialect(
        Service.NETWORK, "quota", ("used", "reserved"), (),
        frozenset({"security_group", "security_group_rule"}), frozenset({"check_limit"}), {},
        checks_usage=False, forceable=False,
    ),
}  # fmt: skip

# oslo's bool_from_string, as Cinder reads `usage`.
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_TAILS = {
    "": Addressed.SET,
    "detail": Addressed.DETAIL,
    "details": Addressed.DETAIL,
    "defaults": Addressed.DEFAULTS,
    "default": Addressed.DEFAULTS,
}


def addressed(service: Service, remainder: str, query: str, caller_project: str) -> QuotaPath:
    """What a quota route's request names (classify admitted its path already)."""
    segments = [segment for segment in remainder.split("/") if segment]
    if service is Service.NETWORK:
        segments = segments[1:]
    params = parse_qs(query)
    user_id = params.get("user_id", [""])[0] if service is Service.COMPUTE else ""
    if segments[0] == "limits":
        return QuotaPath(Addressed.LIMITS, params.get("tenant_id", [caller_project])[0])
    if segments[0] == "os-quota-class-sets":
        return QuotaPath(Addressed.CLASS, segments[1])
    what = _TAILS[segments[2] if len(segments) > 2 else ""]
    if what is Addressed.SET and params.get("usage", [""])[0].lower() in _TRUE:
        what = Addressed.DETAIL
    return QuotaPath(what, segments[1], user_id)


def log_fields(scope: QuotaScope) -> dict[str, str]:
    """A scope as structured log fields."""
    return {"service": str(scope.service), "project": scope.project_id, "user": scope.user_id}
