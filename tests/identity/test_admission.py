"""Fair admission to Keystone calls: bounded in all and per address, served round robin."""

import asyncio
from collections.abc import Iterator

import pytest

from control_plane.identity import IdentityBusy
from control_plane.identity.admission import Admission


class Holders:
    """Requests that took a slot and hold it until the test lets them go, in admission order."""

    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.admitted: list[str] = []
        self._release: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, client: str) -> asyncio.Task[None]:
        self._release[name] = asyncio.Event()
        task = asyncio.create_task(self._hold(name, client))
        self.tasks[name] = task
        return task

    async def _hold(self, name: str, client: str) -> None:
        async with self.admission.slot(client):
            self.admitted.append(name)
            await self._release[name].wait()

    async def let_go(self, name: str) -> None:
        self._release[name].set()
        await self.tasks[name]
        await _settle()


async def _settle() -> None:
    """Let every ready task run (admission hands slots on synchronously, waiters wake next)."""
    for _ in range(5):
        await asyncio.sleep(0)


def _admission(**overrides: float) -> Admission:
    limits = {"total": 3, "per_client": 2, "backlog": 100, "backlog_per_client": 3, "wait_s": 60}
    return Admission(**{**limits, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def holders() -> Iterator[Holders]:
    yield Holders(_admission())


async def test_one_address_gets_at_most_its_share(holders: Holders) -> None:
    for n in range(3):
        holders.start(f"flood{n}", "10.0.0.9")
    await _settle()
    assert holders.admitted == ["flood0", "flood1"]
    assert (holders.admission.running, holders.admission.queued) == (2, 1)


async def test_another_address_is_admitted_beside_a_flooder(holders: Holders) -> None:
    for n in range(3):
        holders.start(f"flood{n}", "10.0.0.9")
    holders.start("fresh", "10.0.0.1")
    await _settle()
    assert holders.admitted == ["flood0", "flood1", "fresh"]


async def test_past_its_backlog_an_address_is_refused_at_once(holders: Holders) -> None:
    for n in range(5):  # two running, three queued
        holders.start(f"flood{n}", "10.0.0.9")
    await _settle()
    with pytest.raises(IdentityBusy) as refused:
        async with holders.admission.slot("10.0.0.9"):
            pass
    assert refused.value.status == 503 and refused.value.retry_after_s >= 1


async def test_freed_slots_go_round_robin_so_a_newcomer_does_not_wait_behind_a_flood(
    holders: Holders,
) -> None:
    holders.start("a0", "10.0.0.1")
    holders.start("a1", "10.0.0.1")
    holders.start("b0", "10.0.0.2")  # all three slots taken
    for n in range(2, 5):
        holders.start(f"a{n}", "10.0.0.1")
    await _settle()
    holders.start("c0", "10.0.0.3")  # queued after a flood from 10.0.0.1
    await _settle()
    await holders.let_go("b0")
    await holders.let_go("a0")
    assert holders.admitted[3:] == ["c0", "a2"]


async def test_freed_slots_alternate_between_waiting_addresses() -> None:
    holders = Holders(_admission(per_client=3))
    for name in ("a0", "b0", "c0", "a1", "a2", "b1", "b2"):
        holders.start(name, f"10.0.0.{ord(name[0])}")
        await _settle()
    await holders.let_go("c0")
    await holders.let_go("b0")
    await holders.let_go("a0")
    assert holders.admitted[3:] == ["a1", "b1", "a2"]


async def test_a_request_waits_at_most_the_configured_time() -> None:
    holders = Holders(_admission(total=1, wait_s=0.05))
    holders.start("first", "10.0.0.1")
    await _settle()
    with pytest.raises(IdentityBusy):
        async with holders.admission.slot("10.0.0.2"):
            pass
    assert holders.admission.queued == 0
    await holders.let_go("first")
    assert holders.admission.running == 0


async def test_the_total_backlog_is_bounded_across_addresses() -> None:
    holders = Holders(_admission(total=1, backlog=2))
    holders.start("first", "10.0.0.1")
    holders.start("second", "10.0.0.2")
    holders.start("third", "10.0.0.3")
    await _settle()
    assert holders.admission.queued == 2
    with pytest.raises(IdentityBusy):
        async with holders.admission.slot("10.0.0.4"):
            pass


async def test_a_cancelled_waiter_leaves_the_queue_and_its_slot_goes_on(holders: Holders) -> None:
    for name in ("a0", "a1", "b0", "a2", "b1"):
        holders.start(name, "10.0.0.1" if name.startswith("a") else "10.0.0.2")
    await _settle()
    holders.tasks["a2"].cancel()
    await _settle()
    assert holders.admission.queued == 1
    await holders.let_go("a0")
    assert holders.admitted == ["a0", "a1", "b0", "b1"]


async def test_a_slot_granted_as_its_waiter_is_cancelled_is_handed_on() -> None:
    admission = _admission(total=1)
    held = admission.slot("10.0.0.1")
    await held.__aenter__()
    holders = Holders(admission)
    waiter = holders.start("waiter", "10.0.0.2")
    await _settle()
    await held.__aexit__(None, None, None)  # hands the slot to the waiter without yielding ...
    waiter.cancel()  # ... which is cancelled before it runs again
    await _settle()
    assert holders.admitted == [] and (admission.running, admission.queued) == (0, 0)
