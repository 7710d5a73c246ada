"""One request's microversion: checked against the pods' window, named in the gateway's answers.

The window is read only when needed (a version was asked for, or the gateway answers itself)
and at most once per request; `start` begins reading it early so it overlaps with pod calls.
"""

import asyncio
from collections.abc import Callable, Mapping

from control_plane.decision.versions.microversions import (
    BASE_WINDOWS,
    MICROVERSIONED,
    Negotiated,
    Version,
    Window,
    answer_headers,
    negotiate,
    requested,
)
from control_plane.decision.versions.windows import VersionWindows
from control_plane.errors import PodgateError
from control_plane.model import Pod, Service

__all__ = ["Negotiation"]


class Negotiation:
    """The microversion state of one request on `service`'s API."""

    def __init__(
        self, service: Service, windows: VersionWindows, pods: Callable[[], Mapping[str, Pod]]
    ) -> None:
        self._service = service
        self._windows = windows
        self._pods = pods
        self._negotiated: Negotiated | None = None
        self._refused = False
        self._task: asyncio.Task[Window] | None = None

    async def check(self, headers: Mapping[str, str]) -> None:
        """Accept the version the request names, if any; BadRequest or NotAcceptable else."""
        if requested(self._service, headers) is None:
            return
        try:
            self._negotiated = negotiate(self._service, headers, await self.window())
        except PodgateError:
            self._refused = True
            raise

    def rewrite(self) -> dict[str, str]:
        """Request headers that give the pod the concrete version (`latest` resolved)."""
        return dict(self._negotiated.rewrite) if self._negotiated is not None else {}

    async def headers(self, *, refused: bool = False) -> dict[str, str]:
        """The version headers of a gateway answer: the version in effect, none if refused."""
        version: Version | None = None
        if not (refused or self._refused):
            negotiated = self._negotiated
            version = negotiated.version if negotiated else (await self.window()).minimum
        return answer_headers(self._service, version)

    def start(self) -> None:
        """Begin reading the window now (once per request)."""
        if self._task is None and self._service in MICROVERSIONED:
            pods = self._pods().values()
            self._task = asyncio.create_task(self._windows.window(self._service, pods))

    async def window(self) -> Window:
        """What every pod supports, as read for this request (an API without any: its base)."""
        if self._service not in MICROVERSIONED:
            return BASE_WINDOWS[self._service]
        self.start()
        assert self._task is not None
        return await self._task
