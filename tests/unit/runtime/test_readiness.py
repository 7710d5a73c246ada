"""/ready and /live: the verdict from the gRPC port and the store's last answer, and the store
watcher that feeds it."""

import asyncio
from io import BytesIO

from control_plane.errors import PodgateError
from control_plane.runtime.readiness import Readiness, watch_store, wsgi_app


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_not_ready_until_serving_and_the_store_answered_lately() -> None:
    clock = _Clock()
    readiness = Readiness(stale_s=15.0, clock=clock)
    assert readiness.verdict() == (False, "the gRPC port is not serving yet")
    readiness.serving = True
    assert readiness.verdict() == (False, "the store has not answered yet")
    readiness.store_answered = clock.now
    clock.now += 15.0
    assert readiness.verdict() == (True, "ready")
    clock.now += 1.0
    assert readiness.verdict() == (False, "the store has not answered for 16 s")


def _get(app, path: str) -> tuple[str, bytes]:
    started: list[str] = []
    body = b"".join(
        app(
            {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO()},
            lambda status, headers: started.append(status),
        )
    )
    return started[0], body


def test_ready_and_live_beside_the_metrics_app() -> None:
    readiness = Readiness(stale_s=15.0)

    def metrics(environ, start_response):
        start_response("200 OK", [])
        return [b"# metrics\n"]

    app = wsgi_app(readiness, metrics)
    assert _get(app, "/ready") == ("503 Service Unavailable", b"the gRPC port is not serving yet\n")
    readiness.serving, readiness.store_answered = True, readiness.clock()
    assert _get(app, "/ready") == ("200 OK", b"ready\n")
    assert _get(app, "/live") == ("200 OK", b"live\n")
    assert _get(app, "/metrics") == ("200 OK", b"# metrics\n")


class _Store:
    """Answers (True) or fails (False) in turn, the clock one second further at each ping."""

    def __init__(self, answers: list[bool], clock: _Clock) -> None:
        self.answers, self.clock, self.done = answers, clock, asyncio.Event()

    async def ping(self) -> None:
        self.clock.now += 1.0
        answered = self.answers.pop(0)
        if not self.answers:
            self.done.set()
        if not answered:
            raise PodgateError("Database error (ConnectionRefusedError)")


async def test_the_watcher_marks_answers_only_and_goes_on_after_a_failure() -> None:
    clock = _Clock()
    readiness = Readiness(stale_s=15.0, clock=clock)
    store = _Store([False, True, False], clock)
    task = asyncio.create_task(watch_store(store, readiness, every_s=0.01, timeout_s=1.0))
    await asyncio.wait_for(store.done.wait(), 5)
    task.cancel()
    assert readiness.store_answered == 102.0  # the second ping's, not the third's


async def test_a_store_that_hangs_counts_as_not_answering() -> None:
    readiness = Readiness(stale_s=15.0)

    class _Hung:
        async def ping(self) -> None:
            await asyncio.sleep(10)

    task = asyncio.create_task(watch_store(_Hung(), readiness, every_s=0.01, timeout_s=0.05))
    await asyncio.sleep(0.2)
    task.cancel()
    assert readiness.store_answered is None
