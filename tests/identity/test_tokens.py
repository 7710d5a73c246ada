"""Token validation against a real Keystone: callers, rejections, caching, coalescing, outages."""

import asyncio
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from keystoneauth1 import session as ks_session

from control_plane.errors import Unauthorized
from control_plane.identity import (
    Caller,
    IdentityBusy,
    IdentityUnavailable,
    TokenValidator,
    service_session,
    tokens,
)
from harness.keystone import ADMIN, ADMIN_PROJECT, DEMO, SERVICE, Keystone
from harness.procs import free_port
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = KEYSTONE_MARKS


class _Clock:
    """The token cache's clock, moved by the test: a loaded machine cannot age an entry early."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(
        tokens, "time", fake
    )  # the cache's only use of `time`; the loop keeps its own
    return fake


class CountingSession(ks_session.Session):
    """A keystoneauth1 session that counts token validations (GET /auth/tokens) it sends."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validations = 0
        self._lock = threading.Lock()

    def request(self, url: str, method: str, **kwargs: Any) -> Any:
        if method == "GET" and "/auth/tokens" in url:
            with self._lock:
                self.validations += 1
        return super().request(url, method, **kwargs)


def _validator(keystone: Keystone, **settings: object) -> tuple[TokenValidator, CountingSession]:
    config = keystone.settings(**settings)
    session = CountingSession(auth=service_session(config).auth)
    return TokenValidator(config, session=session), session


async def test_a_valid_token_gives_its_user_project_and_roles(keystone: Keystone) -> None:
    validator, _ = _validator(keystone)
    caller = await validator.validate(keystone.token(*DEMO))
    assert caller.project_id == keystone.project_ids["demo"]
    assert "member" in caller.roles
    assert not caller.is_admin
    assert caller.user_id
    assert caller.expires_at > datetime.now(UTC)


async def test_admin_on_the_admin_project_is_cloud_admin(keystone: Keystone) -> None:
    validator, _ = _validator(keystone)
    caller = await validator.validate(keystone.token(*ADMIN))
    assert caller.is_admin
    assert caller.project_id == keystone.project_ids[ADMIN_PROJECT]


async def test_a_system_scoped_admin_is_cloud_admin_without_an_admin_project(
    keystone: Keystone,
) -> None:
    validator, _ = _validator(keystone, admin_project_name="")
    user, password, _ = ADMIN
    caller = await validator.validate(keystone.system_token(user, password))
    assert caller.is_admin and caller.project_id == ""
    assert not (await validator.validate(keystone.token(*ADMIN))).is_admin


async def test_admin_on_another_project_is_not_cloud_admin(keystone: Keystone) -> None:
    validator, _ = _validator(keystone)
    caller = await validator.validate(keystone.token(*SERVICE))  # the admin role on `service`
    assert "admin" in caller.roles and not caller.is_admin
    by_id, _ = _validator(keystone, admin_project_id=keystone.project_ids["service"])
    assert (await by_id.validate(keystone.token(*SERVICE))).is_admin


async def test_a_flooding_address_is_refused_while_another_is_served(keystone: Keystone) -> None:
    validator, session = _validator(
        keystone,
        validation_concurrency=4,
        validation_concurrency_per_client=1,
        validation_backlog_per_client=2,
        validation_wait_s=60,  # however slow Keystone is here, the queued ones get their turn
    )
    token = keystone.token(*DEMO)
    flood = [validator.validate(f"bogus{n}", client="10.0.0.9") for n in range(100)]
    answers = await asyncio.gather(
        *flood, validator.validate(token, client="10.0.0.1"), return_exceptions=True
    )
    assert isinstance(answers[-1], Caller)
    refused = [a for a in answers if isinstance(a, IdentityBusy)]
    rejected = [a for a in answers if type(a) is Unauthorized]
    assert (len(refused), len(rejected)) == (97, 3)
    assert session.validations == 4


@pytest.mark.parametrize(
    "token", ["garbage", "gAAAAABo" + "x" * 180], ids=["garbage", "fernet-shaped"]
)
async def test_a_token_keystone_does_not_know_is_unauthorized(
    keystone: Keystone, token: str
) -> None:
    validator, session = _validator(keystone)
    with pytest.raises(Unauthorized) as caught:
        await validator.validate(token)
    assert caught.value.status == 401
    assert session.validations == 1


@pytest.mark.parametrize(
    "token", [None, "", "a\nb", "x" * 10_000, "a b", "tökén", "a/b+c"], ids=repr
)
async def test_a_missing_or_malformed_token_is_refused_without_asking_keystone(
    keystone: Keystone, token: str | None
) -> None:
    validator, session = _validator(keystone)
    with pytest.raises(Unauthorized):
        await validator.validate(token)
    assert session.validations == 0


async def test_a_rejection_is_cached_for_the_negative_ttl(
    keystone: Keystone, clock: _Clock
) -> None:
    validator, session = _validator(keystone, negative_cache_ttl_s=1.0)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await validator.validate("garbage")
    assert session.validations == 1
    assert validator.stats.hits == 2
    clock.now += 0.9
    with pytest.raises(Unauthorized):
        await validator.validate("garbage")
    assert session.validations == 1  # still cached
    clock.now += 0.2
    with pytest.raises(Unauthorized):
        await validator.validate("garbage")
    assert session.validations == 2


async def test_a_revoked_token_stays_cached_until_the_ttl_ends(
    keystone: Keystone, clock: _Clock
) -> None:
    validator, session = _validator(keystone, token_cache_ttl_s=2.0)
    token = keystone.token(*DEMO)
    caller = await validator.validate(token)
    keystone.revoke(token)
    assert await validator.validate(token) == caller
    assert session.validations == 1
    fresh, _ = _validator(keystone)
    with pytest.raises(Unauthorized):
        await fresh.validate(token)
    clock.now += 2.1
    with pytest.raises(Unauthorized):
        await validator.validate(token)
    assert session.validations == 2


async def test_concurrent_validations_of_one_token_make_one_keystone_call(
    keystone: Keystone,
) -> None:
    validator, session = _validator(keystone)
    token = keystone.token(*DEMO)
    callers = await asyncio.gather(*(validator.validate(token) for _ in range(20)))
    assert len(set(callers)) == 1
    assert session.validations == 1
    assert (validator.stats.misses, validator.stats.joined) == (1, 19)
    await validator.validate(token)
    assert session.validations == 1
    assert validator.stats.hits == 1


async def test_without_a_positive_ttl_every_validation_asks_keystone(keystone: Keystone) -> None:
    validator, session = _validator(keystone, token_cache_ttl_s=0.0)
    token = keystone.token(*DEMO)
    await validator.validate(token)
    await validator.validate(token)
    assert session.validations == 2


async def test_keystone_down_is_unavailable_and_not_cached(keystone: Keystone) -> None:
    validator, _ = _validator(keystone, auth_url=f"http://127.0.0.1:{free_port()}/v3", timeout=2.0)
    for _ in range(2):
        with pytest.raises(IdentityUnavailable) as caught:
            await validator.validate(keystone.token(*DEMO))
        assert caught.value.status == 503
    assert validator.stats.misses == 2


async def test_refused_service_credentials_are_unavailable_not_unauthorized(
    keystone: Keystone,
) -> None:
    validator, _ = _validator(keystone, password="wrong")
    token = keystone.token(*DEMO)
    for _ in range(2):
        with pytest.raises(IdentityUnavailable):
            await validator.validate(token)
    assert validator.stats.misses == 2


async def test_tokens_never_reach_the_logs(
    keystone: Keystone, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = keystone.token(*DEMO)
    validator, _ = _validator(keystone)
    await validator.validate(token)
    down, _ = _validator(keystone, auth_url=f"http://127.0.0.1:{free_port()}/v3", timeout=2.0)
    with pytest.raises(IdentityUnavailable):
        await down.validate(token)
    assert caplog.records
    assert token not in caplog.text
