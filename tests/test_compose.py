"""compose/docker-compose.yml describes the same topology `make demo` runs (compose/topology.yaml).

No Docker engine exists here, so this reads the files: every pod, AZ, port and registration step
of the topology must appear in the compose file, admin ports stay on the host's loopback, every
variable names a setting, and the image must contain every package. tests/e2e/test_compose_local.py
runs the file as local processes.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from control_plane.settings import Settings
from harness.compose_local import dockerfile_image, published_ports, unknown_settings

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = yaml.safe_load((ROOT / "compose" / "topology.yaml").read_text())
COMPOSE = yaml.safe_load((ROOT / "compose" / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
POD_IDS = [pod["name"] for pod in TOPOLOGY["pods"]]


@pytest.mark.parametrize("pod", TOPOLOGY["pods"], ids=POD_IDS)
def test_each_pod_runs_with_its_inner_az_and_port(pod: dict) -> None:
    command = SERVICES[pod["name"]]["command"]
    assert command[0] == "podsim"
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert flags["--name"] == pod["name"]
    assert flags["--az"] == pod["pod_az"]
    assert flags["--port"] == str(pod["port"])


@pytest.mark.parametrize("pod", TOPOLOGY["pods"], ids=POD_IDS)
def test_the_register_job_creates_each_pod_as_the_demo_does(pod: dict) -> None:
    script = " ".join(SERVICES["register"]["command"])
    name, port = pod["name"], pod["port"]
    assert f"pod create {name} --az {pod['az']} --pod-az {pod['pod_az']}" in script
    assert f"compute=http://{name}:{port}/compute/v2.1" in script
    assert f"volumev3=http://{name}:{port}/volume/v3/$$(project_id)s" in script
    assert f"network=http://{name}:{port}/network" in script
    assert set(SERVICES["register"]["depends_on"]) >= {"control-plane", name}


def test_no_pod_is_missing_from_either_side() -> None:
    roles = {"control-plane", "envoy", "register"}
    assert set(SERVICES) - roles == set(POD_IDS)
    script = " ".join(SERVICES["register"]["command"])
    assert set(re.findall(r"pod create (\S+)", script)) == set(POD_IDS)


def test_gateway_ports_match_the_topology() -> None:
    gateway = TOPOLOGY["gateway"]
    control_plane = SERVICES["control-plane"]["environment"]
    envoy = SERVICES["envoy"]
    assert control_plane["PODGATE_CONTROL_PLANE_GRPC_PORT"] == str(gateway["grpc_port"])
    assert control_plane["PODGATE_ENVOY_COMPUTE_PORT"] == str(gateway["compute_port"])
    assert control_plane["PODGATE_ENVOY_VOLUME_PORT"] == str(gateway["volume_port"])
    assert control_plane["PODGATE_ENVOY_NETWORK_PORT"] == str(gateway["network_port"])
    assert control_plane["PODGATE_ENVOY_ADMIN_REST_PORT"] == str(gateway["admin_rest_port"])
    assert control_plane["PODGATE_CONTROL_PLANE_METRICS_PORT"] == str(gateway["metrics_port"])
    assert control_plane["PODGATE_ENVOY_HOST"] == "0.0.0.0"  # listeners reachable from the host
    # The demo's project, for network API requests the demo's clouds.yaml sends without one.
    assert control_plane["PODGATE_DECISION_NOAUTH_PROJECT"] == TOPOLOGY["project"]
    assert envoy["environment"]["PODGATE_CONTROL_PLANE_HOST"] == "control-plane"
    assert envoy["environment"]["PODGATE_CONTROL_PLANE_GRPC_PORT"] == str(gateway["grpc_port"])
    assert envoy["environment"]["PODGATE_ENVOY_ADMIN_PORT"] == str(gateway["envoy_admin_port"])
    published = {str(port.container_port) for port in published_ports(envoy)}
    assert published == {
        str(gateway[port])
        for port in ("compute_port", "volume_port", "network_port", "admin_rest_port")
    }
    assert SERVICES["register"]["environment"]["PODGATE_SERVER"] == (
        f"control-plane:{gateway['grpc_port']}"
    )


# Who each published port serves: tenants reach the APIs from anywhere, operators the rest from
# the Docker host itself (an SSH tunnel or a proxy of theirs from elsewhere).
USER_FACING = ("compute_port", "volume_port", "network_port")
ADMIN_ONLY = ("admin_rest_port", "metrics_port")


def test_admin_ports_are_published_on_loopback_and_the_apis_everywhere() -> None:
    gateway = TOPOLOGY["gateway"]
    published = {p.container_port: p for s in SERVICES.values() for p in published_ports(s)}
    assert set(published) == {gateway[name] for name in USER_FACING + ADMIN_ONLY}
    for name in USER_FACING:
        assert published[gateway[name]].host_ip == "", name
    for name in ADMIN_ONLY:
        assert published[gateway[name]].host_ip == "127.0.0.1", name
    assert all(p.host_port == p.container_port for p in published.values())


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_variable_names_a_setting(name: str) -> None:
    image = dockerfile_image((ROOT / "compose" / "Dockerfile").read_text())
    env = {**image.env, **SERVICES[name].get("environment", {})}
    assert unknown_settings(env) == []


def test_the_control_plane_settings_load_and_envoy_can_reach_its_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control plane listens on every address; what it hands Envoy must be a name Envoy's
    container resolves: the service's own."""
    env = SERVICES["control-plane"]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.decision.workers > 0
    assert settings.control_plane.advertised_host == "control-plane"
    monkeypatch.delenv("PODGATE_CONTROL_PLANE_ADVERTISE_HOST")
    with pytest.raises(ValidationError, match="advertise_host"):
        Settings()


def test_the_image_contains_every_package() -> None:
    dockerfile = (ROOT / "compose" / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE))
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    for pattern in find["find"]["include"]:
        package = pattern.rstrip("*")
        folder = next(w for w in find["find"]["where"] if (ROOT / w / package).is_dir())
        assert (package if folder == "." else folder) in copied, f"{package} not in the image"
    for service in SERVICES.values():
        assert service["build"]["dockerfile"] == "compose/Dockerfile"


def test_the_build_context_is_only_what_the_image_copies() -> None:
    """.dockerignore excludes everything, then lets in exactly the Dockerfile's COPY sources."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line.removeprefix("!") for line in lines if line.startswith("!")}
    dockerfile = (ROOT / "compose" / "Dockerfile").read_text()
    copied = set()
    for sources in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        copied |= set(sources.split())
    assert allowed == copied
    assert not {".venv", ".state", "realcloud", "tests"} & allowed
