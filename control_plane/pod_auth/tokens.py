"""The tokens a probe round shows the pods: the gateway's own, and a fresh one, revoked.

Both belong to the gateway's service user. The revoked one comes from a session of its own (a new
token, never the one the gateway works with), revoked by itself (DELETE /v3/auth/tokens, which
Keystone lets a token's owner do) before any pod saw it: a pod that accepts it does not ask
Keystone. keystoneauth1 blocks, so the Keystone calls run in a thread.
"""

import asyncio
from dataclasses import dataclass, field

from keystoneauth1 import exceptions as ks_exc

from control_plane.decision.pods.service_token import ServiceToken
from control_plane.identity import IdentityUnavailable, service_session
from control_plane.settings import KeystoneSettings

__all__ = ["ProbeTokens", "RoundTokens"]


@dataclass(frozen=True, slots=True)
class RoundTokens:
    """What one round uses: the gateway's valid token, its project, and a revoked token."""

    project_id: str
    valid: str = field(repr=False)
    revoked: str = field(repr=False)


class ProbeTokens:
    """Hands each round its tokens; IdentityUnavailable when Keystone gives none."""

    def __init__(self, settings: KeystoneSettings, service: ServiceToken) -> None:
        self._settings = settings
        self._service = service

    async def for_round(self) -> RoundTokens:
        auth = await self._service.current()
        revoked = await asyncio.to_thread(self._revoked)
        return RoundTokens(project_id=auth.project_id, valid=auth.token, revoked=revoked)

    def invalidate(self) -> None:
        """A pod refused the gateway's own token: get a new one next round."""
        self._service.invalidate()

    def _revoked(self) -> str:
        session = service_session(self._settings)
        identity = {"service_type": "identity", "interface": self._settings.interface}
        if self._settings.region_name:
            identity["region_name"] = self._settings.region_name
        try:
            token = session.get_token()
            if not token:
                raise IdentityUnavailable("No probe token: Keystone gave none")
            session.delete(
                "/auth/tokens",
                endpoint_filter=identity,
                headers={"X-Subject-Token": token},
                log=False,
            )
        except ks_exc.ClientException as exc:
            raise IdentityUnavailable(f"No revoked probe token: {type(exc).__name__}") from exc
        return str(token)
