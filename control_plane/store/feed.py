"""Committed changes, fanned out in this process to whatever keeps state derived from the store.

The store publishes its own writes once they commit; the PostgreSQL listener (other replicas'
writes) and a decision worker's link (the main process's writes) publish into the same feed, so
each subscriber follows every change the same way, wherever it was written.
"""

from collections.abc import Awaitable, Callable, Sequence

from control_plane.store.changes import Change

__all__ = ["ChangeFeed", "Subscriber"]

Subscriber = Callable[[Sequence[Change]], Awaitable[None]]


class ChangeFeed:
    """Subscribers are awaited in the order they subscribed, each with the whole batch.

    A write returns once its subscribers have run (a created pod is routable when CreatePod
    answers); a subscriber's error reaches the writer.
    """

    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, bool]] = []

    def subscribe(self, subscriber: Subscriber, *, own_only: bool = False) -> None:
        """Hear of every change, or (`own_only`) only of this process's own writes."""
        self._subscribers.append((subscriber, own_only))

    async def publish(self, changes: Sequence[Change], *, own: bool) -> None:
        """Hand `changes` (one commit's, or a batch received) to the subscribers."""
        for subscriber, own_only in self._subscribers:
            if own or not own_only:
                await subscriber(changes)
