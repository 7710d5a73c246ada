"""Envoy's heap per fast-path id and per https pod service, from its admin `/memory`.

    python -m bench.envoy_memory fast_path [N]        # N known servers (default 20 000)
    python -m bench.envoy_memory zones [N]            # the same, in a pod that renames its zone
    python -m bench.envoy_memory tls [N] [CA_FILE]   # N https pods, verified vs tls_insecure
    python -m bench.envoy_memory scoped [N]          # the fast path as Scoped RDS instead

Each run translates a snapshot, loads it into a real Envoy as a static config (harness's
inline_bootstrap) and reads `allocated` once Envoy is ready; the per-unit figure is the
difference to the same config without the N ids or pods, divided by N.

`scoped` measures the alternative to the fast path's matcher table that could be pushed id by
id: one ScopedRouteConfiguration per id (its key the path's version, project, collection and id
segments, cut from PATH_HEADER), all sharing one route configuration per pod, read from files.
It also prints what Envoy answers for paths the table must not route: a request whose key names
no scope gets Envoy's own 404 (no route), not the decision service.
"""

import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from google.protobuf.json_format import MessageToJson

from control_plane.model import Pod, ResourceType, Routing
from control_plane.runtime.ca_bundle import system_ca_bundle
from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.fast_path import PATH_HEADER, path_header
from control_plane.xds.translate import XdsInputs, translate
from harness.procs import free_port
from harness.snapshot_render import inline_bootstrap

_ENVOY = Path(sys.executable).parent / "envoy"
_TYPES = "type.googleapis.com/envoy"


def allocated(inputs: XdsInputs, admin_port: int) -> int:
    """Envoy's allocated heap with `inputs` loaded, in bytes."""
    bootstrap = render_bootstrap(
        node_id="memory",
        admin_host="127.0.0.1",
        admin_port=admin_port,
        control_plane_host="127.0.0.1",
        control_plane_port=free_port(),
        envoy_token="bench-envoy-token",  # inline_bootstrap drops ADS: never sent
    )
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "envoy.json"
        config.write_text(json.dumps(inline_bootstrap(translate(inputs), bootstrap)))
        argv = [str(_ENVOY), "-c", str(config), "-l", "error", "--base-id", str(free_port())]
        envoy = subprocess.Popen([*argv, "--concurrency", "1"])
        try:
            admin = f"http://127.0.0.1:{admin_port}"
            _wait_ready(admin)
            with urllib.request.urlopen(f"{admin}/memory") as answer:
                return int(json.loads(answer.read())["allocated"])
        finally:
            envoy.terminate()
            envoy.wait()


def _wait_ready(admin: str) -> None:
    for _ in range(1200):
        try:
            with urllib.request.urlopen(f"{admin}/ready"):
                time.sleep(1)  # let the workers settle
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("Envoy never became ready")


def _inputs(pods: tuple[Pod, ...], **extra: object) -> XdsInputs:
    return XdsInputs(
        pods=pods,
        listen_host="127.0.0.1",
        compute_port=free_port(),
        volume_port=free_port(),
        network_port=free_port(),
        connect_timeout_s=2.0,
        upstream_timeout_s=60.0,
        ext_proc_message_timeout_ms=2000,
        health_interval_s=300.0,
        **extra,  # type: ignore[arg-type]
    )


def fast_path(n: int, pod_az: str = "az1") -> str:
    pod = Pod("p1", "az1", pod_az, endpoints={"compute": "http://127.0.0.1:8774/v2.1"})
    known = tuple(
        Routing(str(uuid.UUID(int=i + 1)), ResourceType.SERVER, f"project{i % 50}", "p1")
        for i in range(n)
    )
    empty = allocated(_inputs((pod,)), free_port())
    full = allocated(_inputs((pod,), fast_path=known), free_port())
    zone = "" if pod_az == pod.az_name else f" (pod zone {pod_az!r}: zone script on)"
    return f"fast path: N={n} ids{zone}, {(full - empty) / n:.0f} bytes per id"


def tls(n: int, ca_file: str) -> str:
    lines = []
    empty = allocated(_inputs((), pod_ca_file=ca_file), free_port())
    for insecure in (True, False):
        pods = tuple(
            Pod(
                f"p{i}",
                "az1",
                "az1",
                endpoints={"compute": f"https://127.0.0.{i % 200 + 2}:9/v2.1"},
                tls_insecure=insecure,
            )
            for i in range(n)
        )
        full = allocated(_inputs(pods, pod_ca_file=ca_file), free_port())
        what = "tls_insecure" if insecure else f"verified against {ca_file}"
        lines.append(f"https pods: N={n}, {what}: {(full - empty) / n:.0f} bytes per cluster")
    return "\n".join(lines)


def scoped(n: int) -> str:
    """Heap per scope, and the status of each probe path, with N scopes over one pod's routes."""
    with tempfile.TemporaryDirectory() as work:
        empty, _ = _scoped_envoy(0, Path(work))
        full, answers = _scoped_envoy(n, Path(work))
    lines = [f"scoped RDS: N={n} ids, {(full - empty) / n:.0f} bytes per id"]
    lines += [f"  GET {path}: {status}" for path, status in answers]
    return "\n".join(lines)


_SEGMENTS = (1, 2, 3, 4)  # /{version}/{project}/{collection}/{id}/ split on "/"


def _scoped_envoy(n: int, work: Path) -> tuple[int, list[tuple[str, int]]]:
    admin, port = free_port(), free_port()
    ids = [("v2.1", f"{i % 50:032x}", "servers", str(uuid.UUID(int=i + 1))) for i in range(n)]
    config = work / f"scoped-{n}.json"
    config.write_text(json.dumps(_scoped_bootstrap(ids, admin, port, work)))
    argv = [str(_ENVOY), "-c", str(config), "-l", "error", "--base-id", str(free_port())]
    envoy = subprocess.Popen([*argv, "--concurrency", "1"])
    try:
        _wait_ready(f"http://127.0.0.1:{admin}")
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/memory") as answer:
            heap = int(json.loads(answer.read())["allocated"])
        if not ids:
            return heap, []
        known = "/" + "/".join(ids[1])
        probes = (known, f"{known}/ips", f"{known}?a=1", f"{known}0", f"{known};a=b")
        unknown = "/" + "/".join((*ids[1][:3], str(uuid.UUID(int=n + 1))))
        return heap, [(path, _status(port, path)) for path in (*probes, unknown)]
    finally:
        envoy.terminate()
        envoy.wait()


def _status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _scoped_bootstrap(
    ids: list[tuple[str, ...]], admin: int, port: int, work: Path
) -> dict[str, object]:
    pod_routes = {
        "name": "pod1",
        "virtual_hosts": [
            {
                "name": "pod1",
                "domains": ["*"],
                "routes": [{"match": {"prefix": "/"}, "direct_response": {"status": 200}}],
            }
        ],
    }
    manager: dict[str, object] = {
        "@type": f"{_TYPES}.extensions.filters.network.http_connection_manager.v3"
        ".HttpConnectionManager",
        "stat_prefix": "scoped",
        "early_header_mutation_extensions": [
            json.loads(MessageToJson(path_header(), preserving_proto_field_name=True))
        ],
        "http_filters": [
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": f"{_TYPES}.extensions.filters.http.router.v3.Router"},
            }
        ],
    }
    if ids:
        scopes = [
            {
                "name": f"id{n}",
                "route_configuration_name": "pod1",
                "key": {"fragments": [{"string_key": segment} for segment in segments]},
            }
            for n, segments in enumerate(ids)
        ]
        manager["scoped_routes"] = {
            "name": "fast_path",
            "scope_key_builder": {
                "fragments": [
                    {
                        "header_value_extractor": {
                            "name": PATH_HEADER,
                            "element_separator": "/",
                            "index": index,
                        }
                    }
                    for index in _SEGMENTS
                ]
            },
            "rds_config_source": _file_source(
                work / "rds.json", [pod_routes], "RouteConfiguration"
            ),
            "scoped_rds": {
                "scoped_rds_config_source": _file_source(
                    work / "srds.json", scopes, "ScopedRouteConfiguration"
                )
            },
        }
    else:
        manager["route_config"] = pod_routes
    listener = {
        "name": "scoped",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [
            {
                "filters": [
                    {
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": manager,
                    }
                ]
            }
        ],
    }
    return {
        "node": {"id": "memory", "cluster": "memory"},  # Scoped RDS needs both
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {"listeners": [listener]},
    }


def _file_source(path: Path, resources: list[dict[str, object]], kind: str) -> dict[str, object]:
    """A config source reading `resources` (of route.v3 `kind`) from a file Envoy watches."""
    type_url = f"{_TYPES}.config.route.v3.{kind}"
    path.write_text(
        json.dumps(
            {"version_info": "1", "resources": [{"@type": type_url, **r} for r in resources]}
        )
    )
    return {"path_config_source": {"path": str(path)}, "resource_api_version": "V3"}


def main(argv: list[str]) -> None:
    kind, *rest = argv or ["fast_path"]
    if kind == "fast_path":
        print(fast_path(int(rest[0]) if rest else 20_000))
    elif kind == "scoped":
        print(scoped(int(rest[0]) if rest else 20_000))
    elif kind == "zones":
        print(fast_path(int(rest[0]) if rest else 20_000, pod_az="nova"))
    elif kind == "tls":
        n = int(rest[0]) if rest else 100
        print(tls(n, rest[1] if len(rest) > 1 else system_ca_bundle()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
