"""What the gateway does with one request, from the operation and the facts gathered for it.

Pure: the adapter (exchange.py) gathers the facts (a routing, the bindings, the caller, ...)
and carries the decision out. A request the gateway refuses raises the PodgateError it answers
with (faults carry headers only the adapter knows: request id, microversion, `Allow`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from control_plane.decision.create.follow import Followed, beside, followed, in_zone, shared_pod
from control_plane.decision.create.schedule import schedule
from control_plane.decision.decisions import (
    AcrossPods,
    Answer,
    Decision,
    Facts,
    ListPage,
    Mode,
    NeedBody,
    Placed,
    Reference,
    Route,
    Target,
)
from control_plane.decision.families import PROJECT_ID, Placement
from control_plane.decision.family_index import placement
from control_plane.decision.lists.present import origin
from control_plane.decision.mutate import parse_create, pod_body
from control_plane.decision.operation import Kind, Operation, ResourceOperation, is_detail
from control_plane.decision.pod_choice import (
    first_usable,
    in_preference_order,
    owned,
    target,
    usable,
)
from control_plane.decision.relink import relinks
from control_plane.decision.resources import PROJECT_FROM_TOKEN, SPECS
from control_plane.decision.routed.attach import referenced
from control_plane.decision.routed.named import named
from control_plane.decision.security_groups.copies import own_ids
from control_plane.decision.tenancy import (
    ALL_TENANTS,
    no_other_projects,
    own_groups_only,
    own_projects_only,
    query_names,
)
from control_plane.decision.versions.documents import document
from control_plane.decision.views.policy import admin_only
from control_plane.decision.views.zones import zones_body
from control_plane.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)
from control_plane.identity.policy import Caller, authorize
from control_plane.model import Service

__all__ = [
    "BodyNeeds",
    "admit",
    "body_needs",
    "decide",
    "identity_headers",
    "names_resource",
    "on_behalf",
    "with_project",
]

_UNKNOWN_MESSAGE = "The resource could not be found."
_BAD_METHOD_MESSAGE = "The method specified is not allowed for this resource."
_NO_BODY = "The request body is missing."
_PROJECT_HEADER, _ROLES_HEADER = "x-project-id", "x-roles"
_PROJECT_SCOPE = "The network API needs a project-scoped token."
_NOAUTH_PROJECT = "Without Keystone the X-Project-Id header must name the project."
# Creates made from another resource: it must be known, nothing is scheduled.
_FROM_SOURCE = frozenset({Placement.SOURCE_VOLUME, Placement.GROUP})
# Nova's security group proxy, whose `all_tenants` list an admin gets from every pod.
_GROUPS = "os-security-groups"


def with_project(
    op: Operation, caller: Caller | None, headers: Mapping[str, str], noauth_project: str = ""
) -> Operation:
    """A request whose path names no project, with its project: the token's (noauth:
    `X-Project-Id`, else `noauth_project`, for clients that cannot send the header).

    Neutron's pods get the same identity (`identity_headers`): a noauth client's project as
    found here, a token's project and roles as keystonemiddleware would set them. Nova's and
    Cinder's get the project in their path (endpoints.pod_path).
    """
    if not op.token_project or op.kind in (Kind.UNKNOWN, Kind.VERSIONS):
        return op
    noauth = headers.get(_PROJECT_HEADER) or noauth_project
    project = caller.project_id if caller is not None else noauth
    if not PROJECT_ID.fullmatch(project):
        if caller is not None:
            raise Forbidden(_PROJECT_SCOPE)
        raise Unauthorized(_NOAUTH_PROJECT)
    return replace(op, project_id=project)


def identity_headers(op: Operation, caller: Caller | None) -> dict[str, str]:
    """The caller's identity as a project-less API's pods read it (none for other APIs)."""
    if op.service not in PROJECT_FROM_TOKEN or not op.project_id:
        return {}
    if caller is None:
        return {_PROJECT_HEADER: op.project_id}
    return {_PROJECT_HEADER: caller.project_id, _ROLES_HEADER: ",".join(sorted(caller.roles))}


def on_behalf(op: Operation, body: bytes, caller: Caller | None) -> Operation:
    """A network resource an admin creates for another project (`project_id` or `tenant_id` in
    the body, as Tempest's isolated networks are made) is that project's: its binding places
    it, its routing names it. Anyone else's such body goes on unchanged, for the pod to refuse.
    """
    if op.service not in PROJECT_FROM_TOKEN or op.kind is not Kind.CREATE:
        return op
    if caller is not None and not caller.any_project:
        return op
    if not isinstance(op, ResourceOperation):
        return op
    try:
        create = parse_create(op.resource_type, body)
    except BadRequest:
        return op
    # A bulk create's items are all one project's, or the pod judges them as the caller's.
    owners = {
        item.resource.get("project_id") or item.resource.get("tenant_id") for item in create.items
    }
    owner = owners.pop() if len(owners) == 1 else None
    if not isinstance(owner, str) or not PROJECT_ID.fullmatch(owner):
        return op
    return replace(op, project_id=owner)


def admit(op: Operation, caller: Caller | None) -> Operation:
    """The operation as the caller (None: noauth) may make it; refused before any lookup.

    Unknown paths are a 404, another project's URL or every project's list a 403, a method
    the path lacks a 405 (after the token: a stranger learns nothing about paths).
    """
    if op.kind is Kind.UNKNOWN:
        raise NotFound(_UNKNOWN_MESSAGE)
    if op.project_id and caller is not None:
        authorize(caller, op.project_id)
        op = own_projects_only(op, caller)
    elif op.project_id:
        no_other_projects(op)
    if op.kind is Kind.BAD_METHOD:
        raise MethodNotAllowed(_BAD_METHOD_MESSAGE)
    return own_groups_only(op, caller)


def decide(op: Operation, facts: Facts) -> Decision:
    """What to do with an admitted request, given the facts gathered for it."""
    match op:
        case ResourceOperation(kind=Kind.ROUTED | Kind.ATTACH | Kind.ACCEPT):
            return _to_owner(op, facts)
        case ResourceOperation(kind=Kind.NAMED):
            return _to_named(op, facts)
        case ResourceOperation(kind=Kind.CREATE):
            return _create(op, facts)
        case ResourceOperation(kind=Kind.LIST):
            path = facts.path.partition("?")[0]
            detail = is_detail(op)
            headers = _to_pods(facts)
            collection = op.remainder.strip("/").split("/")[-2 if detail else -1]
            return ListPage(
                op.resource_type, op.project_id, path, op.query, detail, headers, collection
            )
        case Operation(kind=Kind.VERSIONS) if facts.window is not None:
            return Answer(*document(op.service, op.remainder, origin(facts.headers), facts.window))
        case Operation(kind=Kind.ZONES):
            admin_only(op, facts.method, facts.caller)
            return Answer(200, zones_body(op.service, facts.pods.values()))
        case Operation(kind=Kind.HOME):
            return _home(op, facts)
        case Operation(kind=Kind.SHARED | Kind.VIEWS | Kind.COPIES | Kind.ANY_POD):
            admin_only(op, facts.method, facts.caller)
            if facts.body is None and facts.method not in ("GET", "DELETE"):
                if not facts.end_of_stream:
                    return NeedBody(Mode.BODY)
            return AcrossPods(op.kind, _to_pods(facts), facts.body or b"")
        case Operation(kind=Kind.OFFSET_LIST):
            return AcrossPods(op.kind, _to_pods(facts), b"")
        case Operation(kind=Kind.EVENTS):
            if facts.body is not None:
                return AcrossPods(op.kind, _to_pods(facts), facts.body)
            if facts.end_of_stream:
                raise BadRequest(_NO_BODY)
            return NeedBody(Mode.BODY)
    raise ValueError(f"no decision for {op.kind} with {facts}")


def _to_pods(facts: Facts) -> dict[str, str]:
    """The headers the gateway's own pod calls carry: the client's, at the negotiated version."""
    return {**facts.headers, **facts.rewrite}


@dataclass(frozen=True, slots=True)
class BodyNeeds:
    """What a body makes the decision depend on: the routings of the resources it names, and
    whether the project's bindings matter (a create that may be scheduled)."""

    references: tuple[Reference, ...] = ()
    bindings: bool = False
    # Security groups the create names, each pod to get its own copy's id.
    groups: tuple[str, ...] = ()
    # The volume type a volume create names, each pod to get its own copy's id.
    volume_types: tuple[str, ...] = ()


def body_needs(op: Operation, body: bytes) -> BodyNeeds:
    """The facts to gather once `body` came; BadRequest for a create body no pod may get."""
    if not isinstance(op, ResourceOperation):
        return BodyNeeds()
    if op.kind is Kind.NAMED:
        reference = named(op, "POST", body)
        return BodyNeeds((reference,) if reference else ())
    if op.kind is Kind.ATTACH:
        reference = referenced(op.resource_type, body)
        return BodyNeeds((reference,) if reference else ())
    if op.kind is not Kind.CREATE:
        return BodyNeeds()
    create = parse_create(op.resource_type, body)
    scheduled = placement(op.resource_type) not in _FROM_SOURCE
    types = (create.volume_type,) if create.volume_type else ()
    return BodyNeeds(create.references, scheduled, create.groups, types)


def _to_owner(op: ResourceOperation, facts: Facts) -> Decision:
    """To the pod that owns the resource; an attach first waits for its body to be checked."""
    # Neutron (Nova's proxy too) shows other projects' shared and external networks: its pods
    # judge who sees what. A transfer is accepted by another project: the pod judges its key.
    anyone = SPECS[op.resource_type].service in PROJECT_FROM_TOKEN or op.kind is Kind.ACCEPT
    admin = anyone or (facts.caller is not None and facts.caller.any_project)
    destination = owned(op, facts.routing, facts.pods, facts.unhealthy, any_project=admin)
    if facts.body is not None:
        _same_pod(op, facts, destination)
        return Route(destination, {})
    if op.kind is Kind.ATTACH and not facts.end_of_stream:
        return NeedBody(Mode.BODY, facts.rewrite)
    shows = _shows_resource(op, facts.method)
    spec, pod = SPECS[op.resource_type], destination.pod
    return Route(
        destination,
        facts.rewrite,
        shown=op.resource_type if shows and pod.renames_az and spec.shows_zones else None,
        relink=shows and spec.links and relinks(pod.endpoint(op.service)),
        forget=facts.method == "DELETE" and names_resource(op),
        moves=op.kind is Kind.ACCEPT,
    )


def _same_pod(op: ResourceOperation, facts: Facts, destination: Target) -> None:
    """What an attach names must be in the pod of the resource it is attached to (follow.py
    says which named resources count)."""
    named = followed(facts.referenced, facts.referenced, op.project_id, facts.pods)
    beside(Followed(Reference(op.resource_type, op.resource_id), destination.pod), named)


def _create(op: ResourceOperation, facts: Facts) -> Decision:
    """To the pod of the resources the body names, else scheduled (servers, volumes, networks,
    routers, and what names a network unknown here); a snapshot or backup needs its volume."""
    if facts.body is None:
        if facts.end_of_stream:
            raise BadRequest(_NO_BODY)
        return NeedBody(Mode.CREATE, facts.rewrite)
    create = parse_create(op.resource_type, facts.body)
    named = followed(create.references, facts.referenced, op.project_id, facts.pods)
    pod = shared_pod(named)
    if pod is not None:
        in_zone(named[0], create.availability_zone)
        pod, endpoint = usable(pod.name, pod, op.service, facts.unhealthy)
        body = pod_body(create, pod.pod_az_name, pin=False, own=own_ids(facts.copies, pod.name))
        return Placed(target(pod, endpoint, op), body)
    if placement(op.resource_type) in _FROM_SOURCE:
        source = create.references[0]
        raise NotFound(SPECS[source.resource_type].not_found(source.resource_id))
    chosen = schedule(
        in_preference_order(facts.pods.values()),
        facts.bindings,
        create.availability_zone,
        facts.unhealthy,
        facts.capacity,
    )
    pod, endpoint = usable(chosen.pod.name, chosen.pod, op.service)
    body = pod_body(create, pod.pod_az_name, own=own_ids(facts.copies, pod.name))
    return Placed(target(pod, endpoint, op), body, bind=chosen.bind, replaces=chosen.replaces)


def _home(op: Operation, facts: Facts) -> Route | AcrossPods:
    """To the pod a server created without a zone would go to (the project is not bound by
    it: what Nova's network proxies make is not recorded). An admin's list of every project's
    groups is each pod's (projects' homes differ), merged as Nova's offset-paged lists are."""
    if _every_projects_groups(op, facts):
        return AcrossPods(Kind.OFFSET_LIST, _to_pods(facts), b"")
    chosen = schedule(
        in_preference_order(facts.pods.values()),
        facts.bindings,
        None,
        facts.unhealthy,
        facts.capacity,
    )
    pod, endpoint = usable(chosen.pod.name, chosen.pod, op.service)
    return Route(target(pod, endpoint, op), facts.rewrite)


def _every_projects_groups(op: Operation, facts: Facts) -> bool:
    """`GET os-security-groups?all_tenants` by an admin (noauth: anyone, as the pods take it)."""
    if facts.method != "GET" or op.remainder.strip("/") != _GROUPS:
        return False
    if facts.caller is not None and not facts.caller.any_project:
        return False
    return ALL_TENANTS in query_names(op.query)


def _to_named(op: ResourceOperation, facts: Facts) -> Route | NeedBody:
    """To the pod of the resource the body or query names (Nova's assisted snapshots act on
    the server its volume is attached to). One unknown here, or none named, goes to the oldest
    ENABLED pod: it has no such attachment either, and refuses in Nova's words (its policy
    first)."""
    if facts.method == "POST" and facts.body is None and not facts.end_of_stream:
        return NeedBody(Mode.BODY, facts.rewrite)
    reference = named(op, facts.method, facts.body or b"")
    routing = facts.referenced.get(reference) if reference is not None else None
    if routing is not None:
        pod, endpoint = usable(
            routing.pod_name, facts.pods.get(routing.pod_name), op.service, facts.unhealthy
        )
    else:
        pod, endpoint = first_usable(facts.pods.values(), op.service, facts.unhealthy)
    return Route(target(pod, endpoint, op), facts.rewrite if facts.body is None else {})


def _shows_resource(op: ResourceOperation, method: str) -> bool:
    """The answer may show the resource, with its zone and links: its GET, its update (PUT),
    and its actions (Nova's rebuild shows the server, createImage a `Location`)."""
    if method in ("GET", "PUT"):
        return names_resource(op)
    action = f"{SPECS[op.resource_type].item_path(op.resource_id)}/action"
    return method == "POST" and op.remainder.rstrip("/") == action


def names_resource(op: ResourceOperation) -> bool:
    """The path is the resource itself (`/servers/{id}`, a proxy's `/os-volumes/{id}`), not
    something below it."""
    path = op.remainder.rstrip("/")
    if path == SPECS[op.resource_type].item_path(op.resource_id):
        return True
    return (
        op.service is Service.COMPUTE
        and path.count("/") == 2
        and path.endswith(f"/{op.resource_id}")
    )
