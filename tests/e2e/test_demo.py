"""`make demo` from a fresh state dir: the `openstack` tour, the clouds.yaml it hands over, Ctrl-C.

The demo runs as `make demo` runs it (waiting for Ctrl-C) in its own process group; the test
reads the tour, uses the printed clouds.yaml snippet while the stack is up, then sends SIGINT to
the whole group as a terminal's Ctrl-C does and checks that every port it opened is closed.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.demo import OPENSTACK, TOPOLOGY, clouds_yaml, run_openstack
from harness.procs import WAIT_S

# The tour runs the `openstack` CLI a dozen times; on a loaded machine that alone can take
# minutes, past the suite's per-test timeout (which counts the module fixture's set-up).
START_S = 480
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(START_S + 120)]

READY = "Press Ctrl-C to stop everything."


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen, Path]]:
    """The running demo and its output file, once the tour is over and the stack waits."""
    tmp = tmp_path_factory.mktemp("demo")
    out = tmp / "demo.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.demo", "--free-ports"],
            env={**env, "PODGATE_STATE_DIR": str(tmp / "state")},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_S
        while READY not in out.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        assert proc.poll() is None, out.read_text()
        yield proc, out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _section(out: str, title: str) -> str:
    return out.split(f"== {title}")[1].split("\n== ")[0]


def _command_output(section: str, command: str) -> str:
    return section.split(f"$ openstack {command}")[1].split("\n$ ")[0]


def test_tour_runs_the_openstack_cli_and_lists_servers_merged(demo) -> None:
    _, out_file = demo
    out = out_file.read_text()
    commands = re.findall(r"^\$ openstack (\S+ \S+)", out, re.M)
    assert commands == [
        "availability zone",
        *["network create", "subnet create", "volume create", "server create"] * 2,
        "server list",
        "server show",
        "volume list",
        "server delete",
        "server list",
    ]
    # No flag: Nova's, Cinder's and Neutron's zones (networks', routers'), as the users' AZs.
    zones = _command_output(out, "availability zone list")
    assert len(re.findall(r"\| az1 +\| available", zones)) == 4
    assert len(re.findall(r"\| az2 +\| available", zones)) == 4
    assert "nova-az" not in zones and "pod" not in zones
    for az in ("az1", "az2"):
        made = _section(
            out, f"A network, a volume and a server booted from it on the network in {az}"
        )
        assert re.search(rf"\| availability_zone_hints \| {az} ", made)
        assert re.search(rf"\| name +\| vm-{az} ", made) and re.search(
            r"\| status +\| ACTIVE", made
        )
    listing = "server list --long -c ID -c Name -c Status -c 'Availability Zone' -c Flavor"
    merged = _command_output(_section(out, "One merged list across both pods"), listing)
    # OSC keeps its own column order: the flavor comes before the zone.
    assert re.search(r"\| vm-az1 \| ACTIVE \| m1\.tiny +\| az1 ", merged)
    assert re.search(r"\| vm-az2 \| ACTIVE \| m1\.tiny +\| az2 ", merged)
    shown = _command_output(out, "server show vm-az1")
    assert re.search(r"\| name +\| vm-az1 ", shown)
    # From 2.47 Nova embeds the flavor (OSC shows its fields), named original_name.
    assert re.search(r"\| flavor +\|.*original_name='m1\.tiny'", shown)
    volumes = _command_output(out, "volume list")
    assert "| boot-az1 |" in volumes and "| boot-az2 |" in volumes
    after = _command_output(_section(out, "Delete vm-az2; it leaves the merged list"), listing)
    assert re.search(r"\| vm-az1 \| ACTIVE \| m1\.tiny +\| az1 ", after) and "vm-az2" not in after
    routings = _section(out, "Routings the gateway keeps")
    assert len(re.findall(r"│ server ", routings)) == 1  # vm-az2's is forgotten
    assert len(re.findall(r"│ volume ", routings)) == 2


def test_a_second_demo_says_one_is_running_and_touches_nothing(demo) -> None:
    proc, out_file = demo  # must still be running: the next test stops it
    state = out_file.parent / "state"
    database = state / "podgate.db"
    inode = database.stat().st_ino  # deleted and made anew would change it
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    second = subprocess.run(
        [sys.executable, "-m", "harness.demo", "--no-wait", "--free-ports"],
        env={**env, "PODGATE_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert second.returncode == 1, second.stdout + second.stderr
    assert second.stdout == ""
    [line] = second.stderr.splitlines()
    assert f"already running in {state} (pid {proc.pid}; compute " in line
    assert "Ctrl-C" in line
    assert database.stat().st_ino == inode and proc.poll() is None


def test_a_demo_on_ports_in_use_says_which_and_starts_nothing(tmp_path: Path) -> None:
    topology = yaml.safe_load(TOPOLOGY.read_text())
    port = topology["gateway"]["compute_port"]
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
        except OSError:
            pass  # already taken by something else: the demo must refuse all the same
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        refused = subprocess.run(
            [sys.executable, "-m", "harness.demo", "--no-wait"],
            env={**env, "PODGATE_STATE_DIR": str(tmp_path / "state")},
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=False,
        )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    [line] = refused.stderr.splitlines()
    assert f"compute {port}" in line and "--free-ports" in line
    assert list((tmp_path / "state").iterdir()) == [tmp_path / "state" / "demo.lock"]


def test_printed_clouds_yaml_works_while_running_and_ctrl_c_stops_everything(demo) -> None:
    proc, out_file = demo
    out = out_file.read_text()
    summary = _section(out, "Podgate is running")
    path = Path(re.search(r"openstacksdk: (\S+)", summary)[1])
    compute = re.search(r"compute: (\S+)", summary)[1]
    volume = re.search(r"volume:  (\S+)", summary)[1]
    network = re.search(r"network: (\S+)", summary)[1]
    assert path.read_text() == clouds_yaml(compute, volume, network)
    printed = summary.split(str(path) + "\n")[1].split("\n\n")[0]
    assert yaml.safe_load(printed) == yaml.safe_load(path.read_text())
    cloud = yaml.safe_load(path.read_text())["clouds"]["podgate"]
    assert cloud["compute_endpoint_override"] == compute
    assert cloud["block_storage_endpoint_override"] == volume
    assert cloud["network_endpoint_override"] == network

    snippet = summary.split("Use it (in a shell without other OS_* variables):\n")[1]
    snippet = snippet.split(READY)[0].strip()
    assert snippet.splitlines()[-1].strip() == "openstack server list"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["PATH"] = f"{OPENSTACK.parent}{os.pathsep}{env['PATH']}"
    # The network API answers too, for the demo's project (its paths name none).
    snippet += "\nopenstack network list -c Name -f value"
    used = subprocess.run(
        ["bash", "-ec", snippet],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert used.returncode == 0, used.stderr
    assert "| vm-az1 |" in used.stdout and "vm-az2" not in used.stdout
    assert sorted(used.stdout.split("+\n")[-1].split()) == ["net-az1", "net-az2"]

    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", summary)]
    ports += [int(p) for p in re.findall(r"compute=http://127\.0\.0\.1:(\d+)", out)]
    assert len(set(ports)) == 8  # compute, volume, network, gRPC, admin REST, metrics, two pods
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(WAIT_S) == 0, out_file.read_text()
    assert "stopping" in out_file.read_text()
    assert [port for port in set(ports) if _listening(port)] == []


def test_a_failing_openstack_command_ends_the_demo_with_its_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        clouds_yaml("http://127.0.0.1:9/v2.1/p", "http://127.0.0.1:9/v3/p", "http://127.0.0.1:9")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env |= {"OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "no-such-cloud"}
    with pytest.raises(SystemExit) as failed:
        run_openstack(["server", "list"], env)
    assert "`openstack server list` failed (exit 1)" in str(failed.value.code)
    assert "no-such-cloud" in str(failed.value.code)
    assert "$ openstack server list" in capsys.readouterr().out


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
