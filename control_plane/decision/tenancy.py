"""How far a caller's lists reach: other projects' items for admins only, as the pods' policy
would have it (the pods may trust the gateway and check nothing). Pure."""

from dataclasses import replace
from urllib.parse import unquote

from control_plane.decision.operation import Kind, Operation
from control_plane.errors import Forbidden
from control_plane.identity.policy import Caller
from control_plane.model import Service

__all__ = [
    "ALL_TENANTS",
    "no_other_projects",
    "own_groups_only",
    "own_projects_only",
    "query_names",
]

ALL_TENANTS = "all_tenants"
_ALL_PROJECTS = "all_projects"
_ALL_TENANTS_POLICY = (
    "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed."
)
_EVERY_PROJECT = frozenset({ALL_TENANTS, _ALL_PROJECTS})
_NOAUTH_ALL = "Policy doesn't allow all_tenants to be performed."


def own_projects_only(op: Operation, caller: Caller) -> Operation:
    """Keep a non-admin's list to its own project, as the pods' policy would.

    Nova refuses `all_tenants` to non-admins (403); Cinder ignores it. The pods may trust the
    gateway's token (podsim checks none), so the gateway enforces this itself.
    """
    if caller.any_project or op.kind is not Kind.LIST:
        return op
    query = _without(op.query, ALL_TENANTS)
    if query == op.query:
        return op
    if op.service is Service.COMPUTE:
        raise Forbidden(_ALL_TENANTS_POLICY)
    return replace(op, query=query)


def own_groups_only(op: Operation, caller: Caller | None) -> Operation:
    """Nova lists every project's server groups (`all_projects`) to admins only and ignores
    the parameter for anyone else; the gateway drops it itself (noauth: nobody is an admin)."""
    if op.kind is not Kind.OFFSET_LIST or (caller is not None and caller.any_project):
        return op
    query = _without(op.query, _ALL_PROJECTS)
    return op if query == op.query else replace(op, query=query)


def no_other_projects(op: Operation) -> None:
    """Without Keystone nobody is known to be an admin: a list of every project is refused.

    Nova and Cinder keep `all_tenants` (and the `all_projects` some clients send) to admins;
    the pods may trust the gateway, so noauth mode refuses it (403) instead of passing it on.
    """
    if op.kind is not Kind.LIST:
        return
    if query_names(op.query) & _EVERY_PROJECT:
        raise Forbidden(_ALL_TENANTS_POLICY if op.service is Service.COMPUTE else _NOAUTH_ALL)


def query_names(query: str) -> set[str]:
    """The parameter names of a query string."""
    return {unquote(param.partition("=")[0]) for param in query.split("&") if param}


def _without(query: str, name: str) -> str:
    """`query` without the parameters called `name` (unchanged when it has none)."""
    params = [param for param in query.split("&") if param]
    kept = [param for param in params if unquote(param.partition("=")[0]) != name]
    return query if len(kept) == len(params) else "&".join(kept)
