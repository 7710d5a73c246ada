"""Quota limits over all pods, stored per project (and Nova user) and resource."""

import pytest

from control_plane.errors import BadRequest
from control_plane.model import QuotaScope, Service
from control_plane.store import Store

NOVA = QuotaScope(Service.COMPUTE, "p1")
ALICE = QuotaScope(Service.COMPUTE, "p1", "alice")
CINDER = QuotaScope(Service.VOLUME, "p1")


async def test_limits_are_replaced_per_resource_and_kept_apart_per_scope(store: Store) -> None:
    await store.set_quota_limits(NOVA, {"instances": 3, "cores": -1})
    await store.set_quota_limits(NOVA, {"instances": 5})
    await store.set_quota_limits(ALICE, {"ram": 2048})
    await store.set_quota_limits(CINDER, {"volumes": 2})
    assert await store.quota_limits(NOVA) == {"instances": 5, "cores": -1}
    assert await store.quota_limits(ALICE) == {"ram": 2048}
    assert await store.quota_scopes() == [NOVA, ALICE, CINDER]


async def test_deleting_a_project_forgets_its_users_only_when_asked(store: Store) -> None:
    await store.set_quota_limits(NOVA, {"instances": 3})
    await store.set_quota_limits(ALICE, {"ram": 2048})
    await store.delete_quota_limits(NOVA)
    assert await store.quota_scopes() == [ALICE]
    await store.set_quota_limits(NOVA, {"instances": 3})
    await store.delete_quota_limits(NOVA, every_user=True)
    assert await store.quota_scopes() == []


async def test_a_limit_below_minus_one_is_refused(store: Store) -> None:
    with pytest.raises(BadRequest):
        await store.set_quota_limits(NOVA, {"instances": -2})
    assert await store.quota_limits(NOVA) == {}
