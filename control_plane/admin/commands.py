"""What each `podgate pod|binding|routing|status|audit` command does: one admin API call (or a
few: pages), its answer rendered, failures as one line on stderr."""

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import Message

from control_plane.admin import render
from control_plane.admin.credentials import KeystoneTokenError, admin_credential, cli_state_dir
from control_plane.model import TOKEN_METADATA
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc

if TYPE_CHECKING:
    from control_plane.admin.envoy_health import ClusterHealth

__all__ = [
    "Command",
    "audit",
    "binding_create",
    "binding_delete",
    "binding_list",
    "pod_create",
    "pod_delete",
    "pod_list",
    "pod_show",
    "pod_update",
    "routing_delete",
    "routing_list",
    "routing_show",
    "run",
    "status",
]

TIMEOUT_S = 5.0
# How gRPC words a failed handshake or certificate check in an UNAVAILABLE status.
_TLS_FAILURE = re.compile(r"ssl|handshake|certificate", re.IGNORECASE)
# ... and a TLS port's answer to a plaintext client.
_PLAINTEXT_REFUSED = "Socket closed"


class _Client:
    """The admin stub with the CLI's deadline and admin credential on every call."""

    def __init__(self, channel: grpc.Channel, token: str | None) -> None:
        self._stub = admin_pb2_grpc.PodAdminStub(channel)
        self._metadata = ((TOKEN_METADATA, token),) if token else ()

    def call(self, method: str, request: Message) -> Any:
        return getattr(self._stub, method)(request, timeout=TIMEOUT_S, metadata=self._metadata)


Command = Callable[[argparse.Namespace, _Client], None]


def pod_create(args: argparse.Namespace, client: _Client) -> None:
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


def pod_list(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("ListPods", admin_pb2.ListPodsRequest(az_name=args.az or ""))
    render.print_many(args.json, reply.pods, render.POD)


def pod_show(args: argparse.Namespace, client: _Client) -> None:
    render.print_one(
        args.json, client.call("GetPod", admin_pb2.GetPodRequest(name=args.name)), render.POD
    )


def pod_update(args: argparse.Namespace, client: _Client) -> None:
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


def pod_delete(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("DeletePod", admin_pb2.DeletePodRequest(name=args.name, force=args.force))
    render.print_done(args.json, reply, f"Deleted pod {args.name}.")


def binding_create(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.CreateBindingRequest(project_id=args.project, pod_name=args.pod)
    render.print_one(args.json, client.call("CreateBinding", request), render.BINDING)


def binding_list(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.ListBindingsRequest(
        project_id=args.project or "", pod_name=args.pod or "", active_only=args.active
    )
    render.print_many(args.json, client.call("ListBindings", request).bindings, render.BINDING)


def binding_delete(args: argparse.Namespace, client: _Client) -> None:
    reply = client.call("DeleteBinding", admin_pb2.DeleteBindingRequest(id=args.id))
    render.print_done(args.json, reply, f"Deleted binding {args.id}.")


def routing_list(args: argparse.Namespace, client: _Client) -> None:
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


def routing_show(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.GetRoutingRequest(resource_type=args.type, resource_id=args.id)
    render.print_one(args.json, client.call("GetRouting", request), render.ROUTING)


def routing_delete(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.DeleteRoutingRequest(resource_type=args.type, resource_id=args.id)
    reply = client.call("DeleteRouting", request)
    render.print_done(args.json, reply, f"Deleted routing {args.type} {args.id}.")


def status(args: argparse.Namespace, client: _Client) -> None:
    # Here, not at the top: urllib.request is ~50 ms that only this command needs.
    from control_plane.admin.envoy_health import fetch_health

    status = client.call("GetStatus", admin_pb2.GetStatusRequest())
    try:
        health: dict[str, ClusterHealth] | None = fetch_health(args.envoy_admin)
    except (OSError, ValueError):
        health = None
    render.print_status(args.json, status, health, args.envoy_admin)


def audit(args: argparse.Namespace, client: _Client) -> None:
    request = admin_pb2.ListAuditEventsRequest(page_size=args.limit or 0)
    if args.since is not None:
        request.since.FromDatetime(args.since)
    render.print_many(args.json, client.call("ListAuditEvents", request).events, render.AUDIT)


def run(args: argparse.Namespace, command: Command) -> int:
    """Run one command over a fresh channel; a failed call is one line on stderr and exit 1."""
    state_dir = cli_state_dir(args.state_dir, os.environ)
    try:
        channel = _channel(args.server, args.cacert)
    except OSError as exc:
        print(f"error: cannot read the CA file {args.cacert}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        token = admin_credential(state_dir, args.os_token_file, os.environ)
        with channel:
            command(args, _Client(channel, token))
    except KeystoneTokenError as exc:
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
