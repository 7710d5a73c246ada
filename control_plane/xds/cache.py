"""The latest consistent Snapshot, a wake-up for ADS streams, and what each Envoy accepted."""

import asyncio
from dataclasses import dataclass

from control_plane.xds.snapshot import Snapshot

__all__ = ["Nack", "SnapshotCache"]


@dataclass(frozen=True, slots=True)
class Nack:
    """An Envoy refused `version` of one type; kept until it ACKs a later version."""

    version: str
    message: str


class SnapshotCache:
    """Accepts only consistent snapshots, so a bad translation never reaches Envoy."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None
        self._changed = asyncio.Event()
        self._acked: dict[str, dict[str, str]] = {}
        self._nacks: dict[str, dict[str, Nack]] = {}

    @property
    def current(self) -> Snapshot | None:
        """The last snapshot accepted by `set`, or None before the first one."""
        return self._current

    def set(self, snapshot: Snapshot) -> None:
        """Check, store and wake waiters; raises InconsistentSnapshot and keeps the old one."""
        snapshot.check_consistent()
        if self._current is not None and self._current.versions == snapshot.versions:
            return
        self._current = snapshot
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for_change(self, after: Snapshot | None) -> Snapshot:
        """Return the current snapshot as soon as it is a different one than `after`."""
        while self._current is None or self._current is after:
            await self._changed.wait()
        return self._current

    def record_ack(self, node_id: str, type_url: str, version: str) -> None:
        """Envoy `node_id` applied `version` of `type_url`."""
        self._acked.setdefault(node_id, {})[type_url] = version
        self._nacks.get(node_id, {}).pop(type_url, None)

    def record_nack(self, node_id: str, type_url: str, version: str, message: str) -> None:
        """Envoy `node_id` rejected `version` of `type_url` with `message`."""
        self._nacks.setdefault(node_id, {})[type_url] = Nack(version, message)

    def acked(self, node_id: str) -> dict[str, str]:
        """Type URL -> last version this Envoy ACKed."""
        return dict(self._acked.get(node_id, {}))

    def nacks(self, node_id: str) -> dict[str, Nack]:
        """Type URL -> the rejection this Envoy reported since its last ACK of that type."""
        return dict(self._nacks.get(node_id, {}))

    def node_ids(self) -> tuple[str, ...]:
        """Every Envoy that has ACKed or NACKed anything, sorted."""
        return tuple(sorted(self._acked.keys() | self._nacks.keys()))
