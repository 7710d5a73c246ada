"""Project and admin checks on a validated caller, and who is cloud admin (pure)."""

from datetime import UTC, datetime

import pytest

from control_plane.errors import Forbidden
from control_plane.identity.policy import AdminRule, Caller, Scope, authorize, require_admin

_EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
MEMBER = Caller("u1", "p1", frozenset({"member", "reader"}), is_admin=False, expires_at=_EXPIRES)
ADMIN = Caller("u2", "p2", frozenset({"admin", "member"}), is_admin=True, expires_at=_EXPIRES)


def test_a_member_may_use_its_own_project() -> None:
    authorize(MEMBER, "p1")


def test_a_member_may_not_use_another_project() -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(MEMBER, "p2")
    assert caught.value.status == 403
    assert b'"forbidden"' in caught.value.fault()


def test_an_admin_may_use_any_project() -> None:
    authorize(ADMIN, "p1")


def test_the_admin_api_refuses_a_member() -> None:
    with pytest.raises(Forbidden):
        require_admin(MEMBER)


def test_the_admin_api_accepts_an_admin() -> None:
    require_admin(ADMIN)


ROLE_ADMIN = frozenset({"admin", "member", "reader"})
ON_ADMIN_PROJECT = Scope(project_id="pa", project_name="admin", project_domain_name="Default")
ON_OTHER_PROJECT = Scope(project_id="p1", project_name="demo", project_domain_name="Default")
SYSTEM = Scope(system=True)
BY_NAME = AdminRule(project_name="admin")


@pytest.mark.parametrize(
    ("rule", "roles", "scope", "admin"),
    [
        (AdminRule(), ROLE_ADMIN, SYSTEM, True),
        (AdminRule(), frozenset({"reader"}), SYSTEM, False),
        (AdminRule(), ROLE_ADMIN, ON_ADMIN_PROJECT, False),  # no admin project configured
        (AdminRule(), ROLE_ADMIN, Scope(), False),  # domain-scoped or unscoped
        (BY_NAME, ROLE_ADMIN, ON_ADMIN_PROJECT, True),
        (BY_NAME, ROLE_ADMIN, ON_OTHER_PROJECT, False),
        (BY_NAME, frozenset({"member"}), ON_ADMIN_PROJECT, False),
        (BY_NAME, ROLE_ADMIN, SYSTEM, True),
        (
            AdminRule(project_name="admin", project_domain_name="ops"),
            ROLE_ADMIN,
            ON_ADMIN_PROJECT,
            False,  # a project of that name in another domain
        ),
        (AdminRule(project_id="pa"), ROLE_ADMIN, ON_ADMIN_PROJECT, True),
        (AdminRule(project_id="pa"), ROLE_ADMIN, ON_OTHER_PROJECT, False),
        (AdminRule(role="cloud-admin"), ROLE_ADMIN, SYSTEM, False),
        (AdminRule(role="cloud-admin"), frozenset({"cloud-admin"}), SYSTEM, True),
    ],
)
def test_who_is_cloud_admin(rule: AdminRule, roles: frozenset[str], scope: Scope, admin: bool):
    assert rule.admits(roles, scope) is admin


@pytest.mark.parametrize(
    ("rule", "roles", "scope", "project_admin"),
    [
        (AdminRule(), ROLE_ADMIN, ON_OTHER_PROJECT, False),
        (AdminRule(any_project=True), ROLE_ADMIN, ON_OTHER_PROJECT, True),
        (AdminRule(any_project=True), frozenset({"member"}), ON_OTHER_PROJECT, False),
        (AdminRule(any_project=True), ROLE_ADMIN, SYSTEM, False),  # system scope: is_admin
        (AdminRule(any_project=True), ROLE_ADMIN, Scope(), False),  # domain-scoped
    ],
)
def test_project_admins_act_on_any_project_only_when_the_rule_says(
    rule: AdminRule, roles: frozenset[str], scope: Scope, project_admin: bool
) -> None:
    assert rule.admits_project_admin(roles, scope) is project_admin
    assert not rule.admits(roles, scope) or scope.system
