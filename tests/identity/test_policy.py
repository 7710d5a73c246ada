"""Project and admin checks on a validated caller (pure)."""

from datetime import UTC, datetime

import pytest

from control_plane.errors import Forbidden
from control_plane.identity.policy import Caller, authorize, require_admin

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
