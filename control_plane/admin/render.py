"""How the admin CLI shows objects: rich tables for people, JSON for scripts."""

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podgate_api.admin.v1 import admin_pb2

if TYPE_CHECKING:  # envoy_health imports urllib.request, which only `podgate status` needs
    from control_plane.admin.envoy_health import ClusterHealth

__all__ = [
    "AUDIT",
    "BINDING",
    "POD",
    "ROUTING",
    "View",
    "print_done",
    "print_many",
    "print_one",
    "print_status",
]


@dataclass(frozen=True, slots=True)
class View:
    """How one kind of object is shown: labelled cells, and which of them a list table shows."""

    cells: Callable[[Any], dict[str, str]]
    listed: tuple[str, ...]


def print_one(as_json: bool, message: Message, view: View) -> None:
    """One object: JSON, or a two-column field/value table."""
    if as_json:
        _print_json(_as_dict(message))
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for label, value in view.cells(message).items():
        table.add_row(Text(label), Text(value))
    _console().print(table)


def print_many(as_json: bool, messages: Iterable[Message], view: View) -> None:
    """Several objects: a JSON array, or a table with one row each."""
    if as_json:
        _print_json([_as_dict(m) for m in messages])
        return
    table = Table(*view.listed)
    for message in messages:
        cells = view.cells(message)
        table.add_row(*(Text(cells[label]) for label in view.listed))
    _console().print(table)


def print_done(as_json: bool, reply: Message, text: str) -> None:
    """The result of a delete: `{}` for scripts, a sentence for people."""
    if as_json:
        _print_json(_as_dict(reply))
    else:
        print(text)


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _as_dict(message: Message) -> dict[str, Any]:
    """A proto as JSON data with the proto's own field names and every plain field present."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def _console() -> Console:
    """A console that never cuts lines when piped, so `grep` and `awk` see whole rows."""
    return Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 10_000)


def _time(message: Any, name: str) -> str:
    if not message.HasField(name):
        return ""
    return getattr(message, name).ToDatetime(tzinfo=UTC).isoformat(timespec="seconds")


POD = View(
    cells=lambda p: {
        "NAME": p.name,
        "AZ": p.az_name,
        "POD AZ": p.pod_az_name,
        "DC": p.dc_name,
        "STATE": admin_pb2.PodState.Name(p.state),
        "ENDPOINTS": _endpoints(p),
        "TLS": "INSECURE (certificates not checked)" if p.tls_insecure else "verified",
        "ID": p.id,
        "CREATED": _time(p, "created_at"),
        "UPDATED": _time(p, "updated_at"),
    },
    listed=("NAME", "AZ", "POD AZ", "DC", "STATE", "ENDPOINTS"),
)
BINDING = View(
    cells=lambda b: {
        "ID": b.id,
        "PROJECT": b.project_id,
        "AZ": b.az_name,
        "POD": b.pod_name,
        "ACTIVE": "yes" if b.active else "no",
        "CREATED": _time(b, "created_at"),
        "UPDATED": _time(b, "updated_at"),
    },
    listed=("ID", "PROJECT", "AZ", "POD", "ACTIVE", "CREATED"),
)
ROUTING = View(
    cells=lambda r: {
        "TYPE": r.resource_type,
        "ID": r.resource_id,
        "PROJECT": r.project_id,
        "POD": r.pod_name,
        "CREATED": _time(r, "created_at"),
        "UPDATED": _time(r, "updated_at"),
    },
    listed=("TYPE", "ID", "PROJECT", "POD", "CREATED"),
)


def _endpoints(pod: Any) -> str:
    """Configured endpoints, else the catalog's (marked), else a warning that none exist."""
    if pod.endpoints:
        return "\n".join(f"{k}={v}" for k, v in sorted(pod.endpoints.items()))
    if pod.catalog_endpoints:
        return "\n".join(f"{k}={v} (catalog)" for k, v in sorted(pod.catalog_endpoints.items()))
    return "no endpoint"


def print_status(
    as_json: bool,
    status: admin_pb2.Status,
    health: "Mapping[str, ClusterHealth] | None",
    envoy_admin: str,
) -> None:
    """`podgate status`: one table of pods, what shared objects a pod lacks, then whether each
    Envoy applied the current config."""
    if as_json:
        envoy = None if health is None else {k: asdict(v) for k, v in sorted(health.items())}
        _print_json({"status": _as_dict(status), "envoy_clusters": envoy})
        return
    table = Table("POD", "AZ", "STATE", "ENDPOINTS", "ENVOY HEALTH", "ROUTINGS")
    for entry in status.pods:
        pod = entry.pod
        table.add_row(
            Text(pod.name),
            Text(pod.az_name),
            Text(admin_pb2.PodState.Name(pod.state)),
            Text(_endpoints(pod)),
            Text(_health(pod, health)),
            Text(str(entry.routings)),
        )
    console = _console()
    console.print(table)
    for entry in status.pods:
        if entry.shared_drift:
            drift = "; ".join(entry.shared_drift)
            console.print(Text(f"Pod {entry.pod.name} lacks shared objects: {drift}"))
        for line in entry.pod_auth:
            console.print(Text(f"Pod {entry.pod.name} {line}"))
    if health is None:
        console.print(Text(f"Envoy admin {envoy_admin} unreachable: health unknown"))
    if not status.proxies:
        console.print(Text("No Envoy has connected to this control plane yet."))
    for proxy in status.proxies:
        console.print(Text(f"Envoy {proxy.node_id}: {_config_state(proxy)}"))


def _health(pod: Any, health: "Mapping[str, ClusterHealth] | None") -> str:
    if health is None:
        return "?"
    services = sorted({*pod.endpoints, *pod.catalog_endpoints})
    cells = []
    for service in services:
        cluster = health.get(f"pod.{pod.name}.{service}")
        state = "absent" if cluster is None else f"{cluster.healthy}/{cluster.total} healthy"
        cells.append(f"{service}: {state}")
    return "\n".join(cells) or "-"


def _config_state(proxy: admin_pb2.ProxyStatus) -> str:
    refused = [f"{c.type} NACK: {c.nack}" for c in proxy.configs if c.nack]
    behind = [c.type for c in proxy.configs if c.acked_version != c.current_version]
    if refused:
        return "; ".join(refused)
    if behind:
        return f"config not yet ACKed ({', '.join(behind)})"
    return (
        "current config ACKed ("
        + ", ".join(f"{c.type} {c.acked_version[:8]}" for c in proxy.configs)
        + ")"
    )


def change_summary(before: str, after: str) -> str:
    """What an audited change did, in one line: "created", "deleted" or "key: old -> new, ..."."""
    if not before:
        return "created"
    if not after:
        return "deleted"
    old, new = _flat(json.loads(before)), _flat(json.loads(after))
    keys = sorted((old.keys() | new.keys()) - {"updated_at"})
    changed = [k for k in keys if old.get(k) != new.get(k)]
    return ", ".join(f"{k}: {old.get(k, '')} -> {new.get(k, '')}" for k in changed) or "no change"


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested JSON objects as dotted keys (endpoints.compute) with string values."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


AUDIT = View(
    cells=lambda e: {
        "TIME": _time(e, "time"),
        "WHO": e.who,
        "FROM": e.peer,
        "ACTION": e.action,
        "TARGET": e.target,
        "CHANGE": change_summary(e.before, e.after),
    },
    listed=("TIME", "WHO", "FROM", "ACTION", "TARGET", "CHANGE"),
)
