"""One demo per state dir, and none on ports already taken: refused in one line, nothing touched.

The claim is an flock on `{state}/demo.lock`, held for the demo's life: the kernel drops it when
the process ends however it ends, so a crashed demo never blocks the next one.
"""

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import IO

__all__ = ["GATEWAY_PORTS", "DemoRefused", "claim"]

# The topology's gateway ports (compose/topology.yaml), every one the demo binds.
GATEWAY_PORTS = (
    "compute_port",
    "volume_port",
    "network_port",
    "admin_rest_port",
    "grpc_port",
    "metrics_port",
    "envoy_admin_port",
)


class DemoRefused(Exception):
    """Why this demo may not start (one line, for the user)."""


def claim(state: Path, topology: dict) -> IO[str]:
    """Hold this state dir's lock; DemoRefused when another demo holds it or a port is taken.

    Keep the returned file open for as long as the demo runs.
    """
    ports = _ports(topology)
    lock = (state / "demo.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        running = _holder(lock.read())
        lock.close()
        raise DemoRefused(
            f"a demo is already running in {state} ({running}); "
            "stop it with Ctrl-C in its terminal, or run this one with --free-ports and another "
            "PODGATE_STATE_DIR"
        ) from None
    taken = [f"{name} {port}" for name, port in ports.items() if _taken(port)]
    if taken:
        lock.close()
        raise DemoRefused(
            f"ports in use on 127.0.0.1: {', '.join(taken)} (another gateway?); stop what holds "
            "them, or run the demo with --free-ports"
        )
    lock.truncate(0)
    lock.write(json.dumps({"pid": os.getpid(), "ports": ports}))
    lock.flush()
    return lock


def _ports(topology: dict) -> dict[str, int]:
    gateway = topology["gateway"]
    ports = {key.removesuffix("_port"): int(gateway[key]) for key in GATEWAY_PORTS}
    ports |= {f"pod {pod['name']}": int(pod["port"]) for pod in topology["pods"]}
    return ports


def _holder(text: str) -> str:
    try:
        held = json.loads(text)
        ports = held["ports"]
        shown = ", ".join(f"{name} {ports[name]}" for name in ("compute", "volume", "network"))
        return f"pid {held['pid']}; {shown}"
    except (ValueError, KeyError, TypeError):
        return "its pid unknown"


def _taken(port: int) -> bool:
    with socket.socket() as probe:
        # As servers bind (SO_REUSEADDR): a port left in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
