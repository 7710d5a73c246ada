"""Where the real cloud lives: its state directory, fixed loopback ports, pods and credentials."""

import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "PODGATE_REALCLOUD_DIR"
DEFAULT_STATE_DIR = Path("/var/tmp/podgate-realcloud")
HOST = "127.0.0.1"

# Keystone users (name, password); every service user is admin + service in project `service`.
ADMIN = ("admin", "realcloud-admin")
DEMO = ("demo", "realcloud-demo")
SERVICE_USERS = ("nova", "placement", "cinder", "neutron", "glance", "podgate")
SERVICE_PASSWORD = "realcloud-service"
RABBIT_USER = ("openstack", "realcloud-rabbit")
GATEWAY_REGION = "RegionOne"
PUBLIC_NETWORK = ("public", "172.24.4.0/24")  # every pod's external network and its subnet
FLAVORS = (("42", "m1.nano", 128, 1, 1), ("84", "m1.micro", 192, 1, 1))


@dataclass(frozen=True, slots=True)
class Pod:
    """One pod: a Keystone region with its own Nova, Placement, Neutron and Cinder."""

    name: str
    az: str
    nova_port: int
    placement_port: int
    neutron_port: int
    cinder_port: int

    @property
    def key(self) -> str:
        """Lower-case name for files, databases, RabbitMQ vhosts and service hosts."""
        return self.name.lower()

    @property
    def host(self) -> str:
        """The `host` its Nova and Cinder services register under."""
        return f"{self.key}-host"


PODS = (
    Pod(
        "Pod1", "az1", nova_port=18774, placement_port=18778, neutron_port=18696, cinder_port=18776
    ),
    Pod(
        "Pod2", "az2", nova_port=28774, placement_port=28778, neutron_port=28696, cinder_port=28776
    ),
)


@dataclass(frozen=True, slots=True)
class Ports:
    """Ports of the shared services and of the Podgate in front (all on 127.0.0.1)."""

    keystone: int = 15000
    glance: int = 15292
    postgres: int = 15432
    rabbit: int = 15672
    rabbit_dist: int = 15673
    epmd: int = 15369
    podgate_compute: int = 19998
    podgate_volume: int = 19997
    podgate_network: int = 19995
    podgate_grpc: int = 19980
    podgate_envoy_admin: int = 19981


@dataclass(frozen=True, slots=True)
class Layout:
    """Paths under the state directory; venvs survive `down`, everything under run/ is per `up`."""

    root: Path
    ports: Ports = Ports()

    @property
    def venvs(self) -> Path:
        return self.root / "venvs"

    def venv(self, component: str) -> Path:
        return self.venvs / component

    def bin(self, component: str, name: str) -> Path:
        return self.venv(component) / "bin" / name

    @property
    def templates(self) -> Path:
        """Migrated databases and bootstrapped Keystone data, copied by every `up`."""
        return self.root / "templates"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def pids(self) -> Path:
        return self.run / "pids"

    @property
    def logs(self) -> Path:
        return self.run / "logs"

    @property
    def etc(self) -> Path:
        return self.run / "etc"

    @property
    def data(self) -> Path:
        return self.run / "data"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def keystone_url(self) -> str:
        return f"http://{HOST}:{self.ports.keystone}/v3"

    @property
    def glance_url(self) -> str:
        return f"http://{HOST}:{self.ports.glance}"

    def postgres_url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@{HOST}:{self.ports.postgres}/{database}"

    def rabbit_url(self, vhost: str) -> str:
        user, password = RABBIT_USER
        return f"rabbit://{user}:{password}@{HOST}:{self.ports.rabbit}/{vhost}"


def default_layout() -> Layout:
    """The layout under $PODGATE_REALCLOUD_DIR, else /var/tmp/podgate-realcloud."""
    return Layout(Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR).resolve())
