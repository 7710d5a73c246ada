"""The contract's request set, the same against podsim and against real Nova and Cinder: a volume
booted from, flavors and servers at several microversions, a volume attached, listed, refused
deletion, detached and deleted. `run` sends it with any HTTP client and answers each step's
status and shape; it waits for statuses to settle and cleans up after itself.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.contract.shapes import shape

__all__ = [
    "STEPS", "WAITS", "Bases", "ContractError", "Send", "Step", "Wait", "podsim_bases", "run",
]  # fmt: skip

# (method, url, headers, JSON body or None) -> (status, decoded JSON body or None)
Send = Callable[[str, str, Mapping[str, str], Any], tuple[int, Any]]
GONE = "gone"
WAITS = "waits that never ended"


@dataclass(frozen=True, slots=True)
class Bases:
    """Where each API is: `compute` and `volume` end with the project (if the API wants one)."""

    compute: str
    volume: str
    compute_root: str
    volume_root: str


def podsim_bases(url: str, project: str) -> Bases:
    """The contract's APIs on the podsim at `url` (its Nova and Cinder take the project)."""
    return Bases(
        compute=f"{url}/compute/v2.1/{project}",
        volume=f"{url}/volume/v3/{project}",
        compute_root=f"{url}/compute",
        volume_root=f"{url}/volume",
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One request whose answer's status and shape are compared; `save` keeps values for later
    steps' templates ({name: dotted path in the answer})."""

    name: str
    method: str
    api: str
    path: str
    version: str | None = None
    body: Any = None
    save: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Wait:
    """Poll `path` until the field at `at` is one of `values` ("gone": answered 404)."""

    api: str
    path: str
    at: str
    values: tuple[str, ...]


NOVA, CINDER = "2.96", "3.71"
_BOOT_MAPPING = {
    "uuid": "{boot_volume}",
    "source_type": "volume",
    "destination_type": "volume",
    "boot_index": 0,
    "delete_on_termination": False,
}
_SERVER = {
    "name": "{name}-server",
    "flavorRef": "{flavor_id}",
    "networks": "none",
    "block_device_mapping_v2": [_BOOT_MAPPING],
}
_SERVER_URL = "/servers/{server_id}"
_ATTACHMENTS = "/servers/{server_id}/os-volume_attachments"
_BOOT_URL, _DATA_URL = "/volumes/{boot_volume}", "/volumes/{data_volume}"


def _at_versions(name: str, api: str, path: str, versions: tuple[str, ...]) -> list[Step]:
    return [Step(f"{name}_{version}", "GET", api, path, version) for version in versions]


STEPS: tuple[Step | Wait, ...] = (
    Step("versions_compute", "GET", "compute_root", ""),
    Step("versions_volume", "GET", "volume_root", ""),
    *_at_versions("flavors_list", "compute", "/flavors", ("2.1", NOVA)),
    *_at_versions("flavors_detail", "compute", "/flavors/detail", ("2.1", NOVA)),
    *_at_versions("flavor_show", "compute", "/flavors/{flavor_id}", ("2.1", NOVA)),
    Step(
        "volume_create_3.0",
        "POST",
        "volume",
        "/volumes",
        "3.0",
        {"volume": {"size": 1, "name": "{name}-boot"}},
        save={"boot_volume": "volume.id"},
    ),
    Wait("volume", _BOOT_URL, "volume.status", ("available",)),
    Step(
        "volume_set_bootable",
        "POST",
        "volume",
        f"{_BOOT_URL}/action",
        "3.0",
        {"os-set_bootable": {"bootable": True}},
    ),
    Step(
        f"server_create_{NOVA}",
        "POST",
        "compute",
        "/servers",
        NOVA,
        {"server": _SERVER},
        save={"server_id": "server.id"},
    ),
    Wait("compute", _SERVER_URL, "server.status", ("ACTIVE",)),
    Wait("volume", _BOOT_URL, "volume.status", ("in-use",)),
    *_at_versions("server_show", "compute", _SERVER_URL, ("2.1", "2.47", NOVA)),
    *_at_versions(
        "servers_detail", "compute", "/servers/detail?name={name}", ("2.1", "2.47", NOVA)
    ),
    *_at_versions("servers_list", "compute", "/servers?name={name}", (NOVA,)),
    *_at_versions("volume_show", "volume", _BOOT_URL, ("3.0", CINDER)),
    *_at_versions("volumes_detail", "volume", "/volumes/detail?name={name}-boot", ("3.0", CINDER)),
    *_at_versions("volumes_list", "volume", "/volumes?name={name}-boot", (CINDER,)),
    Step(
        f"volume_create_{CINDER}",
        "POST",
        "volume",
        "/volumes",
        CINDER,
        {"volume": {"size": 1, "name": "{name}-data"}},
        save={"data_volume": "volume.id"},
    ),
    Wait("volume", _DATA_URL, "volume.status", ("available",)),
    Step(
        f"attach_{NOVA}",
        "POST",
        "compute",
        _ATTACHMENTS,
        NOVA,
        {"volumeAttachment": {"volumeId": "{data_volume}"}},
    ),
    Wait("volume", _DATA_URL, "volume.status", ("in-use",)),
    *_at_versions("attachments_list", "compute", _ATTACHMENTS, ("2.1", NOVA)),
    *_at_versions("attachment_show", "compute", f"{_ATTACHMENTS}/{{data_volume}}", (NOVA,)),
    *_at_versions(
        "cinder_attachments", "volume", "/attachments?volume_id={data_volume}", ("3.27",)
    ),
    Step("volume_delete_attached", "DELETE", "volume", _DATA_URL, CINDER),
    Step("detach", "DELETE", "compute", f"{_ATTACHMENTS}/{{data_volume}}", NOVA),
    Wait("volume", _DATA_URL, "volume.status", ("available",)),
    Step("volume_delete", "DELETE", "volume", _DATA_URL, CINDER),
    Wait("volume", _DATA_URL, "volume.status", (GONE,)),
    Step("server_delete", "DELETE", "compute", _SERVER_URL, NOVA),
    Wait("compute", _SERVER_URL, "server.status", (GONE,)),
    Wait("volume", _BOOT_URL, "volume.status", ("available",)),
    *_at_versions("volume_show_released", "volume", _BOOT_URL, (CINDER,)),
    Step("volume_delete_boot", "DELETE", "volume", _BOOT_URL, CINDER),
    Wait("volume", _BOOT_URL, "volume.status", (GONE,)),
)
# What a run leaves behind when it stops early: deleted in this order.
_CLEANUP = (("compute", _SERVER_URL, "server_id"), ("volume", _DATA_URL, "data_volume"),
            ("volume", _BOOT_URL, "boot_volume"))  # fmt: skip


class ContractError(RuntimeError):
    """A wait timed out or its resource went to an error status."""


def run(
    send: Send,
    bases: Bases,
    variables: Mapping[str, str],
    *,
    timeout_s: float = 120.0,
    poll_s: float = 1.0,
) -> dict[str, dict[str, Any]]:
    """Each step's `{"status": ..., "body": <shape or null>}`, by step name, in order; a wait
    that never ends is WAITS's (the run goes on: later steps show what the service does).

    `variables` fills the templates: `flavor_id` and `name` (a prefix unique to this run).
    """
    known = dict(variables)
    answers: dict[str, dict[str, Any]] = {}
    waits: list[str] = []
    try:
        for step in STEPS:
            if isinstance(step, Wait):
                try:
                    _wait(send, bases, step, known, timeout_s=timeout_s, poll_s=poll_s)
                except ContractError as error:
                    waits.append(str(error))
                continue
            status, body = send(step.method, _url(bases, step.api, step.path, known),
                                _headers(step), _fill(step.body, known))  # fmt: skip
            answers[step.name] = {"status": status, "body": None if body is None else shape(body)}
            for variable, at in step.save.items():
                value = _dig(body, at)
                if value is not None:
                    known[variable] = str(value)
    finally:
        _clean_up(send, bases, known, timeout_s=timeout_s, poll_s=poll_s)
    if waits:
        answers[WAITS] = {"status": None, "body": waits}
    return answers


def _wait(
    send: Send,
    bases: Bases,
    wait: Wait,
    known: Mapping[str, str],
    *,
    timeout_s: float,
    poll_s: float,
) -> None:
    url = _url(bases, wait.api, wait.path, known)
    version = NOVA if wait.api == "compute" else CINDER
    headers = _headers(Step("wait", "GET", wait.api, wait.path, version))
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = send("GET", url, headers, None)
        value = GONE if status == 404 else _dig(body, wait.at)
        if value in wait.values:
            return
        if isinstance(value, str) and value.lower().startswith("error"):
            raise ContractError(f"{url}: {wait.at} is {value}, waiting for {wait.values}")
        if time.monotonic() > deadline:
            raise ContractError(f"{url}: {wait.at} still {value} after {timeout_s}s")
        time.sleep(poll_s)


def _clean_up(
    send: Send, bases: Bases, known: Mapping[str, str], *, timeout_s: float, poll_s: float
) -> None:
    """Delete what the run made and did not delete (a failed step leaves a server behind)."""
    for api, path, variable in _CLEANUP:
        if variable not in known:
            continue
        url = _url(bases, api, path, known)
        version = NOVA if api == "compute" else CINDER
        headers = _headers(Step("cleanup", "GET", api, path, version))
        if send("GET", url, headers, None)[0] == 404:
            continue
        if api == "volume":  # a volume still attached to a server deleted just before
            _wait(send, bases, Wait(api, path, "volume.status", ("available", "error", GONE)),
                  known, timeout_s=timeout_s, poll_s=poll_s)  # fmt: skip
        send("DELETE", url, headers, None)
        _wait(send, bases, Wait(api, path, "id", (GONE,)), known, timeout_s=timeout_s,
              poll_s=poll_s)  # fmt: skip


def _headers(step: Step) -> dict[str, str]:
    if step.version is None:
        return {}
    service = "compute" if step.api.startswith("compute") else "volume"
    headers = {"OpenStack-API-Version": f"{service} {step.version}"}
    if service == "compute":
        headers["X-OpenStack-Nova-API-Version"] = step.version
    return headers


def _url(bases: Bases, api: str, path: str, known: Mapping[str, str]) -> str:
    base: str = getattr(bases, api)
    return base.rstrip("/") + (path.format_map(known) if path else "/")


def _fill(body: Any, known: Mapping[str, str]) -> Any:
    if isinstance(body, dict):
        return {key: _fill(value, known) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(item, known) for item in body]
    if isinstance(body, str):
        return body.format_map(known)
    return body


def _dig(body: Any, at: str) -> Any:
    for key in at.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
