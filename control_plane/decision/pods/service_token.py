"""The gateway's own token (its Keystone service user) for the calls it makes to pods unasked.

A user's request carries the user's token to the pods; background reads (capacity.py) have none,
so they go as the service user, whose admin role the pods' admin-only APIs need. keystoneauth1
keeps the token until it nears expiry; a pod refusing it (401) makes the next call get a new one.
"""

import asyncio
from dataclasses import dataclass

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from control_plane.identity import IdentityUnavailable

__all__ = ["ServiceAuth", "ServiceToken"]


@dataclass(frozen=True, slots=True)
class ServiceAuth:
    """A token and the project it is scoped to (pods' URLs name a project)."""

    token: str
    project_id: str


class ServiceToken:
    """The service user's current token, from a keystoneauth1 session (blocking: in a thread)."""

    def __init__(self, session: ks_session.Session) -> None:
        self._session = session

    async def current(self) -> ServiceAuth:
        """The token; IdentityUnavailable when Keystone does not give one."""
        return await asyncio.to_thread(self._read)

    def invalidate(self) -> None:
        """Forget the token: a pod refused it."""
        self._session.invalidate()

    def _read(self) -> ServiceAuth:
        try:
            token = self._session.get_token()
            project_id = self._session.get_project_id()
        except ks_exc.ClientException as exc:
            raise IdentityUnavailable(f"No service token: {type(exc).__name__}") from exc
        if not token or not project_id:
            raise IdentityUnavailable("No service token: the service user has no project scope")
        return ServiceAuth(token, project_id)
