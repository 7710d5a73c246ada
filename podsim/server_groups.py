"""Nova server groups: a policy and the pod's servers whose create named the group.

Members are the project's servers alive now whose `os:scheduler_hints.group` named the group
(Nova shows members not deleted). Views follow the microversion: `policies` and an empty
`metadata` before 2.64, `policy` and `rules` from it, `project_id` and `user_id` from 2.13.
Lists are cut by `offset` and `limit` (Nova's `common.limited`), in creation order.
"""

import uuid
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import ANONYMOUS_USER, json_body
from podsim.kind import MAX_LIMIT
from podsim.store import Record, Store

__all__ = ["ServerGroups", "hinted_group"]

_BASE = "/compute/v2.1/{project_id}/os-server-groups"
_POLICY_OBJECT = (2, 64)
_OWNER_SHOWN = (2, 13)
_SOFT_POLICIES = (2, 15)
_POLICIES = ("affinity", "anti-affinity")
_SOFT = ("soft-affinity", "soft-anti-affinity")
_HINTS = ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints")


def hinted_group(body: object) -> str | None:
    """The server group a server create's scheduler hints name, if any."""
    if not isinstance(body, dict):
        return None
    for key in _HINTS:
        hints = body.get(key)
        if isinstance(hints, dict) and isinstance(hints.get("group"), str):
            return hints["group"]
    return None


class ServerGroups:
    """Server groups by project, their members read from the pod's servers."""

    def __init__(self, servers: Store) -> None:
        self._servers = servers
        self._groups = Store()
        self._created = 0

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(f"{_BASE}/{{group_id}}", self.show),
            web.delete(f"{_BASE}/{{group_id}}", self.delete),
        ]

    async def index(self, request: web.Request) -> web.Response:
        """GET: the project's groups (every project's with `all_projects`), offset-paged."""
        project_id = request.match_info["project_id"]
        every = "all_projects" in request.query
        records = self._groups.every_record() if every else self._groups.records(project_id)
        records.sort(key=lambda record: record["order"])
        offset, limit = _int_param(request, "offset"), _int_param(request, "limit")
        page = records[offset : offset + (limit or MAX_LIMIT)]
        return web.json_response({"server_groups": [self._view(request, g) for g in page]})

    async def create(self, request: web.Request) -> web.Response:
        """POST: a new group (200, as Nova answers)."""
        body = await json_body(request)
        group = body.get("server_group") if isinstance(body, dict) else None
        if not isinstance(group, dict):
            raise BadRequest("Invalid input for field/attribute server_group.")
        name = group.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Invalid input for field/attribute name.")
        version = _version(request)
        policy = _policy(group, version)
        rules = group.get("rules", {}) if version >= _POLICY_OBJECT else {}
        if not isinstance(rules, dict):
            raise BadRequest("Invalid input for field/attribute rules.")
        project_id = request.match_info["project_id"]
        self._created += 1
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "policy": policy,
            "rules": dict(rules),
            "project_id": project_id,
            "user_id": request.headers.get("X-User-Id", ANONYMOUS_USER),
            "order": self._created,
        }
        self._groups.add(project_id, record["id"], record)
        return web.json_response({"server_group": self._view(request, record)})

    async def show(self, request: web.Request) -> web.Response:
        """GET one group."""
        return web.json_response({"server_group": self._view(request, self._get(request))})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: 204."""
        record = self._get(request)
        self._groups.remove(record["project_id"], record["id"])
        return web.Response(status=204)

    def _get(self, request: web.Request) -> Record:
        group_id = request.match_info["group_id"]
        record = self._groups.get(request.match_info["project_id"], group_id)
        if record is None:
            raise NotFound(f"Instance group {group_id} could not be found.")
        return record

    def _view(self, request: web.Request, record: Record) -> dict[str, Any]:
        version = _version(request)
        members = [
            server["uuid"]
            for server in self._servers.records(record["project_id"])
            if server.get("server_group") == record["id"]
        ]
        view: dict[str, Any] = {"id": record["id"], "name": record["name"]}
        if version >= _POLICY_OBJECT:
            view |= {"policy": record["policy"], "rules": record["rules"]}
        else:
            view |= {"policies": [record["policy"]], "metadata": {}}
        view["members"] = members
        if version >= _OWNER_SHOWN:
            view |= {"project_id": record["project_id"], "user_id": record["user_id"]}
        return view


def _policy(group: dict[str, Any], version: tuple[int, int]) -> str:
    """The one policy asked for: `policy` from 2.64, else a one-item `policies` list."""
    allowed = _POLICIES + (_SOFT if version >= _SOFT_POLICIES else ())
    if version >= _POLICY_OBJECT:
        policy = group.get("policy")
    else:
        policies = group.get("policies")
        policy = policies[0] if isinstance(policies, list) and len(policies) == 1 else None
    if policy not in allowed:
        field = "policy" if version >= _POLICY_OBJECT else "policies"
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {policy}.")
    return str(policy)


def _version(request: web.Request) -> tuple[int, int]:
    text = request.get("version_headers", {}).get("X-OpenStack-Nova-API-Version", "2.1")
    major, _, minor = text.partition(".")
    return int(major), int(minor)


def _int_param(request: web.Request, name: str) -> int:
    """A non-negative whole `name` from the query (0 when absent); Nova's 400 otherwise."""
    values = request.query.getall(name, [])
    if not values:
        return 0
    value = values[-1]
    if not value.isdigit():
        raise BadRequest(
            f"Invalid input for query parameters {name}. Value: {value}. "
            f"'{value}' does not match '^[0-9]*$'"
        )
    return int(value)
