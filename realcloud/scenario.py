"""An openstacksdk user's day across both pods through Podgate; one JSON line per step.

Runs in the `clients` venv (openstacksdk only, no Podgate imports):
    <clients venv>/bin/python realcloud/scenario.py AUTH_URL USER PASSWORD PROJECT IMAGE_NAME
Every step is tried even when an earlier one failed (with a fallback where one exists), so one
run lists every gap; whatever was created is deleted at the end, directly in the pods if the
gateway cannot.
"""

import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import openstack

GATEWAY, PODS = "RegionOne", {"az1": "Pod1", "az2": "Pod2"}
FLAVOR_NAME, FLAVOR_ID = "m1.nano", "42"
WAIT_S = 180


class Steps:
    """Runs named steps, printing one JSON object per step."""

    def __init__(self) -> None:
        self.failed = 0

    def run(self, name: str, action: Callable[[], Any], fallback: Any = None) -> Any:
        begin = time.monotonic()
        try:
            value = action()
        except Exception as exc:  # a failed step is data: the run goes on
            self.failed += 1
            detail = f"{type(exc).__name__}: {exc}".strip()[:600]
            self._say(name, False, begin, detail, traceback.format_exc(limit=3)[-600:])
            return fallback
        self._say(name, True, begin, _brief(value), "")
        return value

    def skip(self, name: str, why: str) -> None:
        self.failed += 1
        print(json.dumps({"step": name, "ok": False, "seconds": 0, "detail": f"not tried: {why}"}))

    @staticmethod
    def _say(name: str, ok: bool, begin: float, detail: str, where: str) -> None:
        seconds = round(time.monotonic() - begin, 2)
        record = {"step": name, "ok": ok, "seconds": seconds, "detail": detail}
        if where:
            record["where"] = where
        print(json.dumps(record), flush=True)


def connect(auth_url: str, user: str, password: str, project: str, region: str) -> Any:
    return openstack.connect(
        auth_url=auth_url,
        username=user,
        password=password,
        project_name=project,
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=region,
    )


def main(argv: list[str]) -> int:
    auth_url, user, password, project, image_name = argv
    steps = Steps()
    conn = connect(auth_url, user, password, project, GATEWAY)
    direct = {az: connect(auth_url, user, password, project, pod) for az, pod in PODS.items()}

    flavor = steps.run(
        "find flavor through Podgate", lambda: _found(conn.compute.find_flavor(FLAVOR_NAME))
    )
    flavor_id = flavor.id if flavor is not None else FLAVOR_ID
    image = steps.run("find image", lambda: _found(conn.image.find_image(image_name)))
    servers: dict[str, Any] = {}
    volume = None
    try:
        for az in PODS:
            if image is None:
                steps.skip(f"boot a server in {az}", "no image")
                continue
            servers[az] = steps.run(
                f"boot a server in {az}",
                lambda az=az: conn.compute.create_server(
                    name=f"realcloud-{az}",
                    image_id=image.id,
                    flavor_id=flavor_id,
                    networks="none",
                    availability_zone=az,
                ),
            )
        for az, server in list(servers.items()):
            if server is None:
                continue
            servers[az] = steps.run(
                f"server in {az} goes ACTIVE",
                lambda server=server: conn.compute.wait_for_server(server, wait=WAIT_S),
                fallback=server,
            )
            steps.run(
                f"server in {az} lives in pod {PODS[az]} and shows AZ {az}",
                lambda az=az, server=server: _in_pod(conn, direct[az], server.id, az),
            )
        volume = steps.run(
            "create a volume in az1",
            lambda: conn.block_storage.create_volume(
                size=1, name="realcloud-volume", availability_zone="az1"
            ),
        )
        if volume is not None:
            volume = steps.run(
                "volume goes available",
                lambda: conn.block_storage.wait_for_status(
                    volume, status="available", failures=["error"], wait=WAIT_S
                ),
                fallback=volume,
            )
        server = servers.get("az1")
        if server is not None and volume is not None:
            attached = steps.run(
                "attach the volume to the az1 server",
                lambda: conn.compute.create_volume_attachment(server, volume_id=volume.id),
            )
            if attached is not None:
                steps.run(
                    "volume goes in-use",
                    lambda: conn.block_storage.wait_for_status(
                        volume, status="in-use", failures=["error"], wait=WAIT_S
                    ),
                )
            steps.run(
                "server lists the attachment",
                lambda: _attached(conn, server.id, volume.id),
            )
        else:
            steps.skip("attach the volume to the az1 server", "no server or volume")
        steps.run(
            "merged server list shows both pods' servers",
            lambda: _listed(conn.compute.servers(details=True), servers),
        )
        steps.run(
            "merged volume list shows the volume",
            lambda: _listed(conn.block_storage.volumes(details=True), {"az1": volume}),
        )
        if server is not None and volume is not None:
            steps.run(
                "detach the volume",
                lambda: _detach(conn, server, volume),
            )
    finally:
        for az, server in servers.items():
            if server is not None:
                steps.run(
                    f"delete the server in {az}",
                    lambda az=az, server=server: _delete_server(conn, direct[az], server),
                )
        if volume is not None:
            steps.run(
                "delete the volume",
                lambda: _delete_volume(conn, direct["az1"], volume),
            )
    return 1 if steps.failed else 0


def _found(value: Any) -> Any:
    if value is None:
        raise LookupError("not found")
    return value


def _in_pod(conn: Any, pod: Any, server_id: str, az: str) -> str:
    """The pod itself has the server, and the gateway shows the user-facing AZ."""
    in_pod = pod.compute.get_server(server_id)
    shown = conn.compute.get_server(server_id)
    if shown.availability_zone != az:
        raise AssertionError(f"gateway shows AZ {shown.availability_zone!r}, wanted {az!r}")
    return f"pod has it ({in_pod.status}), gateway shows AZ {shown.availability_zone}"


def _attached(conn: Any, server_id: str, volume_id: str) -> str:
    attachments = list(conn.compute.volume_attachments(server_id))
    if volume_id not in {a.volume_id for a in attachments}:
        raise AssertionError(f"{volume_id} not among {[a.volume_id for a in attachments]}")
    return f"{len(attachments)} attachment(s)"


def _detach(conn: Any, server: Any, volume: Any) -> str:
    conn.compute.delete_volume_attachment(server, volume)
    conn.block_storage.wait_for_status(volume, status="available", failures=["error"], wait=WAIT_S)
    return "available again"


def _listed(listing: Any, wanted: dict[str, Any]) -> str:
    ids = {item.id for item in listing}
    missing = [az for az, item in wanted.items() if item is not None and item.id not in ids]
    if missing:
        raise AssertionError(f"missing from the list: {missing} (got {len(ids)} items)")
    return f"{len(ids)} listed"


def _delete_server(conn: Any, pod: Any, server: Any) -> str:
    """Through Podgate; if that fails, directly in the pod (so nothing is left behind)."""
    try:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=WAIT_S)
    except Exception:
        pod.compute.delete_server(server)
        pod.compute.wait_for_delete(server, wait=WAIT_S)
        raise
    return "deleted"


def _delete_volume(conn: Any, pod: Any, volume: Any) -> str:
    try:
        conn.block_storage.delete_volume(volume)
        conn.block_storage.wait_for_delete(volume, wait=WAIT_S)
    except Exception:
        pod.block_storage.delete_volume(volume)
        pod.block_storage.wait_for_delete(volume, wait=WAIT_S)
        raise
    return "deleted"


def _brief(value: Any) -> str:
    if isinstance(value, str):
        return value
    ident = getattr(value, "id", None)
    return f"{type(value).__name__} {ident}" if ident else type(value).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
