"""How the admin CLI shows objects: rich tables for people, JSON for scripts."""

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podgate.admin.v1 import admin_pb2

__all__ = ["BINDING", "POD", "ROUTING", "View", "print_done", "print_many", "print_one"]


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
