"""One decision worker process: `python -m control_plane.runtime.worker`, settings on stdin."""

import asyncio
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack, suppress
from functools import partial

import grpc
import uvloop

from control_plane.auth.guard import Guard
from control_plane.auth.tokens import control_plane_tokens
from control_plane.decision.extproc import add_to_server as add_decision
from control_plane.logs import setup_logging
from control_plane.metrics import Metrics
from control_plane.runtime.decision_stack import decision_service, live_pods, routing_cache
from control_plane.runtime.grpc_tls import aio_channel, bind
from control_plane.runtime.routing_changes import RoutingCaches
from control_plane.runtime.serve import identity
from control_plane.settings import Settings
from control_plane.store import Store
from control_plane.store.notify import follow
from control_plane.workers.link import Link, MainProcessGone
from control_plane.workers.messages import Hello
from control_plane.workers.pool import taken_over

log = logging.getLogger("podgate.workers")


async def run(settings: Settings, token: str) -> None:
    """Serve ext_proc on a free port until SIGTERM or the main process is gone."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        store = await Store.open(settings.database_url)
        stack.push_async_callback(store.close)
        gate, catalog = identity(settings)
        pods = await live_pods(stack, settings, store, catalog, lambda _pods: None)
        # Envoy's token, as the main process checks it (same state dir or environment).
        envoy_token = control_plane_tokens(settings.state_dir, os.environ).envoy
        server = grpc.aio.server(interceptors=[Guard(envoy_token=envoy_token)])
        port = bind(server, f"{settings.control_plane.host}:0", settings.control_plane)
        # Envoy is told where to reach this port: the advertised host, not the listening one.
        hello = Hello(settings.control_plane.advertised_host, port, os.getpid())
        link = Link(lambda: aio_channel(settings.grpc_target, settings.control_plane), hello, token)
        routing_table = routing_cache(stack, settings, store, link)

        async def forget_routings() -> None:
            routing_table.forget_all()

        caches = RoutingCaches(
            forget_routing=routing_table.forget,
            resource_deleted=lambda _kind, _id: None,  # the main process's fast path, not ours
            reload_routings=forget_routings,
        )
        store.changes.subscribe(caches)
        # This worker's own writes (a binding) reach the main process and the other workers.
        store.changes.subscribe(link.changed, own_only=True)
        # Other replicas' changes come through PostgreSQL, this replica's over the link.
        elsewhere = partial(store.changes.publish, own=False)
        await stack.enter_async_context(follow(settings.database_url, store.origin, elsewhere))
        decision = decision_service(
            stack,
            settings,
            store=store,
            pods=pods,
            routing_table=routing_table,
            gate=gate,
            catalog=catalog,
            metrics=Metrics(),
        )
        add_decision(server, decision)
        await server.start()
        stack.push_async_callback(server.stop, 1.0)
        linked = asyncio.create_task(link.run(elsewhere))
        stopped = asyncio.create_task(stop.wait())
        log.info("decision worker serving", extra={"port": port})
        await asyncio.wait((linked, stopped), return_when=asyncio.FIRST_COMPLETED)
        for task in (linked, stopped):
            task.cancel()
        with suppress(asyncio.CancelledError, MainProcessGone):
            await linked


def main() -> int:
    settings, token = taken_over(sys.stdin.buffer.read())
    setup_logging(settings.log_format)
    uvloop.run(run(settings, token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
