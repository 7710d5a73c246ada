"""Two projects behind one gateway: neither reads, changes, lists or attaches the other's things.

Keystone mode with a real Keystone (project `demo` is A, project `other` is B), plus noauth,
where the project in the path is all the gateway knows. An admin with all_tenants sees both.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.keystone import ADMIN, DEMO, OTHER, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"


@dataclass(frozen=True, slots=True)
class Tenant:
    """One project's URLs and token (None in noauth mode)."""

    project_id: str
    compute: str
    volume: str
    token: str | None

    def call(self, method: str, url: str, body: object = None) -> Answer:
        headers = {"x-auth-token": self.token} if self.token else {}
        return call(method, url, body, headers)

    def at(self, other: "Tenant") -> "Tenant":
        """This tenant's token with another project's URLs."""
        return Tenant(other.project_id, other.compute, other.volume, self.token)


@dataclass(frozen=True, slots=True)
class Owned:
    """What project A made: a server, volumes in both pods, a snapshot."""

    server: str
    volume: str
    far_volume: str
    snapshot: str


def tenant(gateway: Gateway, project_id: str, token: str | None) -> Tenant:
    return Tenant(
        project_id,
        f"{gateway.compute_url}/{project_id}",
        f"{gateway.volume_url}/{project_id}",
        token,
    )


def created(answer: Answer, member: str) -> str:
    status, _, body = answer
    assert status == 202, body
    return body[member]["id"]


def make_server(owner: Tenant, az: str) -> str:
    server = {"name": "vm", "availability_zone": az, "flavorRef": "1", "imageRef": "x"}
    return created(owner.call("POST", f"{owner.compute}/servers", {"server": server}), "server")


def make_volume(owner: Tenant, az: str) -> str:
    volume = {"size": 1, "availability_zone": az}
    return created(owner.call("POST", f"{owner.volume}/volumes", {"volume": volume}), "volume")


def make_resources(owner: Tenant) -> Owned:
    (east, _), (west, _) = TWO_PODS.values()
    volume = make_volume(owner, east)
    snapshot = {"snapshot": {"volume_id": volume}}
    return Owned(
        server=make_server(owner, east),
        volume=volume,
        far_volume=make_volume(owner, west),
        snapshot=created(owner.call("POST", f"{owner.volume}/snapshots", snapshot), "snapshot"),
    )


def by_id_requests(owned: Owned) -> list[tuple[str, str, object]]:
    """Every way to reach one of A's resources by id, relative to a project's compute/volume."""
    server, volume, snapshot = owned.server, owned.volume, owned.snapshot
    return [
        ("GET", f"compute/servers/{server}", None),
        ("GET", f"compute/servers/{server}/metadata", None),
        ("PUT", f"compute/servers/{server}", {"server": {"name": "taken"}}),
        ("POST", f"compute/servers/{server}/action", {"os-stop": None}),
        ("DELETE", f"compute/servers/{server}", None),
        ("GET", f"volume/volumes/{volume}", None),
        ("PUT", f"volume/volumes/{volume}", {"volume": {"name": "taken"}}),
        ("POST", f"volume/volumes/{volume}/action", {"os-extend": {"new_size": 2}}),
        ("DELETE", f"volume/volumes/{volume}", None),
        ("GET", f"volume/snapshots/{snapshot}", None),
        ("DELETE", f"volume/snapshots/{snapshot}", None),
    ]


def url_of(who: Tenant, relative: str) -> str:
    api, _, rest = relative.partition("/")
    return f"{who.compute if api == 'compute' else who.volume}/{rest}"


def assert_unreachable_by_id(
    a: Tenant, b: Tenant, owned: Owned, *, foreign_url: int | None
) -> None:
    """B gets 404 under its own project (and `foreign_url` under A's); A's things are untouched.

    `foreign_url` None: noauth, where B in A's URL simply is A.
    """
    for method, relative, body in by_id_requests(owned):
        status, headers, answer = b.call(method, url_of(b, relative), body)
        assert (status, POD_HEADER in headers) == (404, False), (method, relative, answer)
        assert "itemNotFound" in answer
        if foreign_url is not None:
            status, _, answer = b.at(a).call(method, url_of(a, relative), body)
            assert status == foreign_url, (method, relative, answer)
    status, _, body = a.call("GET", f"{a.compute}/servers/{owned.server}")
    assert (status, body["server"]["name"], body["server"]["status"]) == (200, "vm", "ACTIVE")
    status, _, body = a.call("GET", f"{a.volume}/volumes/{owned.volume}")
    assert (status, body["volume"]["size"]) == (200, 1)
    status, _, body = a.call("GET", f"{a.volume}/snapshots/{owned.snapshot}")
    assert status == 200, body


LISTS = ("servers", "servers/detail", "volumes", "volumes/detail", "snapshots", "snapshots/detail")


def listed(who: Tenant, path: str, query: str = "") -> Answer:
    api = who.compute if path.startswith("servers") else who.volume
    return who.call("GET", f"{api}/{path}{query}")


def ids_in(answer: Answer) -> set[str]:
    status, _, body = answer
    assert status == 200, body
    (items,) = [value for key, value in body.items() if not key.endswith("_links")]
    return {item["id"] for item in items}


def assert_lists_are_own(a: Tenant, b: Tenant, owned: Owned, own: set[str]) -> None:
    """B's lists hold B's things only; A's ids are no markers for B."""
    theirs = {owned.server, owned.volume, owned.far_volume, owned.snapshot}
    seen: set[str] = set()
    for path in LISTS:
        seen |= ids_in(listed(b, path))
        marker = owned.server if path.startswith("servers") else owned.volume
        if path.startswith("snapshots"):
            marker = owned.snapshot
        status, _, body = listed(b, path, f"?marker={marker}")
        # Nova refuses a marker it cannot find (400), Cinder says it is not found (404).
        nova = path.startswith("servers")
        expected = (400, "badRequest") if nova else (404, "itemNotFound")
        assert (status, next(iter(body))) == expected, (path, body)
    assert not seen & theirs
    assert own <= seen


def assert_attach_refused(b: Tenant, owned: Owned, b_server: str) -> None:
    """B cannot attach A's volumes (same pod or not) and learns nothing from the answer."""
    url = f"{b.compute}/servers/{b_server}/os-volume_attachments"
    for volume in (owned.volume, owned.far_volume):
        status, _, body = b.call("POST", url, {"volumeAttachment": {"volumeId": volume}})
        assert status == 404 and "itemNotFound" in body, body


def keystone_only(test: Callable[..., None]) -> Callable[..., None]:
    """Marks of the tests that need the real Keystone (skippable locally, long set-up timeout)."""
    for mark in KEYSTONE_MARKS:
        test = mark(test)
    return test


# Keystone mode ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeystoneCloud:
    gateway: Gateway
    a: Tenant
    b: Tenant
    admin: Tenant
    owned: Owned
    b_server: str
    b_volume: str


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SimPod]]:
    logs = tmp_path_factory.mktemp("tenancy-pods")
    started = {name: start_podsim(name, inner, logs) for name, (_, inner) in TWO_PODS.items()}
    yield started
    for pod in started.values():
        pod.proc.stop()


def keystone_gateway(
    root: Path,
    keystone: Keystone,
    pods: dict[str, SimPod],
    layout: Mapping[str, tuple[str, str]] = TWO_PODS,
    **env: str,
) -> Gateway:
    """A keystone-mode gateway (started; the caller stops it) with both pods registered."""
    gateway = Gateway(state_dir=root / "state", extra_env=keystone.gateway_env(**env))
    gateway.state_dir.mkdir(parents=True)
    try:
        gateway.start_control_plane()
        gateway.start_envoy()
        admin = (("x-auth-token", keystone.token(*ADMIN)),)
        for name, (az, inner) in layout.items():
            endpoints = {"compute": pods[name].compute_url, "volumev3": pods[name].volume_url}
            pod = admin_pb2.Pod(name=name, az_name=az, pod_az_name=inner, endpoints=endpoints)
            gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod), metadata=admin)
        clusters = {f"pod.{name}.{s}" for name in pods for s in ("compute", "volumev3")}
        gateway.wait_for_clusters(clusters)
    except BaseException:
        gateway.stop()
        raise
    return gateway


@pytest.fixture(scope="module")
def keystone_cloud(
    tmp_path_factory: pytest.TempPathFactory, keystone: Keystone, pods: dict[str, SimPod]
) -> Iterator[KeystoneCloud]:
    gateway = keystone_gateway(tmp_path_factory.mktemp("tenancy"), keystone, pods)
    try:
        ids = keystone.project_ids
        a = tenant(gateway, ids["demo"], keystone.token(*DEMO))
        b = tenant(gateway, ids["other"], keystone.token(*OTHER))
        admin = tenant(gateway, ids["admin"], keystone.token(*ADMIN))
        (east, _), _ = TWO_PODS.values()
        yield KeystoneCloud(
            gateway,
            a,
            b,
            admin,
            make_resources(a),
            b_server=make_server(b, east),
            b_volume=make_volume(b, east),
        )
    finally:
        gateway.stop()


@keystone_only
def test_another_projects_resources_are_unreachable_by_id(keystone_cloud: KeystoneCloud) -> None:
    cloud = keystone_cloud
    assert_unreachable_by_id(cloud.a, cloud.b, cloud.owned, foreign_url=403)


@keystone_only
def test_lists_hold_only_the_own_project(keystone_cloud: KeystoneCloud) -> None:
    cloud = keystone_cloud
    assert_lists_are_own(cloud.a, cloud.b, cloud.owned, {cloud.b_server, cloud.b_volume})


@keystone_only
def test_another_projects_volume_cannot_be_attached(keystone_cloud: KeystoneCloud) -> None:
    cloud = keystone_cloud
    assert_attach_refused(cloud.b, cloud.owned, cloud.b_server)
    status, _, body = cloud.a.call("GET", f"{cloud.a.volume}/volumes/{cloud.owned.volume}")
    assert (status, body["volume"]["status"]) == (200, "available")


@keystone_only
def test_all_tenants_is_for_admins(keystone_cloud: KeystoneCloud) -> None:
    cloud = keystone_cloud
    status, _, body = listed(cloud.b, "servers/detail", "?all_tenants=1")
    assert status == 403 and "forbidden" in body  # Nova's policy for non-admins
    for path in ("volumes/detail", "snapshots"):  # Cinder ignores it for non-admins
        assert not ids_in(listed(cloud.b, path, "?all_tenants=1")) & {
            cloud.owned.volume,
            cloud.owned.snapshot,
        }
    status, _, body = listed(cloud.b, "volumes", f"?all_tenants=1&marker={cloud.owned.volume}")
    assert status == 404, body
    servers = ids_in(listed(cloud.admin, "servers/detail", "?all_tenants=1"))
    assert {cloud.owned.server, cloud.b_server} <= servers
    volumes = ids_in(listed(cloud.admin, "volumes/detail", "?all_tenants=1"))
    assert {cloud.owned.volume, cloud.owned.far_volume, cloud.b_volume} <= volumes
    assert not ids_in(listed(cloud.admin, "servers/detail")) & servers  # without: its own only


@keystone_only
def test_trusting_pods_with_auth_lets_envoy_route_another_projects_url(
    tmp_path: Path, keystone: Keystone, pods: dict[str, SimPod]
) -> None:
    """fast_path.pod_auth = "trust": Envoy routes known ids without asking for the token's project.

    Real Nova checks the token against the URL's project; podsim without `--keystone-url` checks
    nothing, so B reads A's server through A's URL. The default ("verify") finds that podsim
    checks nothing and keeps it off the fast path: see test_another_projects_... above.
    """
    # Only pods whose zone users see under its own name are on the fast path.
    layout = {name: (inner, inner) for name, (_, inner) in TWO_PODS.items()}
    gateway = keystone_gateway(tmp_path, keystone, pods, layout, PODGATE_FAST_PATH_POD_AUTH="trust")
    try:
        ids = keystone.project_ids
        a = tenant(gateway, ids["demo"], keystone.token(*DEMO))
        b = tenant(gateway, ids["other"], keystone.token(*OTHER))
        server = make_server(a, layout["pod1"][0])
        foreign = f"{a.compute}/servers/{server}"

        def routed_by_envoy() -> bool:
            status, headers, _ = b.at(a).call("GET", foreign)
            return status == 200 and headers.get(POD_HEADER) == "pod1"

        wait_for(
            routed_by_envoy, timeout=WAIT_S, what="Envoy routing A's server without the gateway"
        )
        status, headers, _ = b.call("GET", f"{b.compute}/servers/{server}")
        assert (status, POD_HEADER in headers) == (404, False)  # B's own URL: still refused
        status, _, _ = b.at(a).call("DELETE", foreign)
        assert status == 403  # writes always ask the gateway
    finally:
        gateway.stop()


# noauth mode: the project in the path is the only identity --------------------------------


def test_noauth_projects_see_only_their_own(tmp_path: Path) -> None:
    with running_cloud(tmp_path) as (gateway, _):
        a = tenant(gateway, "project-a", None)
        b = tenant(gateway, "project-b", None)
        owned = make_resources(a)
        (east, _), _ = TWO_PODS.values()
        b_server, b_volume = make_server(b, east), make_volume(b, east)
        assert_unreachable_by_id(a, b, owned, foreign_url=None)
        assert_lists_are_own(a, b, owned, {b_server, b_volume})
        assert_attach_refused(b, owned, b_server)
