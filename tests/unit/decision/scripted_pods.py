"""Pods answering from per-pod scripts behind a PodSend, every call recorded."""

import asyncio
import json
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.model import Pod, PodState

Script = Callable[[str, str, dict], PodResponse]


def scripted_pod(name: str, state: PodState = PodState.ENABLED) -> Pod:
    endpoints = {
        "compute": f"http://{name}.pod/compute/v2.1",
        "volumev3": f"http://{name}.pod/volume/v3/$(project_id)s",
    }
    return Pod(name=name, az_name="az", pod_az_name="inner", state=state, endpoints=endpoints)


def json_response(status: int, document: object) -> PodResponse:
    return PodResponse(status, json.dumps(document).encode())


class Pods:
    """Each pod answers from its script; every call is recorded as (pod, method, path, body)."""

    def __init__(
        self, scripts: Mapping[str, Script | None], delays: Mapping[str, float] | None = None
    ) -> None:
        self.scripts = scripts
        self.delays = delays or {}
        self.calls: list[tuple[str, str, str, dict]] = []

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> PodResponse:
        parts = urlsplit(url)
        pod = parts.netloc.removesuffix(".pod")
        document = json.loads(body) if body else {}
        self.calls.append((pod, method, parts.path, document))
        await asyncio.sleep(self.delays.get(pod, 0))
        script = self.scripts[pod]
        if script is None:
            raise PodCallError("connection refused")
        return script(method, parts.path, document)
