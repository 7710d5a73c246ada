"""The auth mode as one object: who is calling (keystone), or nobody to check (noauth)."""

from typing import Protocol

from control_plane.identity.policy import Caller
from control_plane.identity.tokens import TokenValidator

__all__ = ["Gate", "KeystoneGate", "NoAuthGate"]


class Gate(Protocol):
    """Turns a request's X-Auth-Token into a Caller; None means nothing is checked."""

    async def caller(self, token: str | None, *, client: str = "") -> Caller | None:
        """The validated caller; raises Unauthorized / IdentityUnavailable (IdentityBusy).

        `client`: the requesting address (clients.client_address), for per-client fairness.
        """


class NoAuthGate:
    """`--auth noauth`: the project is the one in the URL and tokens pass through untouched."""

    async def caller(self, token: str | None, *, client: str = "") -> Caller | None:
        return None


class KeystoneGate:
    """`--auth keystone`: every request carries a token Keystone accepts."""

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    async def caller(self, token: str | None, *, client: str = "") -> Caller:
        return await self.validator.validate(token, client=client)
