"""`podgate`: one command whose subcommands come from the modules that own them."""

import argparse
import os

from control_plane.admin import cli as admin_cli
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
        "--os-token",
        default=os.environ.get("OS_TOKEN"),
        help="Keystone token for the admin API (env OS_TOKEN; else one is requested with the "
        "OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ... variables when set)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(subparsers)
    return parser
