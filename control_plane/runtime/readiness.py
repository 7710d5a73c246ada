"""Readiness for load balancers: `GET /ready` on the metrics port answers 200 while this
control plane can serve (its gRPC port is up and its store answered lately), else 503 with the
reason. `GET /live` answers 200 while the process runs. Both carry no data and need no token,
like `/metrics` beside them.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from control_plane.metrics import WsgiApp
from control_plane.store import Store

__all__ = ["Readiness", "watch_store", "wsgi_app"]

log = logging.getLogger("podgate.readiness")

# WSGI's start_response and environ, as wsgiref passes them.
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Readiness:
    """What `/ready` answers from; `stale_s`: how old the store's last answer may be."""

    stale_s: float
    serving: bool = False
    store_answered: float | None = None  # time.monotonic() of the last answer
    clock: Callable[[], float] = field(default=time.monotonic)

    def verdict(self) -> tuple[bool, str]:
        """Ready or not, and why (one line)."""
        if not self.serving:
            return False, "the gRPC port is not serving yet"
        if self.store_answered is None:
            return False, "the store has not answered yet"
        age = self.clock() - self.store_answered
        if age > self.stale_s:
            return False, f"the store has not answered for {age:.0f} s"
        return True, "ready"


async def watch_store(store: Store, readiness: Readiness, every_s: float, timeout_s: float) -> None:
    """Ping the store every `every_s`; log a change of its health once."""
    healthy: bool | None = None
    while True:
        try:
            async with asyncio.timeout(timeout_s):
                await store.ping()
        except Exception as exc:  # any failure means "not answering"; the loop goes on
            if healthy is not False:
                log.warning("store not answering: %s", type(exc).__name__)
            healthy = False
        else:
            readiness.store_answered = readiness.clock()
            if healthy is False:
                log.info("store answering again")
            healthy = True
        await asyncio.sleep(every_s)


def wsgi_app(readiness: Readiness, metrics_app: WsgiApp) -> WsgiApp:
    """`/ready` and `/live` beside the metrics app (which answers every other path)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/live":
            return _plain(start_response, 200, "live")
        if path == "/ready":
            ready, why = readiness.verdict()
            return _plain(start_response, 200 if ready else 503, why)
        return metrics_app(environ, start_response)

    return app


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    body = f"{text}\n".encode()
    reason = "OK" if status == 200 else "Service Unavailable"
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(f"{status} {reason}", headers)
    return [body]
