"""Keystone's answers per token digest, accepted and rejected ones in two separate LRUs.

Anyone can send rejected tokens, in any number; only Keystone's users can make accepted ones.
Kept apart, a flood of bogus tokens only ever evicts other bogus tokens, never a valid one.
Times are the caller's monotonic clock, so the cache itself stays pure.
"""

from collections import OrderedDict
from dataclasses import dataclass

from control_plane.identity.policy import Caller

__all__ = ["Answer", "TokenCache"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A cached answer until `until`: the caller, or None when Keystone rejected the token."""

    caller: Caller | None
    until: float


class TokenCache:
    """Bounded, least recently used first out; each kind of answer only evicts its own kind."""

    def __init__(self, *, size: int, negative_size: int) -> None:
        self._accepted = _Lru(size)
        self._rejected = _Lru(negative_size)

    def __len__(self) -> int:
        return len(self._accepted) + len(self._rejected)

    @property
    def accepted(self) -> int:
        return len(self._accepted)

    def answer(self, key: bytes, now: float) -> Answer | None:
        """The fresh answer for `key`, or None (never cached, expired or evicted)."""
        return self._accepted.fresh(key, now) or self._rejected.fresh(key, now)

    def accept(self, key: bytes, caller: Caller, until: float) -> None:
        self._rejected.drop(key)
        self._accepted.put(key, Answer(caller, until))

    def reject(self, key: bytes, until: float) -> None:
        self._accepted.drop(key)
        self._rejected.put(key, Answer(None, until))


class _Lru:
    """One bounded LRU of answers."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, Answer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def fresh(self, key: bytes, now: float) -> Answer | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found.until <= now:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return found

    def put(self, key: bytes, answer: Answer) -> None:
        self._items[key] = answer
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def drop(self, key: bytes) -> None:
        self._items.pop(key, None)
