"""The gateway's own token for its background pod reads, from a real Keystone."""

import pytest

from control_plane.decision.pods.service_token import ServiceToken
from control_plane.identity import IdentityUnavailable, service_session
from harness.keystone import Keystone
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = KEYSTONE_MARKS


async def test_the_token_is_scoped_to_the_service_users_project(keystone: Keystone) -> None:
    token = ServiceToken(service_session(keystone.settings()))
    auth = await token.current()
    assert auth.project_id == keystone.project_ids["service"]
    assert auth.token and (await token.current()).token == auth.token  # kept, not re-issued


async def test_an_invalidated_token_is_replaced(keystone: Keystone) -> None:
    token = ServiceToken(service_session(keystone.settings()))
    first = await token.current()
    token.invalidate()
    assert (await token.current()).token != first.token


async def test_refused_credentials_give_no_token(keystone: Keystone) -> None:
    token = ServiceToken(service_session(keystone.settings(password="wrong")))
    with pytest.raises(IdentityUnavailable, match="No service token"):
        await token.current()
