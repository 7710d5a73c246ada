"""The pods' policy for their admin views, applied by the gateway before it asks any pod.

Nova and Cinder keep their machinery (services, hypervisors, hosts, aggregates, pools, ...)
to admins. The gateway answers some of these requests itself (a zone's detail, an id naming
no pod) and may face pods that trust it, so it refuses a non-admin first, with the fault the
pod would give: 403 `{"forbidden": {"message": "Policy doesn't allow <rule> to be performed.",
"code": 403}}`. Without Keystone nobody is known to be an admin or not: the pods judge.
"""

from control_plane.decision.operation import Operation
from control_plane.errors import Forbidden
from control_plane.identity.policy import Caller
from control_plane.model import Service

__all__ = ["admin_only"]

# Collection (the path segment after the project) -> the pod's policy rule prefix.
_ADMIN_ONLY = {
    Service.COMPUTE: {
        "os-services": "os_compute_api:os-services",
        "os-hypervisors": "os_compute_api:os-hypervisors",
        "os-hosts": "os_compute_api:os-hosts",
        "os-aggregates": "os_compute_api:os-aggregates",
        "os-simple-tenant-usage": "os_compute_api:os-simple-tenant-usage",
        "os-instance_usage_audit_log": "os_compute_api:os-instance-usage-audit-log",
        "os-migrations": "os_compute_api:os-migrations",
        "os-quota-class-sets": "os_compute_api:os-quota-class-sets",
        "os-availability-zone": "os_compute_api:os-availability-zone",
    },
    Service.VOLUME: {
        "os-services": "volume_extension:services",
        "os-hosts": "volume_extension:hosts",
        "scheduler-stats": "scheduler_extension:scheduler_stats",
        "capabilities": "volume_extension:capabilities",
        "clusters": "clusters",
        "workers": "workers",
        "os-quota-class-sets": "volume_extension:quota_classes",
        "default-types": "volume_extension:default",
        "manageable_volumes": "volume_extension:list_manageable",
        "manageable_snapshots": "volume_extension:list_manageable",
    },
}
# What each method does, as the rules' suffixes name it.
_ACTIONS = {"POST": "create", "PUT": "update", "DELETE": "delete"}
# Reads the pods' rules name after their path's last segment.
_NAMED_READS = frozenset({"detail", "statistics", "uptime", "search", "servers", "get_pools"})


def admin_only(op: Operation, method: str, caller: Caller | None) -> None:
    """Forbidden unless the caller may see the pods' machinery `op` names.

    Open to everyone: the zone list (not its `/detail`), and a project's own usage.
    """
    segments = [segment for segment in op.remainder.split("/") if segment]
    if caller is None or caller.any_project or not segments:
        return
    head, below = segments[0], segments[1:]
    prefix = _ADMIN_ONLY.get(op.service, {}).get(head)
    if prefix is None:
        return
    if head == "os-availability-zone" and below != ["detail"]:
        return
    if head == "os-simple-tenant-usage" and below == [caller.project_id]:
        return
    raise Forbidden(f"Policy doesn't allow {prefix}:{_action(method, below)} to be performed.")


def _action(method: str, below: list[str]) -> str:
    """The rule's last word, as the pods name theirs (`list`, `detail`, `statistics`, `show`)."""
    if method != "GET":
        return _ACTIONS.get(method, method.lower())
    if not below:
        return "list"
    return below[-1] if below[-1] in _NAMED_READS else "show"
