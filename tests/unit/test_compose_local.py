"""harness/compose_local.py: a compose file made into local processes, on small made-up files."""

import itertools
from pathlib import Path

import pytest

from harness.compose_local import (
    Image,
    Published,
    dependency_order,
    dockerfile_image,
    plan,
    published_ports,
    unknown_settings,
)

ROOT = Path("/tmp/local")
DOCKERFILE = """FROM python:3.11-slim
ENV PODGATE_STATE_DIR=/var/lib/podgate
EXPOSE 19990 19998/tcp
CMD ["podgate", "--help"]
"""


def _plan(services: dict, volumes: dict | None = None) -> dict:
    compose = {"services": services, "volumes": volumes or {}}
    ports = itertools.count(30000)
    return {
        s.name: s for s in plan(compose, dockerfile_image(DOCKERFILE), ROOT, lambda: next(ports))
    }


def test_the_dockerfile_gives_env_exposed_ports_and_cmd() -> None:
    image = dockerfile_image(DOCKERFILE)
    assert image == Image(
        env={"PODGATE_STATE_DIR": "/var/lib/podgate"},
        exposed=(19990, 19998),
        entrypoint=(),
        cmd=("podgate", "--help"),
    )


def test_published_ports_keep_their_host_address() -> None:
    service = {"ports": ["127.0.0.1:19992:19992", "19998:19998", "8080"]}
    assert published_ports(service) == [
        Published("127.0.0.1", 19992, 19992),
        Published("", 19998, 19998),
        Published("", 8080, 8080),
    ]


def test_port_ranges_are_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="only"):
        published_ports({"ports": ["9000-9001:9000-9001"]})


def test_services_start_after_what_they_depend_on() -> None:
    services = {"c": {"depends_on": ["a", "b"]}, "b": {"depends_on": {"a": {}}}, "a": {}}
    assert dependency_order(services) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="no service"):
        dependency_order({"a": {"depends_on": ["ghost"]}})
    with pytest.raises(ValueError, match="cycle"):
        dependency_order({"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}})


def test_a_misnamed_setting_is_caught() -> None:
    env = {"PODGATE_CONTROL_PLANE_GRPC_PROT": "1", "PODGATE_SERVER": "x:1", "PODGATE_AUTH": "a"}
    assert unknown_settings(env) == ["PODGATE_CONTROL_PLANE_GRPC_PROT"]
    with pytest.raises(ValueError, match="PODGATE_ENVOY_HOTS"):
        _plan({"envoy": {"environment": {"PODGATE_ENVOY_HOTS": "0.0.0.0"}}})


def test_hosts_ports_and_volumes_become_local_and_agree_across_services() -> None:
    services = _plan(
        {
            "server": {
                "command": ["podgate", "serve"],
                "environment": {"PODGATE_CONTROL_PLANE_HOST": "0.0.0.0"},
                "ports": ["127.0.0.1:19992:19992"],
                "volumes": ["state:/var/lib/podgate"],
            },
            "pod1": {
                "command": ["podsim", "--name", "pod1", "--host", "0.0.0.0", "--port", "8001"]
            },
            "job": {
                "depends_on": ["server", "pod1"],
                "restart": "no",
                "environment": ["PODGATE_SERVER=server:19990"],
                "volumes": ["state:/var/lib/podgate:ro"],
                "entrypoint": ["sh", "-c"],
                "command": ["podgate pod create pod1 --endpoint 'c=http://pod1:8001/$$(x)s'"],
            },
        },
        volumes={"state": None},
    )
    server, pod, job = services["server"], services["pod1"], services["job"]
    grpc = server.env["PODGATE_CONTROL_PLANE_GRPC_PORT"]  # a default, given its own local port
    assert grpc != "19990" and job.env["PODGATE_SERVER"] == f"127.0.0.1:{grpc}"
    assert server.env["PODGATE_CONTROL_PLANE_HOST"] == "127.0.0.1"
    assert server.published == {19992: int(server.env["PODGATE_CONTROL_PLANE_METRICS_PORT"])}
    pod_port = pod.argv[pod.argv.index("--port") + 1]
    assert pod.argv[:5] == ("podsim", "--name", "pod1", "--host", "127.0.0.1")
    assert job.argv == (
        "sh",
        "-c",
        f"podgate pod create pod1 --endpoint 'c=http://127.0.0.1:{pod_port}/$(x)s'",
    )
    shared = ROOT / "volumes" / "state"
    assert server.env["PODGATE_STATE_DIR"] == job.env["PODGATE_STATE_DIR"] == str(shared)
    assert pod.env["PODGATE_STATE_DIR"] == str(ROOT / "services" / "pod1" / "var/lib/podgate")
    assert (server.one_shot, job.one_shot) == (False, True)
    assert shared in server.directories


def test_every_process_gets_its_own_envoy_shared_memory_id() -> None:
    services = _plan({"envoy": {"command": ["podgate", "envoy"]}})
    assert services["envoy"].env["PODGATE_ENVOY_BASE_ID"] != "0"


def test_the_images_cmd_runs_unless_the_service_says_otherwise() -> None:
    services = _plan({"a": {}, "b": {"entrypoint": ["sh"]}, "c": {"command": "podgate up"}})
    assert services["a"].argv == ("podgate", "--help")
    assert services["b"].argv == ("sh",)  # an entrypoint of its own drops the image's CMD
    assert services["c"].argv == ("podgate", "up")


def test_interpolation_is_refused_rather_than_left_empty() -> None:
    with pytest.raises(ValueError, match="interpolation"):
        _plan({"a": {"environment": {"PODGATE_AUTH": "${AUTH}"}}})


def test_bind_mounts_are_refused() -> None:
    with pytest.raises(ValueError, match="named volumes"):
        _plan({"a": {"volumes": ["./here:/there"]}})
