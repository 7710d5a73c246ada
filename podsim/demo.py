"""`make demo`: Podgate in front of two simulated pods, registered and shown working.

Reads compose/topology.yaml (the same topology the compose file describes), starts the pods and
`podgate up` as child processes, registers the pods with the `podgate` CLI, creates a server and
a volume in each availability zone through the gateway, lists them merged, then keeps everything
running until Ctrl-C, which stops it all. `--no-wait` stops right after the tour (for tests);
`--free-ports` ignores the topology's ports (to run beside another stack).
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

TOPOLOGY = Path(__file__).resolve().parents[1] / "compose" / "topology.yaml"
PODGATE = [sys.executable, "-m", "control_plane"]


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
    (state / "podgate.db").unlink(missing_ok=True)
    gateway = topology["gateway"]
    env = {
        **os.environ,
        "PODGATE_STATE_DIR": str(state),
        "PODGATE_CONTROL_PLANE_GRPC_PORT": str(gateway["grpc_port"]),
        "PODGATE_CONTROL_PLANE_METRICS_PORT": str(gateway["metrics_port"]),
        "PODGATE_ENVOY_COMPUTE_PORT": str(gateway["compute_port"]),
        "PODGATE_ENVOY_VOLUME_PORT": str(gateway["volume_port"]),
        "PODGATE_ENVOY_ADMIN_REST_PORT": str(gateway["admin_rest_port"]),
        "PODGATE_ENVOY_ADMIN_PORT": str(gateway["envoy_admin_port"]),
        "PODGATE_SERVER": f"127.0.0.1:{gateway['grpc_port']}",
    }
    demo = _Demo(state, env, topology)
    try:
        demo.run()
        if not args.no_wait:
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                signal.pause()
            except KeyboardInterrupt:
                print("\nstopping")
        return 0
    finally:
        demo.stop()


class _Demo:
    """The processes of one demo run and the tour through them."""

    def __init__(self, state: Path, env: dict[str, str], topology: dict) -> None:
        self.state, self.env, self.topology = state, env, topology
        self.children: list[subprocess.Popen[bytes]] = []
        project, gateway = topology["project"], topology["gateway"]
        self.compute = f"http://127.0.0.1:{gateway['compute_port']}/v2.1/{project}"
        self.volume = f"http://127.0.0.1:{gateway['volume_port']}/v3/{project}"

    def run(self) -> None:
        for pod in self.topology["pods"]:
            argv = ["--name", pod["name"], "--az", pod["pod_az"], "--port", str(pod["port"])]
            child = self._spawn([sys.executable, "-m", "podsim", *argv], pod["name"])
            self._wait_log(pod["name"], r"listening on http://", child, 20)
        gateway = self._spawn([*PODGATE, "up", "--state-dir", str(self.state)], "podgate-up")
        self._wait_log("podgate-up", r"Podgate ready", gateway, 60)
        _step("Register the pods through the gRPC admin API")
        for pod in self.topology["pods"]:
            url = f"http://127.0.0.1:{pod['port']}"
            self._cli(
                *("pod", "create", pod["name"], "--az", pod["az"], "--pod-az", pod["pod_az"]),
                *("--endpoint", f"compute={url}/compute/v2.1"),
                *("--endpoint", f"volumev3={url}/volume/v3/$(project_id)s"),
            )
        self._cli("pod", "list")
        time.sleep(0.5)
        for pod in self.topology["pods"]:
            az = pod["az"]
            _step(f"Create a server and a volume in {az} through the gateway")
            body = {"name": f"vm-{az}", "flavorRef": "1", "imageRef": "cirros",
                    "availability_zone": az, "metadata": {"demo": "yes"}}  # fmt: skip
            server = _http("POST", f"{self.compute}/servers", {"server": body})["server"]
            volume = _http(
                "POST",
                f"{self.volume}/volumes",
                {"volume": {"size": 1, "name": f"vol-{az}", "availability_zone": az}},
            )
            print(f"  volume {volume['volume']['id']} in {volume['volume']['availability_zone']}")
            shown = _http("GET", f"{self.compute}/servers/{server['id']}")["server"]
            print(
                f"  server {shown['id']} {shown['name']} in pod AZ "
                f"{shown['OS-EXT-AZ:availability_zone']}"
            )
        _step("List servers across both pods (one merged list)")
        for server in _http("GET", f"{self.compute}/servers/detail")["servers"]:
            print(
                f"  {server['name']:<10} {server['OS-EXT-AZ:availability_zone']:<6} {server['id']}"
            )
        _step("Routings the gateway recorded")
        self._cli("routing", "list")
        _step("Podgate is running")
        print(
            f"  compute: {self.compute}\n  volume:  {self.volume}\n"
            f"  admin:   .venv/bin/podgate pod list   (gRPC {self.env['PODGATE_SERVER']})\n"
            f"  rest:    http://127.0.0.1:{self.topology['gateway']['admin_rest_port']}/v1.0/pods"
            "   (Trio2o's admin API)\n"
            f"  metrics: http://127.0.0.1:{self.topology['gateway']['metrics_port']}/metrics\n"
            f"  logs:    {self.state}/*.log\nPress Ctrl-C to stop everything.",
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

    def _cli(self, *args: str) -> None:
        print(f"$ podgate {' '.join(args)}", flush=True)
        subprocess.run([*PODGATE, *args], check=True, env=self.env)


def _free_ports(topology: dict) -> None:
    keys = (
        "compute_port",
        "volume_port",
        "admin_rest_port",
        "grpc_port",
        "metrics_port",
        "envoy_admin_port",
    )
    ports = iter(_free_port() for _ in range(len(keys) + len(topology["pods"])))
    for key in keys:
        topology["gateway"][key] = next(ports)
    for pod in topology["pods"]:
        pod["port"] = next(ports)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _http(method: str, url: str, body: object = None) -> dict:
    print(f"$ {method} {url}", flush=True)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            print(f"  -> {resp.status} from {resp.headers.get('x-podsim-pod') or 'the gateway'}")
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"  -> {exc.code}: {exc.read().decode()}") from exc


if __name__ == "__main__":
    raise SystemExit(main())
