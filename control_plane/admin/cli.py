"""`podgate pod|binding|routing`: the admin API from a shell, as tables or as JSON."""

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.message import Message
from keystoneauth1 import exceptions as ks_exc

from control_plane.admin import render
from control_plane.admin.credentials import admin_credential
from control_plane.admin.envoy_health import ClusterHealth, fetch_health
from control_plane.model import TOKEN_METADATA, PodState, ResourceType
from control_plane.settings import load_settings
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc

__all__ = ["register"]

TIMEOUT_S = 5.0
# How gRPC words a failed handshake or certificate check in an UNAVAILABLE status.
_TLS_FAILURE = re.compile(r"ssl|handshake|certificate", re.IGNORECASE)
# ... and a TLS port's answer to a plaintext client.
_PLAINTEXT_REFUSED = "Socket closed"

_Subparsers = argparse._SubParsersAction
_STATES = [str(s) for s in PodState]
_TYPES = [str(t) for t in ResourceType]


class _Client:
    """The admin stub with the CLI's deadline and admin credential on every call."""

    def __init__(self, channel: grpc.Channel, token: str | None) -> None:
        self._stub = admin_pb2_grpc.PodAdminStub(channel)
        self._metadata = ((TOKEN_METADATA, token),) if token else ()

    def call(self, method: str, request: Message) -> Any:
        return getattr(self._stub, method)(request, timeout=TIMEOUT_S, metadata=self._metadata)


_Command = Callable[[argparse.Namespace, _Client], None]


def register(subparsers: _Subparsers) -> None:
    """Add the `pod`, `binding` and `routing` commands to the `podgate` parser."""
    _register_pod(_verbs(subparsers, "pod", "manage pods (the OpenStack clouds behind Podgate)"))
    _register_binding(_verbs(subparsers, "binding", "manage project-to-pod bindings"))
    _register_routing(_verbs(subparsers, "routing", "inspect and drop resource routings"))
    status = _leaf(subparsers, "status", "pods, their health in Envoy, and config ACKs", _status)
    status.add_argument(
        "--envoy-admin",
        default=os.environ.get("PODGATE_ENVOY_ADMIN", "http://127.0.0.1:19901"),
        help="Envoy's admin URL (env PODGATE_ENVOY_ADMIN, default %(default)s)",
    )
    audit = _leaf(subparsers, "audit", "who changed what in the admin API, oldest first", _audit)
    audit.add_argument(
        "--since",
        type=_since,
        metavar="WHEN",
        help="only changes since WHEN: an ISO 8601 time (UTC unless given) or an age: 30m, 2h, 7d",
    )
    audit.add_argument(
        "--limit", type=_positive, help="the newest N changes (server default 100, at most 1000)"
    )


def _verbs(subparsers: _Subparsers, name: str, help_text: str) -> _Subparsers:
    """A command group such as `pod` whose verbs are themselves subcommands."""
    group = subparsers.add_parser(name, help=help_text, description=help_text)
    return group.add_subparsers(dest="verb", required=True, metavar="VERB")


def _leaf(verbs: _Subparsers, name: str, help_text: str, command: _Command) -> Any:
    """One verb, wired to run `command` against the control plane."""
    parser = verbs.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=lambda args: _run(args, command))
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="the control plane's state dir, where the admin token is (env PODGATE_STATE_DIR, "
        "default .state)",
    )
    return parser


def _register_pod(verbs: _Subparsers) -> None:
    create = _leaf(verbs, "create", "add a pod", _pod_create)
    create.add_argument("name", metavar="NAME", help="the pod's Keystone region name")
    create.add_argument("--az", required=True, help="availability zone users see")
    _pod_options(create)
    create.add_argument("--state", type=str.upper, choices=_STATES, default=None)

    listing = _leaf(verbs, "list", "list pods", _pod_list)
    listing.add_argument("--az", help="only pods in this availability zone")

    show = _leaf(verbs, "show", "show one pod", _pod_show)
    show.add_argument("name", metavar="NAME")

    update = _leaf(verbs, "update", "change a pod", _pod_update)
    update.add_argument("name", metavar="NAME")
    update.add_argument("--az", help="availability zone users see")
    _pod_options(update)
    update.add_argument("--state", type=str.upper, choices=_STATES, default=None)
    update.add_argument(
        "--remove-endpoint",
        action="append",
        default=[],
        metavar="SERVICE",
        help="drop a service's endpoint (repeatable)",
    )

    delete = _leaf(verbs, "delete", "remove a pod", _pod_delete)
    delete.add_argument("name", metavar="NAME")
    delete.add_argument("--force", action="store_true", help="also drop its routings and bindings")


def _pod_options(parser: argparse.ArgumentParser) -> None:
    """Options `pod create` and `pod update` share."""
    parser.add_argument("--pod-az", help="availability zone inside the pod")
    parser.add_argument("--dc", help="datacenter name")
    parser.add_argument(
        "--endpoint",
        action="append",
        default=[],
        type=_endpoint,
        metavar="SERVICE=URL",
        help="catalog-style URL of a service, e.g. compute=http://h:8774/v2.1 (repeatable)",
    )
    parser.add_argument(
        "--insecure-tls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="accept any certificate from the pod's https endpoints (unsafe: users' tokens go"
        " to whoever answers); --no-insecure-tls checks them again",
    )


def _register_binding(verbs: _Subparsers) -> None:
    create = _leaf(verbs, "create", "bind a project to a pod in the pod's AZ", _binding_create)
    create.add_argument("--project", required=True, help="Keystone project id")
    create.add_argument("--pod", required=True, help="pod name")

    listing = _leaf(verbs, "list", "list bindings", _binding_list)
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--pod", help="only this pod")
    listing.add_argument("--active", action="store_true", help="only active bindings")

    delete = _leaf(verbs, "delete", "remove a binding", _binding_delete)
    delete.add_argument("id", metavar="ID")


def _register_routing(verbs: _Subparsers) -> None:
    listing = _leaf(verbs, "list", "list where resources live", _routing_list)
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--pod", help="only this pod")
    listing.add_argument("--type", choices=_TYPES, help="only this resource type")
    listing.add_argument(
        "--limit", type=_positive, help="rows per page (server default 100, at most 1000)"
    )
    listing.add_argument("--all", action="store_true", help="follow every page")

    for name, help_text, command in (
        ("show", "show where one resource lives", _routing_show),
        ("delete", "forget where one resource lives", _routing_delete),
    ):
        parser = _leaf(verbs, name, help_text, command)
        parser.add_argument("type", metavar="TYPE", choices=_TYPES)
        parser.add_argument("id", metavar="ID")


def _pod_create(args: argparse.Namespace, client: _Client) -> None:
    pod = admin_pb2.Pod(
        name=args.name,
        az_name=args.az,
        pod_az_name=args.pod_az or "",
        dc_name=args.dc or "",
        state=admin_pb2.PodState.Value(args.state) if args.state else 0,
        endpoints=dict(args.endpoint),
        tls_insecure=bool(args.insecure_tls),
    )
    render.print_one(
        args.json, client.call("CreatePod", admin_pb2.CreatePodRequest(pod=pod)), render.POD
    )


def _pod_list(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("ListPods", admin_pb2.ListPodsRequest(az_name=args.az or ""))
    render.print_many(args.json, reply.pods, render.POD)


def _pod_show(args: argparse.Namespace, client: _Client) -> None:
    render.print_one(
        args.json, client.call("GetPod", admin_pb2.GetPodRequest(name=args.name)), render.POD
    )


def _pod_update(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.UpdatePodRequest(
        name=args.name,
        az_name=args.az,
        pod_az_name=args.pod_az,
        dc_name=args.dc,
        state=admin_pb2.PodState.Value(args.state) if args.state else None,
        set_endpoints=dict(args.endpoint),
        remove_endpoints=args.remove_endpoint,
        tls_insecure=args.insecure_tls,
    )
    render.print_one(args.json, client.call("UpdatePod", request), render.POD)


def _pod_delete(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("DeletePod", admin_pb2.DeletePodRequest(name=args.name, force=args.force))
    render.print_done(args.json, reply, f"Deleted pod {args.name}.")


def _binding_create(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.CreateBindingRequest(project_id=args.project, pod_name=args.pod)
    render.print_one(args.json, client.call("CreateBinding", request), render.BINDING)


def _binding_list(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.ListBindingsRequest(
        project_id=args.project or "", pod_name=args.pod or "", active_only=args.active
    )
    render.print_many(args.json, client.call("ListBindings", request).bindings, render.BINDING)


def _binding_delete(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("DeleteBinding", admin_pb2.DeleteBindingRequest(id=args.id))
    render.print_done(args.json, reply, f"Deleted binding {args.id}.")


def _routing_list(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.ListRoutingsRequest(
        project_id=args.project or "",
        pod_name=args.pod or "",
        resource_type=args.type or "",
        page_size=args.limit or 0,
    )
    routings: list[admin_pb2.Routing] = []
    while True:
        reply = client.call("ListRoutings", request)
        routings.extend(reply.routings)
        if not (args.all and reply.next_page_token):
            break
        request.page_token = reply.next_page_token
    render.print_many(args.json, routings, render.ROUTING)
    if reply.next_page_token and not args.all:
        print("more routings exist: use --all or a larger --limit", file=sys.stderr)


def _routing_show(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.GetRoutingRequest(resource_type=args.type, resource_id=args.id)
    render.print_one(args.json, client.call("GetRouting", request), render.ROUTING)


def _routing_delete(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.DeleteRoutingRequest(resource_type=args.type, resource_id=args.id)
    reply = client.call("DeleteRouting", request)
    render.print_done(args.json, reply, f"Deleted routing {args.type} {args.id}.")


def _status(args: argparse.Namespace, client: _Client) -> None:
    status = client.call("GetStatus", admin_pb2.GetStatusRequest())
    try:
        health: dict[str, ClusterHealth] | None = fetch_health(args.envoy_admin)
    except (OSError, ValueError):
        health = None
    render.print_status(args.json, status, health, args.envoy_admin)


def _audit(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.ListAuditEventsRequest(page_size=args.limit or 0)
    if args.since is not None:
        request.since.FromDatetime(args.since)
    render.print_many(args.json, client.call("ListAuditEvents", request).events, render.AUDIT)


def _run(args: argparse.Namespace, command: _Command) -> int:
    """Run one command over a fresh channel; a failed call is one line on stderr and exit 1."""
    state_dir = load_settings(state_dir=args.state_dir).state_dir
    try:
        channel = _channel(args.server, args.cacert)
    except OSError as exc:
        print(f"error: cannot read the CA file {args.cacert}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        token = admin_credential(state_dir, args.os_token_file, os.environ)
        with channel:
            command(args, _Client(channel, token))
    except ks_exc.ClientException as exc:
        print(f"error: cannot get a Keystone token: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot read the token file: {exc}", file=sys.stderr)
        return 1
    except grpc.RpcError as exc:
        print(_reason(args.server, exc, tls=args.cacert is not None), file=sys.stderr)
        return 1
    return 0


def _channel(server: str, cacert: str | None) -> grpc.Channel:
    """Plaintext, or TLS trusting only `cacert` (the name checked is the one in `server`)."""
    if cacert is None:
        return grpc.insecure_channel(server)
    credentials = grpc.ssl_channel_credentials(root_certificates=Path(cacert).read_bytes())
    return grpc.secure_channel(server, credentials)


def _reason(server: str, exc: grpc.RpcError, *, tls: bool) -> str:
    """What went wrong, in one line a person can act on."""
    code = exc.code()  # type: ignore[attr-defined]
    details = " ".join((exc.details() or "").split())  # type: ignore[attr-defined]
    if code == grpc.StatusCode.UNAVAILABLE:
        if tls and _TLS_FAILURE.search(details):
            return f"error: TLS to the control plane at {server} failed (is --cacert its CA?)"
        if not tls and _PLAINTEXT_REFUSED in details:
            return (
                f"error: the control plane at {server} closed the connection; if it serves "
                "TLS, give its CA with --cacert FILE or PODGATE_CACERT"
            )
        return f"error: cannot reach the control plane at {server}"
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"error: the control plane at {server} did not answer within {TIMEOUT_S:g} s"
    return f"error: {code.name}: {details}"


def _endpoint(text: str) -> tuple[str, str]:
    """SERVICE=URL from the command line."""
    service, sep, url = text.partition("=")
    if not (sep and service and url):
        raise argparse.ArgumentTypeError(f"expected SERVICE=URL, got {text!r}")
    return service, url


_AGE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _since(text: str) -> datetime:
    """An ISO 8601 time (naive means UTC) or an age such as 30m, 2h, 7d."""
    if age := _AGE.fullmatch(text):
        return datetime.now(UTC) - timedelta(**{_UNITS[age[2]]: int(age[1])})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time or an age (2h), got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    """A page size the server accepts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value
