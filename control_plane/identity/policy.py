"""Who is calling and what they may do: the project in the URL must be the token's, or admin."""

from dataclasses import dataclass
from datetime import datetime

from control_plane.errors import Forbidden

__all__ = ["ADMIN_ROLE", "Caller", "authorize", "require_admin"]

# The Keystone role that may act on any project and use the admin API.
ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """A validated token's identity: enough to authorize a request, never the token itself."""

    user_id: str
    project_id: str
    roles: frozenset[str]
    is_admin: bool
    expires_at: datetime


def authorize(caller: Caller, url_project: str) -> None:
    """Refuse a request for another project's URL unless the caller is admin (Trio2o trusted it)."""
    if caller.project_id != url_project and not caller.is_admin:
        raise Forbidden(f"The token is not scoped to project {url_project}.")


def require_admin(caller: Caller) -> None:
    """Refuse the admin API to callers without the admin role."""
    if not caller.is_admin:
        raise Forbidden(f"The {ADMIN_ROLE} role is required.")
