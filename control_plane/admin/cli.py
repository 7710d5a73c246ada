"""`podgate pod|binding|routing|status|audit`: the admin API from a shell, as tables or JSON.

The parser only; commands.py runs them. Nothing here or there imports the server stack, so an
admin command costs its gRPC call, not the control plane's imports.
"""

import argparse
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from control_plane.admin import commands
from control_plane.cli_help import add_examples
from control_plane.model import PodState, ResourceType

__all__ = ["register"]

_Subparsers = argparse._SubParsersAction
_STATES = [str(s) for s in PodState]
_TYPES = [str(t) for t in ResourceType]
# A server's id and a binding's id, as the examples show them.
_SERVER_ID = "5f0c3a1e-8d2b-4c7a-9e61-2b7d4f9a0c13"
_BINDING_ID = "0b9e7c52-3f4d-4a8e-b1c6-7d2e9f5a4b30"
_PROJECT_ID = "8c1f4e2a9b7d4e3f8a6c5b4d3e2f1a0b"


def register(subparsers: _Subparsers) -> None:
    """Add the `pod`, `binding`, `routing`, `status` and `audit` commands to `podgate`."""
    _register_pod(
        _verbs(
            subparsers,
            "pod",
            "manage pods (the OpenStack clouds behind Podgate)",
            "podgate pod list",
            "podgate pod show pod1",
        )
    )
    _register_binding(
        _verbs(
            subparsers,
            "binding",
            "manage project-to-pod bindings",
            f"podgate binding list --project {_PROJECT_ID}",
        )
    )
    _register_routing(
        _verbs(
            subparsers,
            "routing",
            "inspect and drop resource routings",
            "podgate routing list --pod pod1",
        )
    )
    status = _leaf(
        subparsers,
        "status",
        "pods, their health in Envoy, and config ACKs",
        commands.status,
        "podgate status",
        "podgate --json status --envoy-admin http://127.0.0.1:19901",
    )
    status.add_argument(
        "--envoy-admin",
        default=os.environ.get("PODGATE_ENVOY_ADMIN", "http://127.0.0.1:19901"),
        help="Envoy's admin URL (env PODGATE_ENVOY_ADMIN, default %(default)s)",
    )
    audit = _leaf(
        subparsers,
        "audit",
        "who changed what in the admin API, oldest first",
        commands.audit,
        "podgate audit --since 2h",
        "podgate audit --since 2026-12-01T08:00 --limit 50",
    )
    audit.add_argument(
        "--since",
        type=_since,
        metavar="WHEN",
        help="only changes since WHEN: an ISO 8601 time (UTC unless given) or an age: 30m, 2h, 7d",
    )
    audit.add_argument(
        "--limit", type=_positive, help="the newest N changes (server default 100, at most 1000)"
    )


def _verbs(subparsers: _Subparsers, name: str, help_text: str, *examples: str) -> _Subparsers:
    """A command group such as `pod` whose verbs are themselves subcommands."""
    group = subparsers.add_parser(name, help=help_text, description=help_text)
    add_examples(group, *examples)
    return group.add_subparsers(dest="verb", required=True, metavar="VERB")


def _leaf(
    verbs: _Subparsers, name: str, help_text: str, command: commands.Command, *examples: str
) -> argparse.ArgumentParser:
    """One verb, wired to run `command` against the control plane."""
    parser = verbs.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=lambda args: commands.run(args, command))
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="the control plane's state dir, where the admin token is (env PODGATE_STATE_DIR, "
        "default .state)",
    )
    add_examples(parser, *examples)
    return parser


def _register_pod(verbs: _Subparsers) -> None:
    create = _leaf(
        verbs,
        "create",
        "add a pod",
        commands.pod_create,
        "podgate pod create pod1 --az az1 --pod-az nova-az1"
        " --endpoint compute=http://10.0.0.5:8774/v2.1"
        " --endpoint 'volumev3=http://10.0.0.5:8776/v3/$(project_id)s'"
        " --endpoint network=http://10.0.0.5:9696",
        "podgate pod create pod2 --az az2 --dc dc-east --state DISABLED"
        " --endpoint compute=https://nova.pod2.example.org/v2.1 --insecure-tls",
    )
    create.add_argument("name", metavar="NAME", help="the pod's Keystone region name")
    create.add_argument("--az", required=True, help="availability zone users see")
    _pod_options(create)
    create.add_argument("--state", type=str.upper, choices=_STATES, default=None)

    listing = _leaf(
        verbs,
        "list",
        "list pods",
        commands.pod_list,
        "podgate pod list",
        "podgate --json pod list --az az1",
    )
    listing.add_argument("--az", help="only pods in this availability zone")

    show = _leaf(verbs, "show", "show one pod", commands.pod_show, "podgate pod show pod1")
    show.add_argument("name", metavar="NAME")

    update = _leaf(
        verbs,
        "update",
        "change a pod",
        commands.pod_update,
        "podgate pod update pod1 --state DRAINING",
        "podgate pod update pod1 --endpoint network=http://10.0.0.6:9696"
        " --remove-endpoint volumev3 --no-insecure-tls",
    )
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

    delete = _leaf(
        verbs,
        "delete",
        "remove a pod",
        commands.pod_delete,
        "podgate pod delete pod1",
        "podgate pod delete pod1 --force",
    )
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
    create = _leaf(
        verbs,
        "create",
        "bind a project to a pod in the pod's AZ",
        commands.binding_create,
        f"podgate binding create --project {_PROJECT_ID} --pod pod1",
    )
    create.add_argument("--project", required=True, help="Keystone project id")
    create.add_argument("--pod", required=True, help="pod name")

    listing = _leaf(
        verbs,
        "list",
        "list bindings",
        commands.binding_list,
        "podgate binding list --pod pod1 --active",
        f"podgate --json binding list --project {_PROJECT_ID}",
    )
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--pod", help="only this pod")
    listing.add_argument("--active", action="store_true", help="only active bindings")

    delete = _leaf(
        verbs,
        "delete",
        "remove a binding",
        commands.binding_delete,
        f"podgate binding delete {_BINDING_ID}",
    )
    delete.add_argument("id", metavar="ID")


def _register_routing(verbs: _Subparsers) -> None:
    listing = _leaf(
        verbs,
        "list",
        "list where resources live",
        commands.routing_list,
        f"podgate routing list --project {_PROJECT_ID} --type server --limit 50",
        "podgate routing list --pod pod1 --all",
    )
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--pod", help="only this pod")
    listing.add_argument("--type", choices=_TYPES, help="only this resource type")
    listing.add_argument(
        "--limit", type=_positive, help="rows per page (server default 100, at most 1000)"
    )
    listing.add_argument("--all", action="store_true", help="follow every page")

    for name, help_text, command in (
        ("show", "show where one resource lives", commands.routing_show),
        ("delete", "forget where one resource lives", commands.routing_delete),
    ):
        parser = _leaf(
            verbs, name, help_text, command, f"podgate routing {name} server {_SERVER_ID}"
        )
        parser.add_argument("type", metavar="TYPE", choices=_TYPES)
        parser.add_argument("id", metavar="ID")


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
