"""Statuses that move as the real services move them: a transitional status first (BUILD,
creating, attaching, detaching, deleting), the final one `settle_s` seconds later.

With `settle_s` 0 (the default) the final state is there at once, so a client that does not
poll sees what it always saw; a pod started with `--settle-ms` makes clients poll like they must
against a real cloud (openstack ... --wait, openstacksdk's wait_for_status).
"""

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from podsim.kind import Record

__all__ = ["Settling"]


class Settling:
    """Moves records from their transitional fields to their final ones after `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def move(
        self,
        record: Record,
        during: Mapping[str, Any],
        after: Mapping[str, Any],
        then: Callable[[], None] | None = None,
    ) -> None:
        """Show `during` now and `after` (then run `then`) once settled; all at once for 0 s."""

        def settle() -> None:
            record.update(after)
            if then is not None:
                then()

        if self.seconds <= 0:
            settle()
            return
        record.update(during)
        asyncio.get_running_loop().call_later(self.seconds, settle)

    def finish(self, action: Callable[[], None]) -> None:
        """Run `action` (a removal) once settled; at once for 0 s."""
        if self.seconds <= 0:
            action()
        else:
            asyncio.get_running_loop().call_later(self.seconds, action)
