"""Concurrent writes of one kind share a transaction (group commit).

Under a burst of creates each routing write would otherwise take the single SQLite writer in
turn, with a transaction, a commit and several thread hops each; the writes queue behind each
other. Here whoever arrives while a batch is being written goes into the next batch, so a burst
costs a few transactions, and a lone write is not delayed.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

In = TypeVar("In")
Out = TypeVar("Out")


class GroupCommit(Generic[In, Out]):
    """`submit` one item; `write` receives a batch and returns one result per item, in order.

    A failed batch fails each of its callers with the same exception.
    """

    def __init__(
        self, write: Callable[[list[In]], Awaitable[Sequence[Out]]], *, max_batch: int = 256
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self.batches += 1
            try:
                results = await self._write([item for item, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
