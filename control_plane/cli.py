"""`podgate`: one command whose subcommands come from the modules that own them.

Every call builds the whole parser, so the command modules import only what parsing and the
admin API's client need; the server stacks load inside `up`, `serve` and `envoy`.
"""

import argparse
import os
from pathlib import Path

from control_plane.admin import cli as admin_cli
from control_plane.cli_help import add_examples
from control_plane.runtime import cli as runtime_cli

__all__ = ["main"]

DEFAULT_SERVER = "127.0.0.1:19990"

# Each module adds its subcommands with register(subparsers); each leaf sets func(args) -> int.
_COMMAND_MODULES = (admin_cli, runtime_cli)


def main(argv: list[str] | None = None) -> int:
    """Run one `podgate` command and return its exit status."""
    args = _parser().parse_args(argv)
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    """The top-level parser with the global options every subcommand sees."""
    parser = argparse.ArgumentParser(
        prog="podgate", description="One OpenStack endpoint in front of many OpenStack clouds."
    )
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get("PODGATE_SERVER", DEFAULT_SERVER),
        help="control plane gRPC address (env PODGATE_SERVER, default %(default)s)",
    )
    parser.add_argument(
        "--cacert",
        metavar="FILE",
        default=os.environ.get("PODGATE_CACERT"),
        help="talk TLS to the control plane and trust this CA (PEM; env PODGATE_CACERT)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--os-token-file",
        type=Path,
        metavar="FILE",
        help="file holding a Keystone token for the admin API (else env OS_TOKEN, else one is "
        "requested with the OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, ... variables when set, else "
        "the admin token: env PODGATE_ADMIN_TOKEN or <state dir>/admin-token)",
    )
    # Gone: a token in argv is readable by every local user. Named so that it is refused with
    # a reason instead of abbreviating --os-token-file.
    parser.add_argument("--os-token", type=_refused_secret, help=argparse.SUPPRESS)
    add_examples(
        parser,
        "podgate up --state-dir .state",
        "podgate pod list",
        "podgate --server cp.example.org:19990 --cacert ca.pem --json routing list --pod pod1",
        "podgate --os-token-file ~/.config/podgate/token audit --since 1d",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(subparsers)
    return parser


def _refused_secret(_value: str) -> str:
    raise argparse.ArgumentTypeError(
        "a token on the command line is visible to every local user: set OS_TOKEN or use "
        "--os-token-file FILE"
    )
