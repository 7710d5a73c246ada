"""Admin views of the pods' machinery combined: services, hypervisors, hosts, aggregates,
migrations, pools, usage and audit logs, as one cloud's Nova or Cinder would show them.

Items keep the names the pods give (hosts, `host@backend#pool`), so an admin tells the pods
apart by their hosts; integer ids are made unique per pod (ids.py) and each pod's own zone
name shows as the one users see. Nothing is added: Nova's and Cinder's schemas are strict.
Pure: the relay (relay.py) asks the pods.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from control_plane.decision.views.ids import IdMap
from control_plane.model import Pod

__all__ = ["counts", "in_pod_zone", "inventory", "shown", "usage"]

# Keys naming an availability zone, in services, hosts and aggregates.
_ZONE_KEYS = ("zone", "zone_name", "availability_zone")
# A project's usage totals, summed over the pods.
_USAGE_TOTALS = ("total_hours", "total_local_gb_usage", "total_memory_mb_usage",
                 "total_vcpus_usage")  # fmt: skip
_AUDIT_STATUS = "overall_status"


def shown(pod: Pod, document: Any, ids: IdMap) -> Any:
    """One pod's answer as the gateway shows it: ids unique, the pod's zone renamed."""
    return _renamed(ids.shown(pod.name, document), pod)


def in_pod_zone(body: Mapping[str, Any], pod: Pod) -> dict[str, Any] | None:
    """An aggregate's create, update or metadata naming the zone users know the pod by, with
    the pod's own name for it (as servers' zones are translated); None when nothing changes."""
    if not pod.pod_az_name or pod.pod_az_name == pod.az_name:
        return None
    changed = False

    def renamed(value: Any) -> Any:
        nonlocal changed
        if not isinstance(value, dict):
            return value
        if value.get("availability_zone") == pod.az_name:
            changed = True
            value = {**value, "availability_zone": pod.pod_az_name}
        return {key: renamed(item) for key, item in value.items()}

    result = renamed(dict(body))
    return result if changed else None


def inventory(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several pods' answers (already `shown`) in one: lists joined, anything else the first's.

    Paging links are dropped: the joined list is whole.
    """
    merged: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            if key.endswith("_links"):
                continue
            if isinstance(value, list) and isinstance(merged.get(key, []), list):
                merged[key] = [*merged.get(key, []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def usage(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`os-simple-tenant-usage` from every pod: one entry per project, totals summed and
    servers (`detailed=1`) listed; a project's own `{tenant}` usage likewise."""
    lists = [document["tenant_usages"] for document in documents if "tenant_usages" in document]
    if lists or not documents:
        by_project: dict[str, dict[str, Any]] = {}
        for entries in lists:
            for entry in entries:
                if isinstance(entry, dict):
                    project = str(entry.get("tenant_id"))
                    by_project[project] = _usage_sum(by_project.get(project), entry)
        return {"tenant_usages": list(by_project.values())}
    total: dict[str, Any] | None = None
    for document in documents:
        entry = document.get("tenant_usage")
        if isinstance(entry, dict) and entry:
            total = _usage_sum(total, entry)
    return {"tenant_usage": total or {}}


def counts(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Hypervisor statistics, `os-instance_usage_audit_log[/{before}]`: every pod's numbers
    summed, hosts and logs joined, an audit's overall status said again as Nova words it."""
    merged: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            merged[key] = _sum(merged[key], value) if key in merged else value
    return {key: _restated(value) for key, value in merged.items()}


def _sum(left: Any, right: Any) -> Any:
    if isinstance(left, dict) and isinstance(right, dict):
        both = {**right, **left}
        return {k: _sum(left[k], right[k]) if k in left and k in right else both[k]
                for k in both}  # fmt: skip
    if isinstance(left, list) and isinstance(right, list):
        return [*left, *right]
    if _is_number(left) and _is_number(right):
        return left + right
    return left


def _restated(log: Any) -> Any:
    """Nova's `overall_status` for the summed counts (nova/api/.../instance_usage_audit_log)."""
    if not isinstance(log, dict) or _AUDIT_STATUS not in log:
        return log
    done, hosts, errors = (log.get(k, 0) for k in ("num_hosts_done", "num_hosts", "total_errors"))
    if done == hosts:
        status = f"ALL hosts done. {errors} errors."
    else:
        status = f"{done} of {hosts} hosts done. {errors} errors."
    return {**log, _AUDIT_STATUS: status}


def _usage_sum(total: dict[str, Any] | None, entry: Mapping[str, Any]) -> dict[str, Any]:
    if total is None:
        return dict(entry)
    summed = dict(total)
    for key in _USAGE_TOTALS:
        if _is_number(entry.get(key)):
            summed[key] = summed.get(key, 0) + entry[key]
    if isinstance(entry.get("server_usages"), list):
        summed["server_usages"] = [*summed.get("server_usages", []), *entry["server_usages"]]
    return summed


def _renamed(value: Any, pod: Pod) -> Any:
    """The pod's own zone name, wherever an item shows it, as users know the zone."""
    if isinstance(value, list):
        return [_renamed(item, pod) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {key: _renamed(item, pod) for key, item in value.items()}
    for key in _ZONE_KEYS:
        if pod.pod_az_name and renamed.get(key) == pod.pod_az_name:
            renamed[key] = pod.az_name
    return renamed


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
