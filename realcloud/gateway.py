"""Podgate in keystone mode in front of the pods, which it finds through the Keystone catalog."""

import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc

from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc
from realcloud import seed
from realcloud.layout import ADMIN, HOST, PODS, SERVICE_PASSWORD, Layout
from realcloud.services import Spec

ENVOY_BASE_ID = 1980
_REPO = Path(__file__).resolve().parents[1]
# What Podgate runs: a change elsewhere (tests, podsim, docs) does not make a running one stale.
_SOURCES = ("control_plane", "protos")


def env(layout: Layout) -> dict[str, str]:
    """Podgate's settings as environment variables (service user `podgate`, admin in `service`)."""
    ports = layout.ports
    return {
        "PODGATE_STATE_DIR": str(layout.run / "podgate"),
        "PODGATE_AUTH": "keystone",
        "PODGATE_KEYSTONE_AUTH_URL": layout.keystone_url,
        "PODGATE_KEYSTONE_USERNAME": "podgate",
        "PODGATE_KEYSTONE_PASSWORD": SERVICE_PASSWORD,
        "PODGATE_KEYSTONE_PROJECT_NAME": "service",
        # Cloud admin (the admin API too): the admin role on keystone-manage bootstrap's project.
        "PODGATE_KEYSTONE_ADMIN_PROJECT_NAME": "admin",
        # The pods' policy (enforce_scope off) makes any project's admin act on every project;
        # Tempest's dynamic admin credentials are such admins.
        "PODGATE_KEYSTONE_ADMIN_ON_ANY_PROJECT": "true",
        "PODGATE_CONTROL_PLANE_GRPC_PORT": str(ports.podgate_grpc),
        "PODGATE_ENVOY_COMPUTE_PORT": str(ports.podgate_compute),
        "PODGATE_ENVOY_VOLUME_PORT": str(ports.podgate_volume),
        "PODGATE_ENVOY_NETWORK_PORT": str(ports.podgate_network),
        "PODGATE_ENVOY_ADMIN_PORT": str(ports.podgate_envoy_admin),
        "PODGATE_ENVOY_BASE_ID": str(ENVOY_BASE_ID),
        "PODGATE_ENVOY_UPSTREAM_TIMEOUT_S": "120",
        "PODGATE_SERVER": f"{HOST}:{ports.podgate_grpc}",
    }


def spec(layout: Layout) -> Spec:
    """`podgate up`, so Envoy runs as its child: a detached Envoy dies when its parent exits."""
    return Spec(
        "podgate",
        # -P: the working directory (run/) holds the state dir `podgate`, which would shadow the
        # installed `podgate` package as a namespace package once it exists (a restart).
        (sys.executable, "-P", "-m", "control_plane", "up"),
        env=env(layout),
        ready_url=f"http://{HOST}:{layout.ports.podgate_envoy_admin}/ready",
    )


def source_version() -> str:
    """The last commit that changed Podgate's code, `+changes` when its files differ from it."""
    git = ["git", "-C", str(_REPO)]
    head = subprocess.run(
        [*git, "log", "-1", "--format=%h", "--", *_SOURCES], capture_output=True, text=True
    )
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", *_SOURCES], capture_output=True, text=True
    )
    return head.stdout.strip() + ("+changes" if changed.stdout.strip() else "")


def admin_stub(layout: Layout) -> admin_pb2_grpc.PodAdminStub:
    channel = grpc.insecure_channel(f"{HOST}:{layout.ports.podgate_grpc}")
    return admin_pb2_grpc.PodAdminStub(channel)


def control_plane_ready(layout: Layout) -> bool:
    """The admin API answers (UNAUTHENTICATED without a token counts: keystone mode is up)."""
    try:
        admin_stub(layout).ListPods(admin_pb2.ListPodsRequest(), timeout=1)
    except grpc.RpcError as exc:
        return exc.code() == grpc.StatusCode.UNAUTHENTICATED
    return True


def register_pods(layout: Layout) -> None:
    """Pods Pod1/az1 and Pod2/az2 with no endpoints: the catalog's regions give them."""
    user, password = ADMIN
    token = seed.user_session(layout, user, password, "admin").get_token()
    metadata = (("x-auth-token", str(token)),)
    stub = admin_stub(layout)
    for pod in PODS:
        body = admin_pb2.Pod(name=pod.name, az_name=pod.az, pod_az_name=pod.az)
        try:
            stub.CreatePod(admin_pb2.CreatePodRequest(pod=body), metadata=metadata, timeout=30)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.ALREADY_EXISTS:  # a restarted Podgate keeps its DB
                raise


def clusters_ready(layout: Layout) -> bool:
    """Envoy holds a compute, a volume and a network cluster for every pod."""
    url = f"http://{HOST}:{layout.ports.podgate_envoy_admin}/clusters"
    with urllib.request.urlopen(url, timeout=2) as resp:
        text = resp.read().decode()
    names = {line.split("::", 1)[0] for line in text.splitlines()}
    services = ("compute", "volumev3", "network")
    wanted = {f"pod.{pod.name}.{service}" for pod in PODS for service in services}
    return wanted <= names
