"""`podgate up | serve | envoy`: the long-running commands.

Their stacks (SQLAlchemy, aiohttp, the xDS and decision services) are imported by the command
that runs them, not here: every `podgate` call builds this parser, admin commands included.
"""

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from control_plane.cli_help import add_examples
from control_plane.logs import setup_logging

if TYPE_CHECKING:
    from control_plane.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the runtime commands to the top-level parser."""
    for name, func, help_text, examples in (
        (
            "up",
            _up,
            "control plane + Envoy in the foreground",
            (
                "podgate up --state-dir .state",
                "podgate up --state-dir /var/lib/podgate --auth keystone --log-format json",
            ),
        ),
        (
            "serve",
            _serve,
            "the control plane only (admin API, xDS, decision service)",
            (
                "podgate serve --state-dir /var/lib/podgate",
                "podgate serve --config /etc/podgate/podgate.toml"
                " --db-url postgresql+asyncpg://podgate@db.example.org/podgate",
            ),
        ),
        (
            "envoy",
            _envoy,
            "Envoy only, configured from the control plane",
            ("podgate envoy --state-dir /var/lib/podgate",),
        ),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--state-dir", type=Path, help="default .state")
        parser.add_argument(
            "--config", type=Path, help="TOML file; default <state dir>/podgate.toml"
        )
        parser.add_argument(
            "--db-url",
            type=_db_url,
            help="default sqlite+aiosqlite:///<state dir>/podgate.db; a URL with a password goes "
            "in PODGATE_DB_URL or the config file, never the command line",
        )
        parser.add_argument("--auth", choices=["noauth", "keystone"], help="default noauth")
        parser.add_argument("--log-format", choices=["text", "json"])
        parser.set_defaults(func=func)
        add_examples(parser, *examples)


def _db_url(text: str) -> str:
    """A database URL without a password (command lines are readable by every local user)."""
    import sqlalchemy as sa

    try:
        password = sa.make_url(text).password
    except sa.exc.ArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if password:
        raise argparse.ArgumentTypeError(
            "a password on the command line is visible to every local user: put the URL in "
            "PODGATE_DB_URL or in the config file (db_url = ...) instead"
        )
    return text


def _settings(args: argparse.Namespace) -> "Settings":
    from control_plane.settings import load_settings

    settings = load_settings(
        args.config,
        state_dir=args.state_dir,
        db_url=args.db_url,
        auth=args.auth,
        log_format=args.log_format,
    )
    setup_logging(settings.log_format)
    return settings


def _up(args: argparse.Namespace) -> int:
    import uvloop

    from control_plane.runtime.up import up

    return uvloop.run(up(_settings(args)))


def _serve(args: argparse.Namespace) -> int:
    import uvloop

    from control_plane.runtime.serve import serve

    uvloop.run(serve(_settings(args)))
    return 0


def _envoy(args: argparse.Namespace) -> int:
    from control_plane.runtime.envoy import envoy_command

    argv = envoy_command(_settings(args))
    os.execv(argv[0], argv)
