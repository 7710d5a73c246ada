"""A pod that hangs (SIGSTOP) or dies (SIGKILL), through real Envoy: the gateway notices within
a few seconds and stops waiting for it.

Lists answer at once without it (named in `x-podgate-missing-pods`), creates in its AZ go to the
AZ's other pod (or get a 503 naming the AZ when the project is bound to it), and requests for its
resources get a 503 naming its AZ at once (the log names the pod); once it answers again it is
used again. The fast path is off here so that every request meets the decision service (Envoy's
own answer for a dead pod's cluster is the xDS layer's business).
"""

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

AZ = "az-east"
# Both pods in one AZ, so that a create has somewhere else to go; pod1 is registered first.
LAYOUT = {"pod1": "nova-east-1", "pod2": "nova-east-2"}
# Envoy's wait for the decision service, raised here so that the list deadline (the pod timeout,
# 5 s, capped just below this wait) stands far from what a list that does not wait takes even on
# a loaded machine: a list that waited for the stopped pod could not be FAST_S fast.
MESSAGE_TIMEOUT_MS = 6000
FAST_S = 2.5
# Noticing takes two probes (interval + timeout each, 2.6 s); room for a loaded machine.
NOTICE_S = 20.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    settings = {
        "PODGATE_HEALTH_INTERVAL_S": "0.3",
        # Two missed probes in a row make a pod unhealthy: a live pod must not miss them on a
        # loaded machine, while the stopped one is still noticed in a few seconds.
        "PODGATE_HEALTH_TIMEOUT_S": "1.0",
        "PODGATE_DECISION_MESSAGE_TIMEOUT_MS": str(MESSAGE_TIMEOUT_MS),
        "PODGATE_FAST_PATH_MAX_ENTRIES": "0",
    }
    layout = {name: (AZ, inner) for name, inner in LAYOUT.items()}
    with running_cloud(tmp_path_factory.mktemp("health"), layout, settings) as running:
        yield running


@contextmanager
def stopped(pod: SimPod) -> Iterator[None]:
    """The pod hangs (SIGSTOP: it accepts connections but never answers) until the block ends."""
    os.kill(pod.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pod.proc.pid, signal.SIGCONT)


def _create_server(gateway: Gateway, project: str, name: str) -> tuple[int, dict]:
    body = {"server": {"name": name, "flavorRef": "1", "imageRef": "img", "availability_zone": AZ}}
    status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    return status, answer


def _pod_of(gateway: Gateway, server_id: str) -> str:
    request = admin_pb2.GetRoutingRequest(resource_type="server", resource_id=server_id)
    return gateway.admin().GetRouting(request).pod_name


def _list(gateway: Gateway, project: str) -> tuple[int, str | None, dict, float]:
    started = time.monotonic()
    status, headers, body = call("GET", f"{gateway.compute_url}/{project}/servers/detail")
    return status, headers.get("x-podgate-missing-pods"), body, time.monotonic() - started


def _turned_unhealthy(gateway: Gateway, pod: str) -> int:
    """How often the health monitor has found `pod`'s compute API down (one log line each).

    Lists alone would not tell: a dead pod refuses connections and fails its list at once.
    """
    log = (gateway.state_dir / "control-plane.log").read_text()
    return log.count(f"pod {pod} compute is unhealthy")


def _noticed(gateway: Gateway, pod: str, before: int) -> None:
    def noticed() -> bool:
        return _turned_unhealthy(gateway, pod) > before

    wait_for(noticed, timeout=NOTICE_S, what=f"the health monitor to notice {pod}")


def _assert_unavailable_fast(gateway: Gateway, project: str, server_id: str, pod: str) -> None:
    started = time.monotonic()
    status, _, fault = call("GET", f"{gateway.compute_url}/{project}/servers/{server_id}")
    elapsed = time.monotonic() - started
    assert status == 503, fault
    ((_, detail),) = fault.items()
    # Users read the zone; the operator's log names the pod.
    assert AZ in detail["message"] and pod not in detail["message"], detail
    assert detail["code"] == 503
    assert elapsed < FAST_S, f"the GET took {elapsed:.2f}s"
    log = (gateway.state_dir / "control-plane.log").read_text()
    assert f'-> 503 because "pod {pod} is not answering"' in log


def test_a_hung_pod_is_skipped_and_comes_back(cloud) -> None:
    gateway, pods = cloud
    bound = uuid.uuid4().hex
    status, created = _create_server(gateway, bound, "vm-pod1")
    assert status == 202, created
    in_pod1 = created["server"]["id"]
    assert _pod_of(gateway, in_pod1) == "pod1"

    before = _turned_unhealthy(gateway, "pod1")
    with stopped(pods["pod1"]):
        _noticed(gateway, "pod1", before)
        status, missing, body, elapsed = _list(gateway, bound)
        assert (status, missing, body["servers"]) == (200, "pod1", [])
        assert elapsed < FAST_S, f"the list took {elapsed:.2f}s"
        _assert_unavailable_fast(gateway, bound, in_pod1, "pod1")

        status, fault = _create_server(gateway, bound, "vm-bound")
        assert status == 503 and "pod1" not in str(fault) and AZ in str(fault), fault
        fresh = uuid.uuid4().hex
        status, created = _create_server(gateway, fresh, "vm-elsewhere")
        assert status == 202, created
        assert _pod_of(gateway, created["server"]["id"]) == "pod2"

    def back() -> bool:
        status, missing, body, _ = _list(gateway, bound)
        return status == 200 and missing is None and len(body["servers"]) == 1

    wait_for(back, timeout=NOTICE_S, what="pod1 to be listed again")
    status, _, shown = call("GET", f"{gateway.compute_url}/{bound}/servers/{in_pod1}")
    assert status == 200 and shown["server"]["name"] == "vm-pod1"
    status, created = _create_server(gateway, bound, "vm-bound-again")
    assert status == 202 and _pod_of(gateway, created["server"]["id"]) == "pod1"


def test_a_dead_pod_is_skipped(cloud) -> None:
    gateway, pods = cloud
    project = uuid.uuid4().hex
    status, created = _create_server(gateway, project, "vm-doomed")
    assert status == 202 and _pod_of(gateway, created["server"]["id"]) == "pod1"
    before = _turned_unhealthy(gateway, "pod1")
    pods["pod1"].proc.stop(signal.SIGKILL)
    _noticed(gateway, "pod1", before)
    status, missing, _, elapsed = _list(gateway, project)
    assert (status, missing) == (200, "pod1") and elapsed < FAST_S
    _assert_unavailable_fast(gateway, project, created["server"]["id"], "pod1")
    status, created = _create_server(gateway, uuid.uuid4().hex, "vm-survivor")
    assert status == 202 and _pod_of(gateway, created["server"]["id"]) == "pod2"
