"""`make demo`: Podgate in front of two simulated pods, registered and shown working.

Starts two podsim pods and `podgate up` as child processes, registers the pods with the
`podgate` CLI, creates a server and a volume in each availability zone through the gateway,
shows where they landed, then keeps everything running until Ctrl-C, which stops it all.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STATE = Path(os.environ.get("PODGATE_STATE_DIR", ".state/demo"))
PROJECT = "demo-project"
COMPUTE = "http://127.0.0.1:19998/v2.1"
VOLUME = "http://127.0.0.1:19997/v3"
PODS = (("pod1", "az1", "nova-az1"), ("pod2", "az2", "nova-az2"))
PODGATE = [sys.executable, "-m", "control_plane"]


def main() -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "podgate.db").unlink(missing_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    try:
        urls = {name: _start_pod(name, pod_az, children) for name, _, pod_az in PODS}
        gateway = _spawn([*PODGATE, "up", "--state-dir", str(STATE)], "podgate-up", children)
        _wait_log(STATE / "podgate-up.log", r"Podgate ready", gateway, 60)
        _step("Register the two pods through the gRPC admin API")
        for name, az, pod_az in PODS:
            _cli(
                "pod",
                "create",
                name,
                "--az",
                az,
                "--pod-az",
                pod_az,
                "--endpoint",
                f"compute={urls[name]}/compute/v2.1",
                "--endpoint",
                f"volumev3={urls[name]}/volume/v3/$(project_id)s",
            )
        _cli("pod", "list")
        time.sleep(0.5)
        for _, az, _ in PODS:
            _step(f"Create a server and a volume in {az} through the gateway")
            server = _http(
                "POST",
                f"{COMPUTE}/{PROJECT}/servers",
                {
                    "server": {
                        "name": f"vm-{az}",
                        "flavorRef": "1",
                        "imageRef": "cirros",
                        "availability_zone": az,
                        "metadata": {"demo": "yes"},
                    }
                },
            )
            server_id = server["server"]["id"]
            volume = _http(
                "POST",
                f"{VOLUME}/{PROJECT}/volumes",
                {"volume": {"size": 1, "name": f"vol-{az}", "availability_zone": az}},
            )
            print(
                f"  volume {volume['volume']['id']} availability_zone="
                f"{volume['volume']['availability_zone']}"
            )
            shown = _http("GET", f"{COMPUTE}/{PROJECT}/servers/{server_id}")["server"]
            print(
                f"  server {server_id} name={shown['name']} "
                f"pod AZ={shown['OS-EXT-AZ:availability_zone']}"
            )
        _step("Routings the gateway recorded")
        _cli("routing", "list")
        _step("Podgate is running")
        print(
            f"  compute: {COMPUTE}/{PROJECT}\n  volume:  {VOLUME}/{PROJECT}\n"
            f"  admin:   .venv/bin/podgate pod list   (gRPC 127.0.0.1:19990)\n"
            f"  logs:    {STATE}/*.log\nPress Ctrl-C to stop everything."
        )
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("\nstopping")
        return 0
    finally:
        for child in reversed(children):
            child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def _spawn(argv: list[str], name: str, children: list) -> subprocess.Popen[bytes]:
    with (STATE / f"{name}.log").open("wb") as log:
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    children.append(child)
    return child


def _start_pod(name: str, az: str, children: list) -> str:
    child = _spawn(
        [sys.executable, "-m", "podsim", "--name", name, "--az", az, "--port", "0"], name, children
    )
    return _wait_log(STATE / f"{name}.log", r"listening on (http://\S+)", child, 20).group(1)


def _wait_log(path: Path, pattern: str, child: subprocess.Popen, timeout: float) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, path.read_text(errors="replace"))
        if match:
            return match
        if child.poll() is not None:
            raise SystemExit(f"{path.stem} exited:\n{path.read_text(errors='replace')}")
        time.sleep(0.1)
    raise SystemExit(f"{path.stem} not ready after {timeout}s; see {path}")


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _cli(*args: str) -> None:
    print(f"$ podgate {' '.join(args)}", flush=True)
    subprocess.run([*PODGATE, *args], check=True)


def _http(method: str, url: str, body: object = None) -> dict:
    print(f"$ {method} {url}", flush=True)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            print(f"  -> {resp.status} from pod {resp.headers.get('x-podsim-pod')}")
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"  -> {exc.code}: {exc.read().decode()}") from exc


if __name__ == "__main__":
    raise SystemExit(main())
