"""`python -m podsim --name POD --az AZ`: serve one simulated pod until SIGTERM or SIGINT.

`--min-compute-version`/`--max-compute-version` (and the volume pair) set the microversion
range the pod's version documents advertise and its API accepts; `--vcpus`, `--memory-mb` and
`--local-gb` size its one hypervisor, whose use grows with the servers it holds.
`--keystone-url` (with `--keystone-user`, `--keystone-project` and PODSIM_KEYSTONE_PASSWORD)
makes it check tokens as Nova and Cinder behind that Keystone do. `--settle-ms` makes statuses
move as the real services move them (a server BUILD, a volume creating, attaching, detaching,
deleting for that long before its final state); 0, the default, answers the final state at once.
"""

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from podsim.app import build_app
from podsim.config import PodConfig
from podsim.keystone_auth import KeystoneAuth
from podsim.versions import CINDER, NOVA, VersionRange, parse

_log = logging.getLogger("podsim")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, serve, return 0 once stopped by a signal."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = PodConfig(
        name=args.name,
        az=args.az,
        delay=args.delay_ms / 1000,
        settle_s=args.settle_ms / 1000,
        compute_versions=VersionRange(args.min_compute_version, args.max_compute_version),
        volume_versions=VersionRange(args.min_volume_version, args.max_volume_version),
        test_hooks=args.test_hooks,
        vcpus=args.vcpus,
        memory_mb=args.memory_mb,
        local_gb=args.local_gb,
        quota_defaults=dict(args.quota_default),
        keystone=_keystone(args),
    )
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(config, host=args.host, port=args.port))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podsim",
        description="A simulated OpenStack pod: in-memory Nova v2.1, Cinder v3 and Neutron v2.0.",
    )
    parser.add_argument("--name", required=True, help="pod (region) name, sent as x-podsim-pod")
    parser.add_argument("--az", required=True, help="the pod's one availability zone")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="delay added to every list and show answer"
    )
    parser.add_argument(
        "--settle-ms",
        type=float,
        default=0.0,
        help="how long a server shows BUILD, a volume creating/attaching/detaching/deleting...",
    )
    parser.add_argument(
        "--test-hooks",
        action="store_true",
        help="misbehave when asked by x-podsim-* request headers (gateway tests only)",
    )
    parser.add_argument(
        "--quota-default",
        type=_quota,
        action="append",
        default=[],
        metavar="NAME=N",
        help="a default quota other than the real service's (e.g. instances=-1); repeatable",
    )
    keystone = parser.add_argument_group(
        "tokens", "check X-Auth-Token with a Keystone, as Nova and Cinder do (else: no check)"
    )
    keystone.add_argument("--keystone-url", help="Keystone's v3 URL (http://h:5000/v3)")
    keystone.add_argument("--keystone-user", default="", help="the pod's service user")
    keystone.add_argument("--keystone-project", default="", help="the service user's project")
    keystone.add_argument(
        "--token-cache-time",
        type=float,
        default=300.0,
        help="seconds a checked token's answer is kept (keystonemiddleware's token_cache_time)",
    )
    sizes = PodConfig("", "")
    for flag, default in (
        ("vcpus", sizes.vcpus),
        ("memory-mb", sizes.memory_mb),
        ("local-gb", sizes.local_gb),
    ):
        parser.add_argument(
            f"--{flag}",
            type=int,
            default=default,
            help=f"the hypervisor's {flag} (default {default})",
        )
    for api, default in (("compute", NOVA), ("volume", CINDER)):
        for end, value in (("min", default.minimum), ("max", default.maximum)):
            parser.add_argument(
                f"--{end}-{api}-version",
                type=_version,
                default=value,
                help=f"the {api} API's {end}imum microversion (default {value})",
            )
    return parser


def _keystone(args: argparse.Namespace) -> KeystoneAuth | None:
    """The token check's settings; the password from PODSIM_KEYSTONE_PASSWORD, never argv."""
    if not args.keystone_url:
        return None
    return KeystoneAuth(
        auth_url=args.keystone_url,
        username=args.keystone_user,
        password=os.environ.get("PODSIM_KEYSTONE_PASSWORD", ""),
        project_name=args.keystone_project,
        token_cache_time_s=args.token_cache_time,
    )


def _quota(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    try:
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=N") from None


def _version(text: str) -> str:
    if parse(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a microversion like 2.90")
    return text


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(config: PodConfig, *, host: str, port: int) -> None:
    runner = web.AppRunner(
        build_app(config), access_log=None, handle_signals=False, shutdown_timeout=2.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        _log.info("pod %s, availability zone %s, delay %ss", config.name, config.az, config.delay)
        print(f"podsim {config.name} listening on http://{url_host}:{bound_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        _log.info("stopping")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
