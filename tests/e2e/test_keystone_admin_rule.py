"""Who is cloud admin, through real Envoy and a real Keystone (policy.AdminRule).

The role `admin` on an ordinary project is that project's business: it must reach neither other
projects' resources, nor `all_tenants`, nor the admin API. The admin role on the system scope or
on the configured admin project (`admin`, keystone-manage bootstrap's) does. Pods whose policy
treats any project's admin as admin (`admin_on_any_project`) are matched for their resources,
never for the admin API.
"""

import uuid
from collections.abc import Iterator

import grpc
import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import keystone_cloud

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

ONE_POD = {"pod1": ("az1", "nova")}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, keystone: Keystone) -> Iterator[Gateway]:
    with keystone_cloud(tmp_path_factory.mktemp("admin-rule"), keystone, ONE_POD) as (gw, _):
        yield gw


@pytest.fixture(scope="module")
def project_admin(keystone: Keystone) -> tuple[str, str]:
    """(project id, token) of a user with the role `admin` on a project of its own."""
    suffix = uuid.uuid4().hex[:8]
    user, password, project = f"ops-{suffix}", "ops-secret", f"elsewhere-{suffix}"
    keystone.add_user(user, password, project, "admin")
    return keystone.project_ids[project], keystone.token(user, password, project)


@pytest.fixture(scope="module")
def demo_server(gateway: Gateway, keystone: Keystone) -> str:
    """The URL of a server of project demo."""
    return _create_demo_server(gateway, keystone)


def _create_demo_server(gateway: Gateway, keystone: Keystone) -> str:
    demo = f"{gateway.compute_url}/{keystone.project_ids['demo']}"
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img"}}
    status, _, created = call(
        "POST", f"{demo}/servers", body, {"x-auth-token": keystone.token(*DEMO)}
    )
    assert status == 202, created
    return f"{demo}/servers/{created['server']['id']}"


def _get(url: str, token: str) -> int:
    return call("GET", url, headers={"x-auth-token": token})[0]


def _list_pods(gateway: Gateway, token: str) -> grpc.StatusCode:
    try:
        gateway.admin().ListPods(admin_pb2.ListPodsRequest(), metadata=(("x-auth-token", token),))
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_admin_of_an_ordinary_project_is_no_cloud_admin(
    gateway: Gateway, keystone: Keystone, project_admin: tuple[str, str], demo_server: str
) -> None:
    own, token = project_admin
    demo = f"{gateway.compute_url}/{keystone.project_ids['demo']}"
    assert _get(f"{gateway.compute_url}/{own}/servers", token) == 200
    assert _get(demo_server, token) == 403
    assert _get(f"{demo}/servers/detail", token) == 403
    assert _get(f"{gateway.compute_url}/{own}/servers/detail?all_tenants=1", token) == 403
    assert _list_pods(gateway, token) == grpc.StatusCode.PERMISSION_DENIED


def test_system_scope_and_admin_project_admins_are_cloud_admins(
    gateway: Gateway, keystone: Keystone, demo_server: str
) -> None:
    user, password, _ = ADMIN
    for token in (keystone.system_token(user, password), keystone.token(*ADMIN)):
        assert _get(demo_server, token) == 200
        assert _list_pods(gateway, token) == grpc.StatusCode.OK


def test_project_admins_act_on_every_project_where_the_pods_would_but_never_on_the_gateway(
    tmp_path_factory: pytest.TempPathFactory, keystone: Keystone, project_admin: tuple[str, str]
) -> None:
    own, token = project_admin
    root = tmp_path_factory.mktemp("admin-any-project")
    lenient = {"PODGATE_KEYSTONE_ADMIN_ON_ANY_PROJECT": "true"}
    with keystone_cloud(root, keystone, ONE_POD, **lenient) as (gateway, _):
        server = _create_demo_server(gateway, keystone)
        assert _get(server, token) == 200
        assert _get(f"{gateway.compute_url}/{own}/servers/detail?all_tenants=1", token) == 200
        assert _list_pods(gateway, token) == grpc.StatusCode.PERMISSION_DENIED
