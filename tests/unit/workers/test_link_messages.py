"""Link messages between decision workers and the main process."""

import asyncio
from collections.abc import Callable

from control_plane.model import ResourceType, Routing
from control_plane.settings import Settings
from control_plane.store.changes import BINDINGS, PODS, Change, routing_deleted
from control_plane.store.changes import decode as decode_change
from control_plane.workers.hub import WorkerHub
from control_plane.workers.messages import LINK_TOKEN_METADATA, Hello, Report, decode, encode
from control_plane.workers.pool import handover, taken_over
from control_plane.xds.fast_path_set import FastPathSet

_SERVER = Routing("s1", ResourceType.SERVER, "p1", "pod1")
_VOLUME = Routing("v1", ResourceType.VOLUME, "p1", "pod2")


def test_messages_round_trip() -> None:
    hello = Hello("127.0.0.1", 41000, 1234)
    report = Report(
        added=(_SERVER, _VOLUME),
        deleted=(("server", "s9"),),
        forgotten=(("volume", "v9"),),
        changes=(BINDINGS, routing_deleted(ResourceType.VOLUME, "v8")),
    )
    assert decode(encode(hello)) == hello
    assert decode(encode(report)) == report


def test_malformed_messages_are_none() -> None:
    for raw in (b"", b"[]", b"{", b'{"hello": [1]}', b'{"add": [["nope", "i", "p", "x"]]}'):
        assert decode(raw) is None, raw


async def _ignore(_changes) -> None:
    return None


class _Aborted(Exception):
    pass


class _Context:
    def __init__(self, token: str = "s3cret") -> None:
        self._token = token

    def invocation_metadata(self):
        return ((LINK_TOKEN_METADATA, self._token),)

    async def abort(self, code, details):
        raise _Aborted(code, details)


async def _turns_until(check: Callable[[], bool]) -> None:
    """Let the loop turn until `check` holds: counted in turns, not time, which load stretches."""
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("the hub never got there")


def test_hub_registers_workers_feeds_the_fast_path_set_and_relays_changes() -> None:
    async def scenario() -> None:
        hot = FastPathSet(max_entries=10)
        hot.add(_VOLUME)
        seen: list[tuple] = []
        published: list[Change] = []

        async def publish(changes) -> None:
            published.extend(changes)

        hub = WorkerHub(
            ("127.0.0.1", 19990), hot, seen.append, origin="main", token="s3cret", publish=publish
        )
        incoming: asyncio.Queue[bytes | None] = asyncio.Queue()

        async def requests():
            while (item := await incoming.get()) is not None:
                yield item

        await incoming.put(encode(Hello("127.0.0.1", 41000, 1)))
        stream = hub.follow(requests(), _Context())
        relayed = asyncio.create_task(anext(stream))
        both = (("127.0.0.1", 19990), ("127.0.0.1", 41000))
        await _turns_until(lambda: hub.endpoints() == both)
        assert seen[-1] == hub.endpoints()
        await incoming.put(encode(Report(added=(_SERVER,), deleted=(("volume", "v1"),))))
        await _turns_until(lambda: hot.routings() == (_SERVER,))
        assert published == []
        await incoming.put(encode(Report(changes=(BINDINGS,))))  # the worker bound a project
        await _turns_until(lambda: published == [BINDINGS])
        await hub.broadcast([PODS])
        assert decode_change((await relayed).decode()) == ("main", PODS)
        await incoming.put(None)  # the worker goes away
        assert await anext(stream, None) is None
        assert hub.endpoints() == (("127.0.0.1", 19990),) and seen[-1] == hub.endpoints()

    asyncio.run(scenario())


def test_a_stranger_without_the_token_is_refused() -> None:
    async def scenario() -> None:
        seen: list[tuple] = []
        hub = WorkerHub(
            ("127.0.0.1", 19990), FastPathSet(max_entries=10), seen.append, "m", "s3cret", _ignore
        )

        async def requests():
            yield encode(Hello("10.9.9.9", 41000, 1))

        try:
            await anext(hub.follow(requests(), _Context(token="guess")))
        except _Aborted as refused:
            assert refused.args[0].name == "PERMISSION_DENIED"
        else:
            raise AssertionError("a stranger was linked")
        assert hub.endpoints() == (("127.0.0.1", 19990),) and seen == []

    asyncio.run(scenario())


def test_settings_and_token_reach_the_worker_intact() -> None:
    settings = Settings(db_url="sqlite+aiosqlite:///x.db", decision={"workers": 3})
    assert taken_over(handover(settings, "tok-en")) == (settings, "tok-en")
