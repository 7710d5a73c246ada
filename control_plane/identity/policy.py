"""Who is calling and what they may do: the project in the URL must be the token's, or admin.

Cloud admin (any project's resources, `all_tenants`, the admin API) is decided once per token
by AdminRule, from the token's scope and roles:

- a system-scoped token with the admin role (`openstack --os-system-scope all`), or
- a token scoped to the configured admin project (`[keystone] admin_project_id`, or
  `admin_project_name` in `admin_project_domain_name`) with the admin role.

NOTE: a role named `admin` on any other project is not cloud admin here (Keystone bug 968696,
"admin-ness not properly scoped"): its holder is treated as a member of that project. Pods whose
policy still treats it as admin of every project (Nova's and Cinder's defaults while
`enforce_scope` is off; Tempest's dynamic admin credentials rely on it) are matched with
`[keystone] admin_on_any_project`: such a token then acts on any project's resources as at the
pods, but is never admin of the gateway itself (the admin API).
"""

from dataclasses import dataclass
from datetime import datetime

from control_plane.errors import Forbidden

__all__ = ["ADMIN_ROLE", "AdminRule", "Caller", "Scope", "authorize", "require_admin"]

# The Keystone role that makes a token's holder cloud admin, on the scopes AdminRule names.
ADMIN_ROLE = "admin"
_NOT_ADMIN = "Cloud admin required: the admin role on the system scope or the admin project."


@dataclass(frozen=True, slots=True)
class Caller:
    """A validated token's identity: enough to authorize a request, never the token itself.

    `project_id` is "" for a system- or domain-scoped token; `is_admin` is AdminRule's verdict
    (cloud admin, the admin API included); `project_admin` a project admin the rule lets act on
    every project's resources, as the pods would.
    """

    user_id: str
    project_id: str
    roles: frozenset[str]
    is_admin: bool
    expires_at: datetime
    project_admin: bool = False

    @property
    def any_project(self) -> bool:
        """May act on other projects' resources and list every project's."""
        return self.is_admin or self.project_admin


@dataclass(frozen=True, slots=True)
class Scope:
    """What a token is scoped to, as Keystone's validation answer says."""

    system: bool = False
    project_id: str = ""
    project_name: str = ""
    project_domain_name: str = ""


@dataclass(frozen=True, slots=True)
class AdminRule:
    """Which tokens are cloud admins: `role` on the system scope, or on the admin project.

    Without an admin project (no id and no name) only system-scoped tokens qualify.
    """

    role: str = ADMIN_ROLE
    project_id: str = ""
    project_name: str = ""
    project_domain_name: str = "Default"
    # The role on any project lets its holder act on every project's resources (not the admin
    # API), as the pods' own policy does while it does not enforce scope.
    any_project: bool = False

    def admits(self, roles: frozenset[str], scope: Scope) -> bool:
        """Whether a token with `roles` on `scope` is cloud admin."""
        if self.role not in roles:
            return False
        return scope.system or self._is_admin_project(scope)

    def admits_project_admin(self, roles: frozenset[str], scope: Scope) -> bool:
        """Whether a project admin may act on every project's resources (`any_project`)."""
        return self.any_project and self.role in roles and bool(scope.project_id)

    def _is_admin_project(self, scope: Scope) -> bool:
        if not scope.project_id:
            return False
        if self.project_id:
            return scope.project_id == self.project_id
        return bool(self.project_name) and (scope.project_name, scope.project_domain_name) == (
            self.project_name,
            self.project_domain_name,
        )


def authorize(caller: Caller, url_project: str) -> None:
    """Refuse a request for another project's URL unless the caller is cloud admin."""
    if caller.project_id != url_project and not caller.any_project:
        raise Forbidden(f"The token is not scoped to project {url_project}.")


def require_admin(caller: Caller) -> None:
    """Refuse the admin API to callers that are not cloud admin (see AdminRule)."""
    if not caller.is_admin:
        raise Forbidden(_NOT_ADMIN)
