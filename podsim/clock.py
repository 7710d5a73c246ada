"""Creation timestamps that strictly increase, so sorting by them is sorting by creation order.

NOTE: Nova shows `created` with one-second resolution ("2024-01-02T03:04:05Z"). Were two servers
created in the same second to sort by a hidden sub-second value, a pod's page order would not
follow from the fields a client (or Podgate's merge) can see. So the compute clock steps by whole
seconds and never repeats: a burst of N creations runs up to N seconds ahead of the wall clock.
Cinder shows microseconds, so the volume clock steps by one microsecond.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Hands out UTC timestamps at `step` resolution, each later than the one before."""

    def __init__(self, step: timedelta, now: Callable[[], datetime] = _utcnow) -> None:
        self._step = step
        self._now = now
        self._last: datetime | None = None

    def tick(self) -> datetime:
        """The next timestamp: now (truncated to the step) or one step after the last one."""
        now = self._now()
        current = now - (now - _EPOCH) % self._step
        if self._last is not None and current <= self._last:
            current = self._last + self._step
        self._last = current
        return current
