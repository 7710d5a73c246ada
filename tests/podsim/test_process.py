"""The podsim command: one stdout line once listening, clean stop on signals, --delay-ms."""

import asyncio
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from harness.procs import WAIT_S, start_podsim
from tests.podsim import call, compute_api, volume_api

LISTENING = re.compile(r"^podsim pod-s listening on (http://127\.0\.0\.1:\d+)\n$")


def _start(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """podsim by hand, not by harness.procs: its stdout read apart from its stderr."""
    argv = [sys.executable, "-m", "podsim", "--name", "pod-s", "--az", "az-s", "--port", "0"]
    with log.open("ab") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], WAIT_S)
    return proc, proc.stdout.readline().decode() if ready else ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_prints_one_line_then_stops_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    proc, line = _start(tmp_path / "pod-s.log")
    assert proc.stdout is not None
    try:
        listening = LISTENING.match(line)
        assert listening is not None, line
        async with aiohttp.ClientSession() as http:
            url = f"{listening.group(1)}/compute/v2.1/p/servers"
            status, headers, _ = await call(http, "GET", url)
        assert (status, headers["x-podsim-pod"]) == (200, "pod-s")
        proc.send_signal(signum)
        assert proc.wait(10) == 0
        assert proc.stdout.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


async def test_delay_applies_to_list_and_show_answers(tmp_path: Path) -> None:
    pod = start_podsim("pod-d", "az-d", tmp_path, "--delay-ms", "300")
    try:
        async with aiohttp.ClientSession() as http:
            _, _, body = await call(
                http, "POST", f"{compute_api(pod, 'p')}/servers", {"server": {"name": "slow"}}
            )
            server_id = body["server"]["id"]  # type: ignore[index]
            for path in ("servers", "servers/detail", f"servers/{server_id}"):
                started = time.monotonic()
                status, _, _ = await call(http, "GET", f"{compute_api(pod, 'p')}/{path}")
                assert status == 200 and time.monotonic() - started >= 0.3, path
            started = time.monotonic()
            answers = await asyncio.gather(
                *(call(http, "GET", f"{volume_api(pod, 'p')}/volumes") for _ in range(5))
            )
            assert [status for status, _, _ in answers] == [200] * 5
            # Side by side: in a queue the five would take 1.5 s however idle the machine.
            assert 0.3 <= time.monotonic() - started < 1.5
    finally:
        pod.proc.stop()
