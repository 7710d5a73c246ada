"""What a stranger or a misbehaving pod cannot do to the decision service, through real Envoy.

Strangers: one 1 MB external-events request must not stall every other tenant (and without a
trusted caller it is refused before it is read); creates the pods refuse leave no binding;
noauth lists of every project are refused. Pods (podsim `--test-hooks`, pod2 only): a 200 MB
list answer is a failed pod, not 200 MB in the control plane; a create answer naming another
pod's server neither takes it over nor forges a log line.
"""

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

LAYOUT = {"pod1": ("az-east", "nova-east"), "pod2": ("az-west", "nova-west")}
HOOKS = {"pod2": ("--test-hooks",)}
MISSING = "x-podgate-missing-pods"
# Small enough that the test stays fast; the pod sends 50 times as much.
ANSWER_CAP = 4 * 1024 * 1024
HUGE = 200 * 1024 * 1024
# A GET beside the attack may take this long on a loaded 2-core machine; the stall was ~4 s.
BESIDE_S = 1.0
# ~11,500 events in 1 MB, each for a different server no pod has.
BIG_EVENTS = [
    {"name": "network-changed", "server_uuid": str(uuid.UUID(int=n))} for n in range(11_500)
]

Cloud = tuple[Gateway, dict[str, SimPod]]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """Default settings but a small answer cap, and Envoy waiting long enough for the pods that
    an unbounded read of the huge answer would finish (and be seen) rather than time out."""
    env = {
        "PODGATE_DECISION_MAX_POD_ANSWER_BYTES": str(ANSWER_CAP),
        "PODGATE_DECISION_MESSAGE_TIMEOUT_MS": "10000",
    }
    with running_cloud(tmp_path_factory.mktemp("untrusted"), LAYOUT, env, HOOKS) as running:
        yield running


def _create(gateway: Gateway, project: str, az: str, headers: dict | None = None) -> Answer:
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img", "availability_zone": az}}
    return call("POST", f"{gateway.compute_url}/{project}/servers", body, headers)


def _beside(gateway: Gateway, attack: Callable[[], Answer]) -> tuple[Answer, list[float]]:
    """Run `attack` while another project lists its servers; the attack's answer and how long
    each of those lists took."""
    other = f"{gateway.compute_url}/{uuid.uuid4().hex}/servers"
    assert call("GET", other)[0] == 200  # warm: versions and connections are ready
    done = threading.Event()
    took: list[float] = []

    def lists() -> None:
        while not done.is_set() or not took:
            started = time.monotonic()
            assert call("GET", other)[0] == 200
            took.append(time.monotonic() - started)

    thread = threading.Thread(target=lists)
    thread.start()
    try:
        answer = attack()
    finally:
        done.set()
        thread.join()
    return answer, took


def _post_events(gateway: Gateway, events: list[dict]) -> Answer:
    return call("POST", f"{gateway.compute_url}/{uuid.uuid4().hex}/os-server-external-events",
                {"events": events})  # fmt: skip


def test_anonymous_external_events_are_refused_without_stalling_anyone(cloud: Cloud) -> None:
    gateway, _ = cloud
    assert 900_000 < len(json.dumps({"events": BIG_EVENTS})) < 1_048_576  # under the body cap
    (status, _, body), took = _beside(gateway, lambda: _post_events(gateway, BIG_EVENTS))
    assert (status, body) == (
        403,
        {
            "forbidden": {
                "message": "Policy doesn't allow os_compute_api:os-server-external-events:"
                "create to be performed.",
                "code": 403,
            }
        },
    )
    assert max(took) < BESIDE_S, took


@pytest.fixture
def trusting_gateway(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway without pods whose noauth mode accepts external events from anyone."""
    gateway = Gateway(
        state_dir=tmp_path / "state", extra_env={"PODGATE_DECISION_NOAUTH_EXTERNAL_EVENTS": "true"}
    )
    gateway.state_dir.mkdir()
    try:
        gateway.start_control_plane()
        gateway.start_envoy()
        yield gateway
    finally:
        gateway.stop()


def test_trusted_external_events_are_capped_and_looked_up_at_once(
    trusting_gateway: Gateway,
) -> None:
    gateway = trusting_gateway
    (status, _, body), took = _beside(gateway, lambda: _post_events(gateway, BIG_EVENTS))
    assert status == 400, body
    assert "at most 1000 per request" in body["badRequest"]["message"]
    assert max(took) < BESIDE_S, took
    (status, _, body), took = _beside(gateway, lambda: _post_events(gateway, BIG_EVENTS[:1000]))
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "No instances found for any event", "code": 404}},
    )
    assert max(took) < BESIDE_S, took


def test_creates_the_pod_refuses_leave_no_binding(cloud: Cloud) -> None:
    gateway, _ = cloud
    projects = [uuid.uuid4().hex for _ in range(30)]
    for project in projects:
        status, _, fault = call("POST", f"{gateway.compute_url}/{project}/servers", {"server": {}})
        assert status == 400 and "'name' is a required property" in str(fault), fault
    bindings = gateway.admin().ListBindings(admin_pb2.ListBindingsRequest()).bindings
    assert {b.project_id for b in bindings} & set(projects) == set()
    project = uuid.uuid4().hex
    assert _create(gateway, project, "az-west")[0] == 202
    bound = gateway.admin().ListBindings(admin_pb2.ListBindingsRequest(project_id=project))
    assert [b.pod_name for b in bound.bindings] == ["pod2"]


@pytest.mark.parametrize(
    "path", ["servers/detail?all_tenants=1", "servers?all_projects=1", "volumes?all_tenants=1"]
)
def test_noauth_lists_of_every_project_are_refused(cloud: Cloud, path: str) -> None:
    gateway, _ = cloud
    owner = uuid.uuid4().hex
    assert _create(gateway, owner, "az-east")[0] == 202
    base = gateway.compute_url if path.startswith("servers") else gateway.volume_url
    status, _, body = call("GET", f"{base}/{uuid.uuid4().hex}/{path}")
    assert status == 403 and body["forbidden"]["code"] == 403, body


def _peak_rss_kb(gateway: Gateway) -> int:
    assert gateway.control_plane is not None
    status = Path(f"/proc/{gateway.control_plane.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def test_a_huge_list_answer_is_a_failed_pod_not_memory(cloud: Cloud) -> None:
    gateway, _ = cloud
    project = uuid.uuid4().hex
    servers = {
        az: _create(gateway, project, az)[2]["server"]["id"] for az in ("az-east", "az-west")
    }
    peak = _peak_rss_kb(gateway)
    url = f"{gateway.compute_url}/{project}/servers/detail"
    status, headers, body = call("GET", url, headers={"x-podsim-answer-bytes": str(HUGE)})
    assert status == 200, body
    assert headers.get(MISSING) == "pod2"
    assert [s["id"] for s in body["servers"]] == [servers["az-east"]]
    grown_mb = (_peak_rss_kb(gateway) - peak) / 1024
    assert grown_mb < 50, f"the control plane's peak memory grew by {grown_mb:.0f} MB"
    status, headers, body = call("GET", url)  # pod2 answers normally again
    assert (status, MISSING in headers, len(body["servers"])) == (200, False, 2)


def test_a_create_answer_never_takes_over_another_pods_server(cloud: Cloud) -> None:
    gateway, _ = cloud
    project = uuid.uuid4().hex
    theirs = _create(gateway, project, "az-east")[2]["server"]["id"]
    status, _, body = _create(gateway, project, "az-west", {"x-podsim-created-id": theirs})
    assert (status, body) == (
        500,
        {
            "computeFault": {
                "message": f"The server {theirs} was created but could not be recorded.",
                "code": 500,
            }
        },
    )
    routing = gateway.admin().GetRouting(
        admin_pb2.GetRoutingRequest(resource_type="server", resource_id=theirs)
    )
    assert routing.pod_name == "pod1"
    shown = call("GET", f"{gateway.compute_url}/{project}/servers/{theirs}")
    assert shown[2]["server"]["OS-EXT-AZ:availability_zone"] == "az-east"
    log = (gateway.state_dir / "control-plane.log").read_text()
    [line] = [line for line in log.splitlines() if "routing_collision" in line]
    assert f"resource_id={theirs}" in line and "answering_pod=pod2 routed_pod=pod1" in line


def test_a_pod_supplied_id_cannot_forge_a_log_field(cloud: Cloud) -> None:
    gateway, _ = cloud
    forged = f"vm-{uuid.uuid4().hex}\tpod=pod1 level=ERROR"
    status, _, body = _create(gateway, uuid.uuid4().hex, "az-west", {"x-podsim-created-id": forged})
    assert status == 202 and body["server"]["id"] == forged
    log = (gateway.state_dir / "control-plane.log").read_text()
    [line] = [line for line in log.splitlines() if forged.split("\t")[0] in line]
    assert '"' + forged.replace("\t", "\\t") + '"' in line, line
    assert "\t" not in line
