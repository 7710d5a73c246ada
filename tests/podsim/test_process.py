"""The podsim command: one stdout line once listening, clean stop on signals, --delay-ms."""

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from tests.podsim import call, start_pod


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_prints_one_line_then_stops_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    pod = start_pod("pod-s", "az-s", tmp_path / "pod-s.log")
    try:
        assert pod.first_line == f"podsim pod-s listening on {pod.url}\n"
        async with aiohttp.ClientSession() as http:
            status, headers, _ = await call(http, "GET", f"{pod.compute('p')}/servers")
        assert (status, headers["x-podsim-pod"]) == (200, "pod-s")
        pod.proc.send_signal(signum)
        assert pod.proc.wait(10) == 0
        assert pod.proc.stdout is not None and pod.proc.stdout.read() == b""
    finally:
        pod.stop()


async def test_delay_applies_to_list_and_show_answers(tmp_path: Path) -> None:
    pod = start_pod("pod-d", "az-d", tmp_path / "pod-d.log", "--delay-ms", "300")
    try:
        async with aiohttp.ClientSession() as http:
            _, _, body = await call(
                http, "POST", f"{pod.compute('p')}/servers", {"server": {"name": "slow"}}
            )
            server_id = body["server"]["id"]  # type: ignore[index]
            for path in ("servers", "servers/detail", f"servers/{server_id}"):
                started = time.monotonic()
                status, _, _ = await call(http, "GET", f"{pod.compute('p')}/{path}")
                assert status == 200 and time.monotonic() - started >= 0.3, path
            started = time.monotonic()
            answers = await asyncio.gather(
                *(call(http, "GET", f"{pod.volume('p')}/volumes") for _ in range(5))
            )
            assert [status for status, _, _ in answers] == [200] * 5
            # Side by side: in a queue the five would take 1.5 s however idle the machine.
            assert 0.3 <= time.monotonic() - started < 1.5
    finally:
        pod.stop()
