"""What to run for each long-lived process of the cloud, as data: argv, environment, readiness."""

import signal
from dataclasses import dataclass, field
from pathlib import Path

from realcloud.layout import HOST, Layout, Pod

ERL_BIN = Path("/usr/lib/rabbitmq/bin")
EPMD = Path("/usr/bin/epmd")
_GUNICORN_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class Spec:
    """One process: how to start it, and how to tell it is ready (URL, port, or neither)."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    ready_port: int | None = None
    user: str | None = None
    stop_signal: int = signal.SIGTERM


def wsgi(
    layout: Layout,
    name: str,
    component: str,
    module: str,
    port: int,
    env: dict[str, str],
    threads: int = 1,
) -> Spec:
    """A WSGI app under gunicorn (one worker) through the argv-clearing wrapper module."""
    wrapper_dir = layout.etc / "wsgi"
    argv = (
        str(layout.bin(component, "gunicorn")),
        *("--bind", f"{HOST}:{port}", "--workers", "1", "--threads", str(threads)),
        *("--timeout", str(_GUNICORN_TIMEOUT_S), "--no-control-socket"),
        *("--pythonpath", str(wrapper_dir), f"{wrapper_name(module)}:application"),
    )
    return Spec(name, argv, env=env, ready_url=f"http://{HOST}:{port}/")


def wrapper_name(module: str) -> str:
    """The wrapper module's name for a WSGI module, e.g. realcloud_nova_wsgi_osapi_compute."""
    return "realcloud_" + module.replace(".", "_")


def postgres(layout: Layout, bin_dir: Path, data: Path) -> Spec:
    argv = (
        str(bin_dir / "postgres"),
        *("-D", str(data), "-p", str(layout.ports.postgres), "-k", str(data)),
        *("-c", f"listen_addresses={HOST}", "-c", "max_connections=400"),
        *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
    )
    return Spec(
        "postgres",
        argv,
        ready_port=layout.ports.postgres,
        user="postgres",
        stop_signal=signal.SIGINT,
    )


def rabbit_env(layout: Layout) -> dict[str, str]:
    """Everything RabbitMQ and rabbitmqctl need to stay on loopback and in the state dir."""
    root = layout.data / "rabbit"
    loopback = "-kernel inet_dist_use_interface {127,0,0,1}"
    port = layout.ports.rabbit_dist
    dist = f"{loopback} -kernel inet_dist_listen_min {port} -kernel inet_dist_listen_max {port}"
    return {
        "HOME": str(root / "home"),
        "RABBITMQ_CONF_ENV_FILE": str(layout.etc / "rabbit" / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(layout.etc / "rabbit" / "rabbitmq"),
        "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
        "RABBITMQ_LOG_BASE": str(root / "log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(layout.etc / "rabbit" / "enabled_plugins"),
        "RABBITMQ_NODENAME": "realcloud@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_DIST_PORT": str(layout.ports.rabbit_dist),
        "ERL_EPMD_ADDRESS": HOST,
        "ERL_EPMD_PORT": str(layout.ports.epmd),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": dist,
        "RABBITMQ_CTL_ERL_ARGS": loopback,
    }


def epmd(layout: Layout) -> Spec:
    """Erlang's port mapper, run by us in the foreground so it is stopped by PID too."""
    argv = (str(EPMD), "-address", HOST, "-port", str(layout.ports.epmd))
    return Spec("epmd", argv, ready_port=layout.ports.epmd)


def rabbit(layout: Layout) -> Spec:
    argv = (str(ERL_BIN / "rabbitmq-server"),)
    return Spec("rabbitmq", argv, env=rabbit_env(layout), ready_port=layout.ports.rabbit)


def keystone(layout: Layout) -> Spec:
    env = {"OS_KEYSTONE_CONFIG_DIR": str(layout.etc / "keystone")}
    return wsgi(layout, "keystone", "keystone", "keystone.wsgi.api", layout.ports.keystone, env)


def glance(layout: Layout) -> Spec:
    env = {"OS_GLANCE_CONFIG_DIR": str(layout.etc / "glance")}
    return wsgi(layout, "glance", "glance", "glance.wsgi.api", layout.ports.glance, env, 4)


def pod_apis(layout: Layout, pod: Pod) -> list[Spec]:
    """A pod's HTTP services: Placement, Nova API, Neutron API, Cinder API."""
    etc = layout.etc / pod.key
    cinder = layout.bin("cinder", "cinder-api")
    return [
        wsgi(
            layout,
            f"{pod.key}-placement",
            "nova",
            "placement.wsgi.api",
            pod.placement_port,
            {"OS_PLACEMENT_CONFIG_DIR": str(etc / "placement")},
            4,
        ),
        wsgi(
            layout,
            f"{pod.key}-nova-api",
            "nova",
            "nova.wsgi.osapi_compute",
            pod.nova_port,
            {"OS_NOVA_CONFIG_DIR": str(etc / "nova")},
            4,
        ),
        wsgi(
            layout,
            f"{pod.key}-neutron",
            "neutron",
            "neutron.wsgi.api",
            pod.neutron_port,
            {"OS_NEUTRON_CONFIG_DIR": str(etc / "neutron")},
            4,
        ),
        Spec(
            f"{pod.key}-cinder-api",
            (str(cinder), "--config-file", str(etc / "cinder" / "cinder.conf")),
            ready_url=f"http://{HOST}:{pod.cinder_port}/",
        ),
    ]


def pod_workers(layout: Layout, pod: Pod) -> list[Spec]:
    """A pod's RPC services; they are ready when the pod's APIs say so (see cloud.py)."""
    etc = layout.etc / pod.key
    nova_conf = ("--config-file", str(etc / "nova" / "nova.conf"))
    cinder_conf = ("--config-file", str(etc / "cinder" / "cinder.conf"))
    return [
        *(
            Spec(f"{pod.key}-{binary}", (str(layout.bin("cinder", binary)), *cinder_conf))
            for binary in ("cinder-scheduler", "cinder-volume")
        ),
        *(
            Spec(f"{pod.key}-{binary}", (str(layout.bin("nova", binary)), *nova_conf))
            for binary in ("nova-conductor", "nova-scheduler", "nova-compute")
        ),
    ]
