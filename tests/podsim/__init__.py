"""podsim tests; the helpers here start a real podsim process and talk HTTP to it."""

import json
import re
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from multidict import CIMultiDict

from harness.procs import WAIT_S

LISTENING = re.compile(r"^podsim (\S+) listening on (http://127\.0\.0\.1:(\d+))\n$")


@dataclass
class SimPod:
    """One podsim process; `first_line` is what it printed once listening."""

    name: str
    az: str
    proc: subprocess.Popen[bytes]
    url: str
    first_line: str

    def compute(self, project: str) -> str:
        return f"{self.url}/compute/v2.1/{project}"

    def volume(self, project: str) -> str:
        return f"{self.url}/volume/v3/{project}"

    def stop(self) -> int:
        """SIGTERM, wait, kill if it lingers; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def start_pod(name: str, az: str, log: Path, *extra: str) -> SimPod:
    """`python -m podsim --port 0 …`; the port comes from its single stdout line."""
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podsim", "--name", name, "--az", az, "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], WAIT_S)
    line = proc.stdout.readline().decode() if ready else ""
    match = LISTENING.match(line)
    if match is None:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        raise AssertionError(f"podsim printed {line!r}; stderr:\n{log.read_text()}")
    return SimPod(name, az, proc, match.group(2), line)


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: object = None,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, CIMultiDict[str], object]:
    """One request: status, headers and the decoded JSON body (None when empty)."""
    async with http.request(method, url, json=body, data=data, headers=headers) as resp:
        text = await resp.text()
        return resp.status, CIMultiDict(resp.headers), json.loads(text) if text else None


async def walk(
    http: aiohttp.ClientSession, url: str, collection: str
) -> list[tuple[list[dict], list[dict] | None]]:
    """Follow `<collection>_links` next links from `url`: each page's items and its links."""
    pages = []
    for _ in range(50):
        status, _, body = await call(http, "GET", url)
        assert status == 200, body
        assert isinstance(body, dict)
        links = body.get(f"{collection}_links")
        pages.append((body[collection], links))
        if not links:
            return pages
        assert [link["rel"] for link in links] == ["next"]
        url = links[0]["href"]
    raise AssertionError(f"still following next links after 50 pages: {url}")
