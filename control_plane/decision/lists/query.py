"""A list request's query as the pods will read it: page size, marker and the sort order.

The sort spec is completed exactly as the pods complete it (Nova's and Cinder's
`process_sort_params`: `created_at`, then the id, in the FIRST direction given), so every pod's
page comes back in the gateway's order, and each sort key is mapped to the field of a detail
item that shows its value, so the gateway can compare items of different pods.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from control_plane.errors import BadRequest
from control_plane.model import Pod, PodState, Service

__all__ = [
    "TIME_KEYS",
    "ListQuery",
    "Params",
    "SortKey",
    "SortOrder",
    "parse_query",
    "pod_query",
    "pods_to_ask",
]

ASC, DESC = "asc", "desc"
_PAGING = frozenset({"limit", "marker"})
_AZ = "availability_zone"
_INVALID = "Invalid input received: "

# nova/api/openstack/compute/schemas/servers.py SERVER_LIST_IGNORE_SORT_KEY: Nova accepts these,
# then drops them together with their direction, so the pods never sort by them.
_NOVA_IGNORED_SORT_KEYS = frozenset(
    {"architecture", "cell_name", "cleaned", "default_ephemeral_device", "default_swap_device",
     "deleted", "deleted_at", "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id",
     "key_data", "launched_on", "memory_mb", "os_type", "reservation_id", "root_gb",
     "shutdown_terminate", "user_data", "vcpus", "vm_mode"}
)  # fmt: skip
# Nova's DB columns → the field of a server in `/servers/detail` holding the same value.
_NOVA_FIELDS = {
    "access_ip_v4": "accessIPv4",
    "access_ip_v6": "accessIPv6",
    "availability_zone": "OS-EXT-AZ:availability_zone",
    "created_at": "created",
    "display_description": "description",
    "display_name": "name",
    "host": "OS-EXT-SRV-ATTR:host",
    "hostname": "OS-EXT-SRV-ATTR:hostname",
    "kernel_id": "OS-EXT-SRV-ATTR:kernel_id",
    "launch_index": "OS-EXT-SRV-ATTR:launch_index",
    "launched_at": "OS-SRV-USG:launched_at",
    "node": "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "power_state": "OS-EXT-STS:power_state",
    "project_id": "tenant_id",
    "ramdisk_id": "OS-EXT-SRV-ATTR:ramdisk_id",
    "root_device_name": "OS-EXT-SRV-ATTR:root_device_name",
    "task_state": "OS-EXT-STS:task_state",
    "terminated_at": "OS-SRV-USG:terminated_at",
    "updated_at": "updated",
    "uuid": "id",
    "vm_state": "OS-EXT-STS:vm_state",
}
# Cinder's DB columns → the field of a volume in `/volumes/detail`.
_CINDER_FIELDS = {
    "display_description": "description",
    "display_name": "name",
    "name": "name",
    "project_id": "os-vol-tenant-attr:tenant_id",
}
_FIELDS = {Service.COMPUTE: _NOVA_FIELDS, Service.VOLUME: _CINDER_FIELDS}
_DEFAULT_KEYS = {Service.COMPUTE: ("created_at", "uuid"), Service.VOLUME: ("created_at", "id")}
TIME_KEYS = frozenset({"created_at", "updated_at", "launched_at", "terminated_at"})


@dataclass(frozen=True, slots=True)
class SortOrder:
    """Response fields compared most significant first, each descending or not."""

    fields: tuple[str, ...]
    descending: tuple[bool, ...]
    times: tuple[bool, ...]

    def key(self, item: Mapping[str, object]) -> "SortKey":
        """The comparable sort values of one (detail) item."""
        values = tuple(
            _time(item.get(field)) if time else item.get(field)
            for field, time in zip(self.fields, self.times, strict=True)
        )
        return SortKey(values, self.descending)


class SortKey:
    """Sort values that compare in the order's directions; None sorts first when ascending."""

    __slots__ = ("descending", "values")

    def __init__(self, values: tuple[object, ...], descending: tuple[bool, ...]) -> None:
        self.values = values
        self.descending = descending

    def __lt__(self, other: "SortKey") -> bool:
        for mine, theirs, descending in zip(
            self.values, other.values, self.descending, strict=True
        ):
            result = _compare(mine, theirs)
            if result:
                return result > 0 if descending else result < 0
        return False

    def __repr__(self) -> str:
        return f"SortKey({self.values!r})"


Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request's query string, validated: page size, marker, order and pass-through."""

    # The client's parameters but limit and marker (the cursor's key, the next link's query).
    params: Params
    # The page size; None: every item at once (Neutron without a limit).
    limit: int | None
    limit_param: str | None
    marker: str | None
    # The order the pods are read and merged in.
    order: SortOrder
    availability_zone: str | None
    # What every pod is asked besides its own limit, marker and AZ name.
    pod_params: Params
    # The merged page is shown in the opposite order (Neutron's page_reverse).
    reverse: bool = False
    # Only these fields are shown (None: all of them).
    fields: tuple[str, ...] | None = None
    # The whole query as the client sent it, in its order (Neutron's links are made from it).
    sent: Params = ()


def parse_query(service: Service, query: str, *, max_limit: int) -> ListQuery:
    """Validate a list's query string the way the pods will read it; BadRequest otherwise."""
    params = parse_qsl(query, keep_blank_values=True)
    pick = _last if service is Service.COMPUTE else _first
    raw_limit = pick(params, "limit")
    kept = tuple((key, value) for key, value in params if key not in _PAGING)
    return ListQuery(
        params=kept,
        limit=_limit(raw_limit, max_limit),
        limit_param=raw_limit,
        marker=pick(params, "marker"),
        order=_order(service, params),
        availability_zone=pick(params, _AZ) or None,
        pod_params=kept,
        sent=tuple(params),
    )


def pods_to_ask(pods: Iterable[Pod], service: Service, availability_zone: str | None) -> list[Pod]:
    """Pods that can hold the listed resources: not disabled, with the service, in the AZ."""
    return sorted(
        (
            pod
            for pod in pods
            if pod.state != PodState.DISABLED
            and pod.serves(service)
            and (availability_zone is None or pod.az_name == availability_zone)
        ),
        key=lambda pod: pod.name,
    )


def pod_query(query: ListQuery, *, pod_az_name: str, limit: int | None, marker: str | None) -> str:
    """The query string for one pod: its own AZ name, its own page size (None: all) and marker."""
    params = [(key, value) for key, value in query.pod_params if key != _AZ]
    if query.availability_zone is not None and pod_az_name:
        params.append((_AZ, pod_az_name))
    if limit is not None:
        params.append(("limit", str(limit)))
    if marker is not None:
        params.append(("marker", marker))
    return urlencode(params)


def _order(service: Service, params: Sequence[tuple[str, str]]) -> SortOrder:
    if service is Service.COMPUTE:
        keys, dirs = _nova_sort(params)
    else:
        keys, dirs = _cinder_sort(params)
    keys, dirs = _resolve(keys, dirs, _DEFAULT_KEYS[service])
    fields = _FIELDS[service]
    return SortOrder(
        fields=tuple(fields.get(key, key) for key in keys),
        descending=tuple(direction == DESC for direction in dirs),
        times=tuple(key in TIME_KEYS for key in keys),
    )


def _nova_sort(params: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Repeated sort_key/sort_dir, without the keys Nova ignores (and their directions)."""
    keys = [value for key, value in params if key == "sort_key"]
    dirs = [value for key, value in params if key == "sort_dir"]
    kept_keys: list[str] = []
    kept_dirs: list[str] = []
    for index, key in enumerate(keys):
        if key in _NOVA_IGNORED_SORT_KEYS:
            continue
        kept_keys.append(key)
        if index < len(dirs):
            kept_dirs.append(dirs[index])
    kept_dirs.extend(dirs[len(keys) :])
    return kept_keys, kept_dirs


def _cinder_sort(params: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """cinder/api/common.py get_sort_params: `sort=key[:dir],...` or legacy sort_key/sort_dir."""
    sort = _first(params, "sort")
    if sort:
        keys: list[str] = []
        dirs: list[str] = []
        for part in sort.strip().split(","):
            key, _, direction = part.partition(":")
            keys.append(key.strip())
            dirs.append(direction.strip() or DESC)
    else:
        keys = [_first(params, "sort_key") or "created_at"]
        dirs = [_first(params, "sort_dir") or DESC]
    return ["display_name" if key == "name" else key for key in keys], dirs


def _resolve(
    keys: Sequence[str], dirs: Sequence[str], default_keys: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Nova's and Cinder's db process_sort_params: defaults appended in the first direction."""
    if any(direction not in (ASC, DESC) for direction in dirs):
        raise BadRequest(f"{_INVALID}Unknown sort direction, must be 'desc' or 'asc'")
    if len(dirs) > len(keys):
        raise BadRequest(f"{_INVALID}Sort direction size exceeds sort key size")
    fill = dirs[0] if dirs else DESC
    result_keys = list(keys)
    result_dirs = [*dirs, *([fill] * (len(keys) - len(dirs)))]
    for key in default_keys:
        if key not in result_keys:
            result_keys.append(key)
            result_dirs.append(fill)
    return result_keys, result_dirs


def _limit(raw: str | None, max_limit: int) -> int:
    """Nova's and Cinder's limit: a non-negative integer, at most `max_limit` (the default)."""
    if raw is None:
        return max_limit
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    return min(limit, max_limit)


def _first(params: Sequence[tuple[str, str]], name: str) -> str | None:
    """Cinder reads the first of repeated parameters."""
    return next((value for key, value in params if key == name), None)


def _last(params: Sequence[tuple[str, str]], name: str) -> str | None:
    """Nova reads the last of repeated parameters."""
    return next((value for key, value in reversed(params) if key == name), None)


def _time(value: object) -> object:
    """ISO 8601 text as an aware UTC datetime, so pods' differing formats still compare."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _compare(left: object, right: object) -> int:
    """-1, 0 or 1; None first, and values of different types by their text (never an error)."""
    if left == right:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    try:
        return -1 if left < right else 1  # type: ignore[operator]
    except TypeError:
        mine, theirs = (str(left), type(left).__name__), (str(right), type(right).__name__)
        return -1 if mine < theirs else 1
