"""Fair admission to Keystone validations: bounded in total and per client address.

A token the cache does not know costs a Keystone call, and anyone can send new random tokens.
So at most `total` validations run at once, at most `per_client` of them for one client address.
A request past that waits in its address's queue; a freed slot goes to the waiting addresses in
turn (round robin), so a flooding address waits behind everyone else instead of everyone
waiting behind it. Queues are short and waits bounded: past them the request fails at once with
IdentityBusy (503 and Retry-After), never piling up behind Keystone.
"""

import asyncio
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from control_plane.identity.session import IdentityBusy

__all__ = ["Admission"]

_BUSY = "Too many token validations in progress; retry later."


class Admission:
    """Slots for Keystone calls, shared fairly between client addresses."""

    def __init__(
        self, *, total: int, per_client: int, backlog: int, backlog_per_client: int, wait_s: float
    ) -> None:
        self._total = total
        self._per_client = per_client
        self._backlog = backlog
        self._backlog_per_client = backlog_per_client
        self._wait_s = wait_s
        self._running: Counter[str] = Counter()
        # Addresses with waiting requests, the one served longest ago first.
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._queued = 0

    @property
    def running(self) -> int:
        return self._running.total()

    @property
    def queued(self) -> int:
        return self._queued

    @asynccontextmanager
    async def slot(self, client: str) -> AsyncIterator[None]:
        """Hold one validation slot for `client`; IdentityBusy when it cannot have one soon."""
        await self._acquire(client)
        try:
            yield
        finally:
            self._release(client)

    async def _acquire(self, client: str) -> None:
        if client not in self._waiting and self._free_for(client):
            self._running[client] += 1
            return
        queue = self._waiting.get(client)
        if self._queued >= self._backlog or len(queue or ()) >= self._backlog_per_client:
            raise IdentityBusy(_BUSY)
        if queue is None:
            queue = self._waiting[client] = deque()
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(granted)
        self._queued += 1
        try:
            async with asyncio.timeout(self._wait_s):
                await asyncio.shield(granted)  # only this waiter's cleanup cancels `granted`
        except BaseException as exc:
            if granted.done():
                self._release(client)  # granted just as the wait ended: hand the slot on
            else:
                granted.cancel()
                self._unqueue(client, granted)
            if isinstance(exc, TimeoutError):
                raise IdentityBusy(_BUSY) from None
            raise

    def _free_for(self, client: str) -> bool:
        return self.running < self._total and self._running[client] < self._per_client

    def _unqueue(self, client: str, granted: asyncio.Future[None]) -> None:
        queue = self._waiting.get(client)
        if queue is not None and granted in queue:
            queue.remove(granted)
            self._queued -= 1
            if not queue:
                del self._waiting[client]

    def _release(self, client: str) -> None:
        self._running[client] -= 1
        if self._running[client] <= 0:
            del self._running[client]
        self._grant()

    def _grant(self) -> None:
        """Hand free slots to waiting addresses in turn, each served one moving to the back."""
        for client in list(self._waiting):
            if self.running >= self._total:
                return
            if self._running[client] >= self._per_client:
                continue
            queue = self._waiting[client]
            granted = queue.popleft()
            self._queued -= 1
            if not queue:
                del self._waiting[client]
            else:
                self._waiting.move_to_end(client)
            self._running[client] += 1
            granted.set_result(None)
