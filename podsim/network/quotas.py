"""Neutron's quotas (quotasv2, quota_details): limits per project, usage, OverQuota on create.

Defaults are neutron/conf/quota.py's; `-1` is unlimited. Showing another project's quotas and
changing any are admin-only (policy rules get_quota, update_quota, delete_quota).
"""

from typing import Any

from podsim.network.faults import NeutronFault, http_bad_request
from podsim.network.model import Caller, NetState

DEFAULTS = {
    "network": 100,
    "subnet": 100,
    "subnetpool": -1,
    "port": 500,
    "router": 10,
    "floatingip": 50,
    "security_group": 10,
    "security_group_rule": 100,
    "rbac_policy": 10,
}
# Quota resource -> the collection it counts.
_COUNTED = {
    "network": "networks",
    "subnet": "subnets",
    "port": "ports",
    "router": "routers",
    "floatingip": "floatingips",
    "security_group": "security_groups",
    "security_group_rule": "security_group_rules",
}
RESOURCE_OF = {collection: resource for resource, collection in _COUNTED.items()}


class Quotas:
    """The limits set per project (the rest are the defaults)."""

    def __init__(self) -> None:
        self._set: dict[str, dict[str, int]] = {}

    def limits(self, project_id: str) -> dict[str, int]:
        """The project's limits, every resource named."""
        return {**DEFAULTS, **self._set.get(project_id, {})}

    def details(self, state: NetState, project_id: str) -> dict[str, dict[str, int]]:
        """Limit, use and reservations of each resource."""
        return {
            resource: {"limit": limit, "used": _used(state, project_id, resource), "reserved": 0}
            for resource, limit in self.limits(project_id).items()
        }

    def listed(self) -> list[dict[str, Any]]:
        """`GET /quotas`: the projects with limits of their own."""
        return [{"project_id": p, **self.limits(p)} for p in sorted(self._set) if self._set[p]]

    def update(self, project_id: str, body: object) -> dict[str, int]:
        """`PUT /quotas/{project}` with `{"quota": {resource: limit}}`."""
        quota = body.get("quota") if isinstance(body, dict) else None
        if not isinstance(quota, dict):
            raise http_bad_request("Unable to find 'quota' in request body")
        unknown = sorted(set(quota) - set(DEFAULTS))
        if unknown:
            raise http_bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
        changed: dict[str, int] = {}
        for resource, value in quota.items():
            try:
                limit = int(value)
            except (TypeError, ValueError):
                limit = -2
            if limit < -1:
                raise http_bad_request(
                    f"Invalid input for {resource}. Reason: '{value}' should be an integer "
                    "greater than or equal to -1."
                )
            changed[resource] = limit
        self._set.setdefault(project_id, {}).update(changed)
        return self.limits(project_id)

    def reset(self, project_id: str) -> None:
        """`DELETE /quotas/{project}`: back to the defaults."""
        self._set.pop(project_id, None)

    def check(self, state: NetState, project_id: str, collection: str) -> None:
        """Refuse one more of `collection` for a project at its limit (409 OverQuota)."""
        resource = RESOURCE_OF.get(collection)
        if resource is None:
            return
        limit = self.limits(project_id)[resource]
        if 0 <= limit <= _used(state, project_id, resource):
            raise NeutronFault(409, "OverQuota", f"Quota exceeded for resources: ['{resource}'].")


def may_see(caller: Caller, project_id: str) -> None:
    """Only admins read other projects' quotas."""
    if not caller.admin and caller.project_id != project_id:
        raise NeutronFault(403, "PolicyNotAuthorized", "get_quota is disallowed by policy")


def may_change(caller: Caller, action: str) -> None:
    """Only admins change quotas."""
    if not caller.admin:
        raise NeutronFault(403, "PolicyNotAuthorized", f"{action}_quota is disallowed by policy")


def _used(state: NetState, project_id: str, resource: str) -> int:
    collection = _COUNTED.get(resource)
    return len(state.where(collection, project_id=project_id)) if collection else 0
