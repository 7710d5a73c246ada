"""compose/docker-compose.yml run as local processes (harness/compose_local.py): its commands,
environments and registration job, with the Dockerfile's ENV, must make a working gateway.

A wrong command, a misnamed variable, a pod the `register` job forgets or a port that does not
line up fails here, as it would under `docker compose up`.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.compose_local import LocalService, dockerfile_image, plan
from harness.gateway import http_get
from harness.http import call
from harness.procs import WAIT_S, Proc, free_port, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose" / "docker-compose.yml").read_text())
IMAGE = dockerfile_image((ROOT / "compose" / "Dockerfile").read_text())
TOPOLOGY = yaml.safe_load((ROOT / "compose" / "topology.yaml").read_text())


def _start(service: LocalService, logs: Path) -> Proc:
    """The service's process with the venv's console scripts first on PATH, as in the image,
    and none of this test run's own PODGATE_* variables."""
    for directory in service.directories:
        directory.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PODGATE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log = logs / f"{service.name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            service.argv,
            cwd=service.cwd,
            env={**env, **service.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the register job's shell and its children stop together
        )
    return Proc(popen, log)


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalService]]:
    root = tmp_path_factory.mktemp("compose")
    services = plan(COMPOSE, IMAGE, root, free_port)
    procs: dict[str, Proc] = {}
    try:
        for service in services:  # dependency order, as compose starts them
            procs[service.name] = _start(service, root)
        register = procs["register"]

        def registered() -> bool:
            for name, proc in procs.items():
                if name != "register" and not proc.alive():
                    raise RuntimeError(f"{name} exited:\n{proc.output()}")
            return not register.alive()

        wait_for(registered, timeout=2 * WAIT_S, what="the register job")
        assert register.popen.returncode == 0, register.output()
        by_name = {service.name: service for service in services}
        # A worker joining changes Envoy's decision cluster, and a request in flight across
        # that push can fail (issue 19's note): send none before every process has joined.
        workers = int(by_name["control-plane"].env.get("PODGATE_DECISION_WORKERS", "0"))
        admin = f"http://127.0.0.1:{by_name['envoy'].env['PODGATE_ENVOY_ADMIN_PORT']}"
        wait_for(
            lambda: _decision_endpoints(admin) == 1 + workers,
            timeout=WAIT_S,
            what="the decision workers in Envoy's decision cluster",
        )
        yield by_name
    finally:
        for proc in reversed(procs.values()):
            if proc.alive():
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.popen.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.popen.wait()


def _decision_endpoints(admin: str) -> int:
    """How many decision processes Envoy's decision cluster holds (host lines: `::rq_total::`)."""
    parts = [line.split("::") for line in http_get(f"{admin}/clusters").splitlines()]
    hosts = [p for p in parts if len(p) == 4 and p[0] == "podgate_decision"]
    return sum(1 for p in hosts if p[2] == "rq_total")


def _gateway(topology: dict[str, LocalService], container_port: int) -> str:
    return f"http://127.0.0.1:{topology['envoy'].published[container_port]}"


def _pod_url(topology: dict[str, LocalService], pod: str) -> str:
    argv = topology[pod].argv
    return f"http://127.0.0.1:{argv[argv.index('--port') + 1]}"


@pytest.mark.parametrize("pod", TOPOLOGY["pods"], ids=[pod["name"] for pod in TOPOLOGY["pods"]])
def test_a_server_booted_from_a_volume_lands_in_its_azs_pod(topology, project, pod) -> None:
    admin = f"http://127.0.0.1:{topology['envoy'].env['PODGATE_ENVOY_ADMIN_PORT']}"
    services = ("compute", "volumev3", "network")
    wanted = {f"pod.{p['name']}.{s}" for p in TOPOLOGY["pods"] for s in services}
    wait_for(
        lambda: wanted <= {line.split("::")[0] for line in http_get(f"{admin}/clusters").split()},
        timeout=WAIT_S,
        what=f"Envoy's pod clusters {wanted}",
    )
    compute = f"{_gateway(topology, TOPOLOGY['gateway']['compute_port'])}/v2.1/{project}"
    volume = f"{_gateway(topology, TOPOLOGY['gateway']['volume_port'])}/v3/{project}"
    body = {"volume": {"size": 1, "availability_zone": pod["az"]}}
    status, _, made = call("POST", f"{volume}/volumes", body)
    assert status == 202, made
    mapping = {
        "boot_index": 0,
        "uuid": made["volume"]["id"],
        "source_type": "volume",
        "destination_type": "volume",
    }
    server = {
        "name": "vm",
        "flavorRef": "1",
        "availability_zone": pod["az"],
        "block_device_mapping_v2": [mapping],
    }
    status, _, booted = call("POST", f"{compute}/servers", {"server": server})
    assert status == 202, booted
    server_id = booted["server"]["id"]
    status, _, shown = call("GET", f"{compute}/servers/{server_id}")
    assert (status, shown["server"]["OS-EXT-AZ:availability_zone"]) == (200, pod["az"])
    # The pod itself, asked directly, holds it; the other pods do not.
    for other in TOPOLOGY["pods"]:
        url = f"{_pod_url(topology, other['name'])}/compute/v2.1/{project}/servers/{server_id}"
        assert call("GET", url)[0] == (200 if other["name"] == pod["name"] else 404)


def test_the_network_api_answers_without_a_project_header(topology) -> None:
    """As the demo's clouds.yaml asks it (`auth_type: none` sends no X-Project-Id)."""
    network = _gateway(topology, TOPOLOGY["gateway"]["network_port"])
    body = {"network": {"name": "net", "availability_zone_hints": [TOPOLOGY["pods"][0]["az"]]}}
    status, _, made = call("POST", f"{network}/v2.0/networks", body)
    assert status == 201, made
    assert made["network"]["project_id"] == TOPOLOGY["project"]
