"""Routing reads of concurrent lookups go to the store together, a few at a time."""

import asyncio
from collections.abc import Sequence

import pytest

from control_plane.decision.routed.batched_reads import BatchedReads
from control_plane.model import ResourceType, Routing

_SERVER, _VOLUME = ResourceType.SERVER, ResourceType.VOLUME


class Store:
    def __init__(self, gate: asyncio.Event) -> None:
        self.reads: list[tuple[ResourceType, tuple[str, ...]]] = []
        self.out = 0
        self.most_out = 0
        self._gate = gate

    async def get_routings(self, kind: ResourceType, ids: Sequence[str]) -> list[Routing]:
        self.reads.append((kind, tuple(ids)))
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        await self._gate.wait()
        self.out -= 1
        if "broken" in ids:
            raise OSError("database gone")
        return [Routing(i, kind, "p", "pod") for i in ids if i.startswith("known")]


async def test_lookups_made_while_a_read_is_out_share_the_next_read():
    gate = asyncio.Event()
    store = Store(gate)
    reads = BatchedReads(store.get_routings)
    first = asyncio.create_task(reads.get(_SERVER, "known-0"))
    await asyncio.sleep(0)  # its read is out, waiting on the store
    later = [asyncio.create_task(reads.get(_SERVER, f"known-{n}")) for n in range(1, 37)]
    later.append(asyncio.create_task(reads.get(_VOLUME, "other")))
    later.append(asyncio.create_task(reads.get(_SERVER, "known-1")))  # asked twice
    await asyncio.sleep(0)
    gate.set()
    found = await asyncio.gather(first, *later)
    assert [routing.resource_id for routing in found[:37]] == [f"known-{n}" for n in range(37)]
    assert found[-2] is None and found[-1] == found[1]
    assert store.reads == [
        (_SERVER, ("known-0",)),
        (_SERVER, tuple(f"known-{n}" for n in range(1, 37))),
        (_VOLUME, ("other",)),
    ]
    assert store.most_out == 2


async def test_a_failed_read_fails_its_lookups_and_the_next_reads_go_on():
    gate = asyncio.Event()
    gate.set()
    reads = BatchedReads(Store(gate).get_routings)
    with pytest.raises(OSError):
        await reads.get(_SERVER, "broken")
    assert (await reads.get(_SERVER, "known-1")).pod_name == "pod"
