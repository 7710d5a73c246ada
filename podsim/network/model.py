"""The pod's Neutron state, who is calling, and what differs between resource kinds."""

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from podsim.network.faults import NeutronFault, http_bad_request

Record = dict[str, Any]
# The attributes every Neutron resource shows besides its own.
COMMON = frozenset(
    {"id", "project_id", "tenant_id", "created_at", "updated_at", "revision_number",
     "description", "tags"}
)  # fmt: skip
_ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """The request's context: a project (None without Keystone) and whether it is admin.

    podsim checks no token. Keystone's middleware would send `X-Project-Id` and `X-Roles`; with
    neither, Neutron runs as with `auth_strategy = noauth`: an admin context without a project.
    """

    project_id: str | None
    admin: bool

    def owns(self, record: Record) -> bool:
        """The record is the caller's own (or the caller may act on any)."""
        return self.admin or record.get("project_id") == self.project_id


def caller_of(headers: Mapping[str, str]) -> Caller:
    """The caller of a request, from the headers keystonemiddleware would set."""
    project = headers.get("X-Project-Id") or headers.get("X-Tenant-Id")
    roles = {role.strip().lower() for role in headers.get("X-Roles", "").split(",")}
    return Caller(project or None, admin=project is None or _ADMIN_ROLE in roles)


def project_of(caller: Caller, attrs: Record) -> str:
    """The project of a new resource, as neutron_lib AttributeInfo.populate_project_id does."""
    if "tenant_id" in attrs and "project_id" not in attrs:
        attrs["project_id"] = attrs["tenant_id"]
    elif "project_id" in attrs and "tenant_id" not in attrs:
        attrs["tenant_id"] = attrs["project_id"]
    if attrs.get("project_id") != attrs.get("tenant_id"):
        raise http_bad_request("'project_id' and 'tenant_id' do not match")
    asked = attrs.pop("project_id", None)
    attrs.pop("tenant_id", None)
    if asked is not None and not caller.admin and asked != caller.project_id:
        raise http_bad_request(
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
            "in request requires admin privileges"
        )
    project = asked if asked is not None else caller.project_id
    if not project:
        raise http_bad_request(
            "Running without keystone AuthN requires that project_id is specified"
        )
    return str(project)


class NetState:
    """Every Neutron record of the pod, by collection and id; the pod's availability zone."""

    def __init__(self, az: str) -> None:
        self.az = az
        self._tables: dict[str, dict[str, Record]] = {}
        # The id the next record of a collection takes (podsim.test_hooks' x-podsim-created-id).
        self._given_ids: dict[str, str] = {}

    def give_id(self, collection: str, resource_id: str | None) -> None:
        """Let the next record of `collection` take `resource_id` (None: forget any given)."""
        if resource_id is None:
            self._given_ids.pop(collection, None)
        else:
            self._given_ids[collection] = resource_id

    def checkpoint(self) -> dict[str, dict[str, Record]]:
        """A copy of every record, to restore when a bulk create fails part-way."""
        return copy.deepcopy(self._tables)

    def restore(self, tables: dict[str, dict[str, Record]]) -> None:
        """Every record as `checkpoint` saw it (a bulk create is all or nothing)."""
        self._tables = tables

    def table(self, collection: str) -> dict[str, Record]:
        """The records of one collection by id (live: add and remove through it)."""
        return self._tables.setdefault(collection, {})

    def where(self, collection: str, **equal: object) -> list[Record]:
        """The records of a collection whose fields equal the given values."""
        return [
            record
            for record in self.table(collection).values()
            if all(record.get(key) == value for key, value in equal.items())
        ]

    def add(self, collection: str, project_id: str, fields: Record) -> Record:
        """A new record with Neutron's common attributes, stored."""
        now = timestamp()
        record: Record = {
            "id": self._given_ids.pop(collection, None) or str(uuid.uuid4()),
            "project_id": project_id,
            "tenant_id": project_id,
            "description": "",
            "tags": [],
            "created_at": now,
            "updated_at": now,
            "revision_number": 0,
            **fields,
        }
        self.table(collection)[record["id"]] = record
        return record


def touch(record: Record) -> None:
    """An update happened: new `updated_at`, next `revision_number`."""
    record["updated_at"] = timestamp()
    record["revision_number"] += 1


def timestamp() -> str:
    """Neutron's timestamps: whole seconds, `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(record: Record) -> dict[str, Any]:
    """The record as shown: every key but the private (`_`) ones, lists copied."""
    return {
        key: list(value) if isinstance(value, list) else value
        for key, value in record.items()
        if not key.startswith("_")
    }


Create = Callable[[NetState, Caller, str, Record], Record]
Update = Callable[[NetState, Caller, Record, Record], None]
Delete = Callable[[NetState, Caller, Record], None]
Filter = Callable[[Record, Sequence[str]], bool]


def _plain_update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    record.update(attrs)
    touch(record)


def _seen_by_owner(state: NetState, caller: Caller, record: Record) -> bool:
    return caller.owns(record)


@dataclass(frozen=True, slots=True)
class NetKind:
    """One Neutron collection: its names, its attributes and its pure API functions.

    `strict_marker`: an unknown marker is the kind's 404 (neutron's get_marker_obj, used for
    networks, ports and routers); else it is ignored and the list starts at the top (the OVO
    Pager of subnets, floating IPs and security groups).
    """

    collection: str
    member: str
    not_found: Callable[[str], NeutronFault]
    strict_marker: bool
    attributes: frozenset[str]
    sort_keys: frozenset[str]
    create_keys: frozenset[str]
    update_keys: frozenset[str]
    create: Create
    delete: Delete
    update: Update = _plain_update
    visible: Callable[[NetState, Caller, Record], bool] = _seen_by_owner
    view: Callable[[NetState, Record], dict[str, Any]] = lambda state, record: public(record)
    filters: Mapping[str, Filter] = field(default_factory=dict)
    # Called before a list by a caller with a project, and before a create, with the project
    # (the default security group's creation).
    prepare: Callable[[NetState, str], object] | None = None


def names(text: str) -> frozenset[str]:
    """Attribute names written as one space-separated string."""
    return frozenset(text.split())
