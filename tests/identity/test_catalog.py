"""Pod endpoints from a real Keystone's catalog, by region."""

import uuid

import pytest
from keystoneauth1.identity import v3

from control_plane.identity import PROJECT_TEMPLATE, Catalog, IdentityUnavailable, service_session
from harness.keystone import Keystone
from harness.procs import free_port
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = KEYSTONE_MARKS

POD1 = {
    "compute": "http://127.0.0.1:18774/v2.1",
    "volumev3": f"http://127.0.0.1:18776/v3/{PROJECT_TEMPLATE}",
}


async def test_a_region_gives_its_compute_and_volume_endpoints(keystone: Keystone) -> None:
    keystone.add_endpoints("Pod1", POD1)
    assert await Catalog(keystone.settings()).endpoints_for("Pod1") == POD1


async def test_a_region_missing_from_the_catalog_gives_nothing(keystone: Keystone) -> None:
    assert await Catalog(keystone.settings()).endpoints_for("Nowhere") == {}


async def test_refresh_picks_up_an_endpoint_added_after_the_first_read(
    keystone: Keystone,
) -> None:
    region = f"Pod-{uuid.uuid4().hex[:8]}"
    catalog = Catalog(keystone.settings())
    assert await catalog.endpoints_for(region) == {}
    keystone.add_endpoints(region, {"compute": "http://127.0.0.1:28774/v2.1"})
    assert await catalog.endpoints_for(region) == {}
    await catalog.refresh()
    assert await catalog.endpoints_for(region) == {"compute": "http://127.0.0.1:28774/v2.1"}


async def test_an_old_catalog_is_re_read_on_use(keystone: Keystone) -> None:
    region = f"Pod-{uuid.uuid4().hex[:8]}"
    catalog = Catalog(keystone.settings(catalog_refresh_s=0.0))
    assert await catalog.endpoints_for(region) == {}
    keystone.add_endpoints(region, {"volumev3": "http://127.0.0.1:28776/v3"})
    assert await catalog.endpoints_for(region) == {"volumev3": "http://127.0.0.1:28776/v3"}


async def test_the_interface_setting_picks_the_endpoint(keystone: Keystone) -> None:
    region = f"Pod-{uuid.uuid4().hex[:8]}"
    keystone.add_endpoints(region, {"compute": "http://public:8774/v2.1"}, ("public",))
    keystone.add_endpoints(region, {"compute": "http://internal:8774/v2.1"}, ("internal",))
    catalog = Catalog(keystone.settings(interface="internal"))
    assert await catalog.endpoints_for(region) == {"compute": "http://internal:8774/v2.1"}


async def test_keystone_down_is_unavailable(keystone: Keystone) -> None:
    catalog = Catalog(keystone.settings(auth_url=f"http://127.0.0.1:{free_port()}/v3", timeout=2.0))
    with pytest.raises(IdentityUnavailable):
        await catalog.endpoints_for("Pod1")
    with pytest.raises(IdentityUnavailable):
        await catalog.refresh()


async def test_an_outage_after_the_first_read_keeps_the_last_catalog(keystone: Keystone) -> None:
    keystone.add_endpoints("Pod1", POD1)
    settings = keystone.settings(catalog_refresh_s=0.0, timeout=2.0)
    session = service_session(settings)
    catalog = Catalog(settings, session=session)
    assert await catalog.endpoints_for("Pod1") == POD1
    assert isinstance(session.auth, v3.Password)
    session.auth.auth_url = f"http://127.0.0.1:{free_port()}/v3"
    assert await catalog.endpoints_for("Pod1") == POD1
    with pytest.raises(IdentityUnavailable):
        await catalog.refresh()
