"""`make demo`: Podgate in front of two simulated pods, registered and toured with `openstack`.

Reads compose/topology.yaml (the same topology the compose file describes), starts the pods and
`podgate up` as child processes, registers the pods with the `podgate` CLI, writes a clouds.yaml
for the gateway into the state dir and tours it with the real `openstack` CLI (a network and
subnet, a volume, then a server booted from it on that network, in each availability zone; one
merged list; show; delete), then keeps
everything running until Ctrl-C, which stops it all. `--no-wait` stops right after the tour (for
tests); `--free-ports` ignores the topology's ports (to run beside another stack).
"""

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from harness.demo_guard import GATEWAY_PORTS, DemoRefused, claim
from harness.procs import free_port

TOPOLOGY = Path(__file__).resolve().parents[1] / "compose" / "topology.yaml"
PODGATE = [sys.executable, "-m", "control_plane"]
OPENSTACK = Path(sys.executable).parent / "openstack"
CLOUD = "podgate"
# How long each process may take to start and Envoy to get the pods: generous, for a busy machine.
_START_S = 240
# Columns that keep the tour's tables narrow; the merged list shows the user-facing AZ.
_LIST_COLUMNS = (
    *("--long", "-c", "ID", "-c", "Name", "-c", "Status", "-c", "Availability Zone"),
    *("-c", "Flavor"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-wait", action="store_true", help="stop after the tour")
    parser.add_argument("--free-ports", action="store_true", help="ignore the topology's ports")
    args = parser.parse_args(argv)
    topology = yaml.safe_load(TOPOLOGY.read_text())
    if args.free_ports:
        _free_ports(topology)
    state = Path(os.environ.get("PODGATE_STATE_DIR", ".state/demo")).resolve()
    state.mkdir(parents=True, exist_ok=True)
    try:
        lock = claim(state, topology)
    except DemoRefused as refused:
        print(f"make demo: {refused}", file=sys.stderr)
        return 1
    (state / "podgate.db").unlink(missing_ok=True)
    gateway = topology["gateway"]
    env = {
        **os.environ,
        "PODGATE_STATE_DIR": str(state),
        "PODGATE_CONTROL_PLANE_GRPC_PORT": str(gateway["grpc_port"]),
        "PODGATE_CONTROL_PLANE_METRICS_PORT": str(gateway["metrics_port"]),
        "PODGATE_ENVOY_COMPUTE_PORT": str(gateway["compute_port"]),
        "PODGATE_ENVOY_VOLUME_PORT": str(gateway["volume_port"]),
        "PODGATE_ENVOY_NETWORK_PORT": str(gateway["network_port"]),
        "PODGATE_ENVOY_ADMIN_REST_PORT": str(gateway["admin_rest_port"]),
        "PODGATE_ENVOY_ADMIN_PORT": str(gateway["envoy_admin_port"]),
        "PODGATE_ENVOY_BASE_ID": str(gateway.get("envoy_base_id", 0)),
        "PODGATE_SERVER": f"127.0.0.1:{gateway['grpc_port']}",
        # `auth_type: none` sends no X-Project-Id, which Neutron's project-less paths need.
        "PODGATE_DECISION_NOAUTH_PROJECT": topology["project"],
    }
    # Explicit handlers: a shell that starts the demo in the background ignores SIGINT for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    demo = _Demo(state, env, topology)
    toured = False
    try:
        demo.run()
        toured = True
        if not args.no_wait:
            signal.pause()
        return 0
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
        return 0 if toured else 130
    finally:
        demo.stop()
        lock.close()


def clouds_yaml(compute: str, volume: str, network: str) -> str:
    """A clouds.yaml naming the gateway's endpoints, for `openstack` and openstacksdk.

    Without Keystone (noauth) there is no catalog, so each service gets an endpoint override
    (the network API's project is the gateway's `[decision] noauth_project`: its paths name none).
    OSC 10.5 builds an identity client for `server list` and `volume list` even when it makes
    no identity call, so identity discovery is pointed at the gateway's v3 version document;
    there is no Glance, so the image service is switched off (boot servers from volumes).
    """
    identity = volume.rsplit("/", 1)[0]
    return (
        "clouds:\n"
        f"  {CLOUD}:\n"
        "    auth_type: none\n"
        f"    compute_endpoint_override: {compute}\n"
        f"    block_storage_endpoint_override: {volume}\n"
        "    block_storage_api_version: '3'\n"
        f"    network_endpoint_override: {network}\n"
        f"    identity_endpoint_override: {identity}\n"
        "    identity_api_version: '3'\n"
        "    has_image: false\n"
    )


class _Demo:
    """The processes of one demo run and the tour through them."""

    def __init__(self, state: Path, env: dict[str, str], topology: dict) -> None:
        self.state, self.env, self.topology = state, env, topology
        self.children: list[subprocess.Popen[bytes]] = []
        project, gateway = topology["project"], topology["gateway"]
        self.compute = f"http://127.0.0.1:{gateway['compute_port']}/v2.1/{project}"
        self.volume = f"http://127.0.0.1:{gateway['volume_port']}/v3/{project}"
        self.network = f"http://127.0.0.1:{gateway['network_port']}"
        self.clouds = state / "clouds.yaml"
        # The user's own OS_* variables would point `openstack` at another cloud.
        self.os_env = {
            **{k: v for k, v in env.items() if not k.startswith("OS_")},
            "OS_CLIENT_CONFIG_FILE": str(self.clouds),
            "OS_CLOUD": CLOUD,
        }

    def run(self) -> None:
        for pod in self.topology["pods"]:
            argv = ["--name", pod["name"], "--az", pod["pod_az"], "--port", str(pod["port"])]
            child = self._spawn([sys.executable, "-m", "podsim", *argv], pod["name"])
            self._wait_log(pod["name"], r"listening on http://", child, _START_S)
        gateway = self._spawn([*PODGATE, "up", "--state-dir", str(self.state)], "podgate-up")
        self._wait_log("podgate-up", r"Podgate ready", gateway, _START_S)
        _step("Register the pods through the gRPC admin API")
        for pod in self.topology["pods"]:
            url = f"http://127.0.0.1:{pod['port']}"
            self._podgate(
                *("pod", "create", pod["name"], "--az", pod["az"], "--pod-az", pod["pod_az"]),
                *("--endpoint", f"compute={url}/compute/v2.1"),
                *("--endpoint", f"volumev3={url}/volume/v3/$(project_id)s"),
                *("--endpoint", f"network={url}/network"),
            )
        self._podgate("pod", "list")
        self._wait_for_clusters()
        self.clouds.write_text(clouds_yaml(self.compute, self.volume, self.network))
        self._tour()
        _step("Routings the gateway keeps (the deleted server's is forgotten)")
        self._wait_servers_routed(len(self.topology["pods"]) - 1)
        self._podgate("routing", "list")
        self._summary()

    def _tour(self) -> None:
        azs = [pod["az"] for pod in self.topology["pods"]]
        _step(f"The openstack CLI against the gateway (clouds.yaml: {self.clouds})")
        self._openstack("availability zone list")
        for number, az in enumerate(azs, 1):
            _step(f"A network, a volume and a server booted from it on the network in {az}")
            self._openstack(
                f"network create --availability-zone-hint {az} net-{az} -c id -c name"
                " -c availability_zone_hints"
            )
            self._openstack(
                f"subnet create --network net-{az} --subnet-range 10.{number}.0.0/24 sub-{az}"
                " -c id -c name -c cidr"
            )
            self._openstack(
                f"volume create --size 1 --availability-zone {az} --property demo=yes boot-{az}"
                " -c id -c name -c status -c availability_zone"
            )
            self._openstack(
                f"server create --flavor 1 --volume boot-{az} --availability-zone {az}"
                f" --network net-{az} --wait vm-{az} -c id -c name -c status"
            )
        _step("One merged list across both pods")
        self._openstack("server list", *_LIST_COLUMNS)
        self._openstack(f"server show vm-{azs[0]} -c id -c name -c status -c flavor -c created")
        self._openstack("volume list")
        _step(f"Delete vm-{azs[-1]}; it leaves the merged list")
        self._openstack(f"server delete --wait vm-{azs[-1]}")
        self._openstack("server list", *_LIST_COLUMNS)

    def _summary(self) -> None:
        gateway = self.topology["gateway"]
        clouds = "".join(f"    {line}\n" for line in self.clouds.read_text().splitlines())
        _step("Podgate is running")
        print(
            f"  compute: {self.compute}\n  volume:  {self.volume}\n  network: {self.network}\n"
            f"  admin:   .venv/bin/podgate pod list --state-dir {self.state}"
            f"   (gRPC {self.env['PODGATE_SERVER']})\n"
            f"  rest:    http://127.0.0.1:{gateway['admin_rest_port']}/v1.0/pods"
            f"   (Trio2o's admin API; header X-Auth-Token: the token in {self.state}/admin-token)\n"
            f"  metrics: http://127.0.0.1:{gateway['metrics_port']}/metrics\n"
            f"  logs:    {self.state}/*.log\n\n"
            f"  clouds.yaml for the openstack CLI and openstacksdk: {self.clouds}\n{clouds}\n"
            "  Use it (in a shell without other OS_* variables):\n"
            f"    export OS_CLIENT_CONFIG_FILE={self.clouds} OS_CLOUD={CLOUD}\n"
            "    openstack server list\n"
            "\nPress Ctrl-C to stop everything.",
            flush=True,
        )

    def stop(self) -> None:
        for child in reversed(self.children):
            child.send_signal(signal.SIGINT)
        for child in self.children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    def _spawn(self, argv: list[str], name: str) -> subprocess.Popen[bytes]:
        with (self.state / f"{name}.log").open("wb") as log:
            child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.children.append(child)
        return child

    def _wait_log(self, name: str, pattern: str, child: subprocess.Popen, timeout: float) -> None:
        path = self.state / f"{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, path.read_text(errors="replace")):
                return
            if child.poll() is not None:
                raise SystemExit(f"{name} exited:\n{path.read_text(errors='replace')}")
            time.sleep(0.1)
        raise SystemExit(f"{name} not ready after {timeout}s; see {path}")

    def _wait_for_clusters(self) -> None:
        """Wait until Envoy holds every pod's clusters (until then a create there is a 503)."""
        admin = f"http://127.0.0.1:{self.topology['gateway']['envoy_admin_port']}/clusters"
        # An endpoint's health line, for each service of each pod (cluster names: model.py).
        wanted = [
            re.compile(
                rf"^pod\.{re.escape(pod['name'])}\.{service}::[^:]+:\d+::health_flags::", re.M
            )
            for pod in self.topology["pods"]
            for service in ("compute", "volumev3", "network")
        ]
        deadline = time.monotonic() + _START_S
        while time.monotonic() < deadline:
            with urllib.request.urlopen(admin, timeout=10) as answer:
                text = answer.read().decode()
            if all(pattern.search(text) for pattern in wanted):
                return
            time.sleep(0.1)
        raise SystemExit(f"Envoy has no cluster for some pod after {_START_S}s: {admin}")

    def _wait_servers_routed(self, count: int) -> None:
        """Until the gateway has forgotten the deleted server (its pod said it is gone)."""
        deadline = time.monotonic() + _START_S
        while time.monotonic() < deadline:
            listed = subprocess.run(
                [*PODGATE, "routing", "list", "--type", "server"],
                env=self.env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if listed.count("│ server ") == count:
                return
            time.sleep(0.2)
        raise SystemExit(f"the deleted server is still routed after {_START_S}s")

    def _podgate(self, *args: str) -> None:
        print(f"$ podgate {' '.join(args)}", flush=True)
        subprocess.run([*PODGATE, *args], check=True, env=self.env)

    def _openstack(self, command: str, *args: str) -> None:
        run_openstack([*shlex.split(command), *args], self.os_env)


def run_openstack(args: list[str], env: dict[str, str]) -> str:
    """Run `openstack ARGS`, echoing the command and its table; a failure ends the demo."""
    print(f"$ openstack {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [str(OPENSTACK), *args], env=env, capture_output=True, text=True, check=False
    )
    print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(
            f"`openstack {shlex.join(args)}` failed (exit {done.returncode}):\n{done.stderr}"
        )
    return done.stdout


def _free_ports(topology: dict) -> None:
    ports = iter(free_port() for _ in range(len(GATEWAY_PORTS) + len(topology["pods"])))
    for key in GATEWAY_PORTS:
        topology["gateway"][key] = next(ports)
    for pod in topology["pods"]:
        pod["port"] = next(ports)
    # Envoy's shared-memory id: two Envoys with one id clash, so it is taken like a port.
    topology["gateway"]["envoy_base_id"] = free_port()


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
