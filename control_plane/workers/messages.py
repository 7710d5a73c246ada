"""What a worker tells the main process over the link, as compact JSON (pure).

The main process answers with store changes in PostgreSQL NOTIFY's own payloads
(control_plane.store.changes.encode), so one format describes a change wherever it travels.
"""

import json
from dataclasses import dataclass

from control_plane.model import ResourceType, Routing
from control_plane.store.changes import Change, ChangeKind

__all__ = ["LINK_METHOD", "LINK_TOKEN_METADATA", "Hello", "Report", "decode", "encode"]

# The link's one gRPC method; raw bytes both ways, no generated code.
LINK_METHOD = "/podgate.internal.v1.Workers/Follow"
# gRPC metadata carrying the secret the main process gave its workers at start.
LINK_TOKEN_METADATA = "x-podgate-link-token"

_Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Hello:
    """A worker's first message: where its decision service listens."""

    host: str
    port: int
    pid: int


@dataclass(frozen=True, slots=True)
class Report:
    """Fast-path events since the last report (routed/routing_table.py: FastPath), and the
    store changes the worker's own writes committed (say, a binding), for the other processes'
    caches."""

    added: tuple[Routing, ...] = ()
    deleted: tuple[_Key, ...] = ()
    forgotten: tuple[_Key, ...] = ()
    changes: tuple[Change, ...] = ()


def encode(message: Hello | Report) -> bytes:
    if isinstance(message, Hello):
        doc: dict[str, object] = {"hello": [message.host, message.port, message.pid]}
    else:
        doc = {
            "add": [
                [str(r.resource_type), r.resource_id, r.project_id, r.pod_name]
                for r in message.added
            ],
            "del": [list(key) for key in message.deleted],
            "fgt": [list(key) for key in message.forgotten],
            "chg": [[c.kind.value, c.resource_type, c.resource_id] for c in message.changes],
        }
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(raw: bytes) -> Hello | Report | None:
    """The message, or None for anything malformed (a worker of another version)."""
    try:
        doc = json.loads(raw)
        if "hello" in doc:
            host, port, pid = doc["hello"]
            return Hello(str(host), int(port), int(pid))
        added = tuple(
            Routing(
                resource_type=ResourceType(kind),
                resource_id=str(resource_id),
                project_id=str(project_id),
                pod_name=str(pod_name),
            )
            for kind, resource_id, project_id, pod_name in doc.get("add", ())
        )
        changes = tuple(
            Change(ChangeKind(kind), str(resource_type), str(resource_id))
            for kind, resource_type, resource_id in doc.get("chg", ())
        )
        return Report(added, _keys(doc.get("del", ())), _keys(doc.get("fgt", ())), changes)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _keys(raw: list[list[str]]) -> tuple[_Key, ...]:
    return tuple((ResourceType(kind).value, str(resource_id)) for kind, resource_id in raw)
