"""The keystone-mode scenario of `make bench`: a GET of a known id through Podgate in keystone
mode (pods proven to check tokens: `[fast_path] pod_auth = "verify"`, the default) against
Envoy-direct to the same token-checking pod, in the same run.

Starts a real Keystone (the tests' cached venv, harness/keystone.py), one pod and its own
Envoy-direct front, and a keystone-mode `podgate up` with the pod registered and KNOWN_IDS
routings of the demo project loaded at start. The pod is an Envoy like bench/pod_envoy.py's,
plus what keystonemiddleware and Nova's URL check do, in Lua: each token is validated once with
Keystone (GET /v3/auth/tokens), the answer kept TOKEN_CACHE_S in the worker; no or a refused
token is a 401, a URL naming another project than the token's a 400. So the gateway's probe finds
it checks tokens, and both fronts pay the same token check in the pod.
"""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.pod_envoy import PodListener, direct_bootstrap, version_document
from bench.podgate import Podgate, PodSpec
from bench.results import Scenario
from bench.wrk import Load
from harness import keystone_venv
from harness.keystone import DEMO, OTHER, SERVICE, Keystone, start_keystone
from harness.procs import Proc, free_port, start, wait_for

__all__ = ["DIRECT", "PODGATE", "KeystoneMode", "running"]

DIRECT = Scenario("keystone_direct_get", "7. Envoy-direct GET by id, token-checking pod")
PODGATE = Scenario(
    "keystone_podgate_get_known",
    "7. Podgate GET known id, keystone mode (pod proven to check tokens)",
    "keystone_direct_get",
)
KNOWN_IDS = 10_000
TOKEN_CACHE_S = 300
_T = "type.googleapis.com/envoy.extensions.filters"

# keystonemiddleware, then Nova's wsgi.py project check, for one pod; `cache` is per worker.
_CHECK_LUA = """
local SERVICE_TOKEN = "%(service_token)s"
local TTL = %(ttl)d
local cache = {}
local UNAUTHORIZED = '{"error": {"code": 401, "title": "Unauthorized", "message": ' ..
  '"The request you have made requires authentication."}}'
local MISMATCH = '{"badRequest": {"code": 400, "message": "Malformed request URL: ' ..
  'URL\\'s project_id \\'%%s\\' doesn\\'t match Context\\'s project_id \\'%%s\\'"}}'

local function project_of(handle, token)
  local now = os.time()
  local known = cache[token]
  if known and known.expires > now then return known.project end
  local headers, body = handle:httpCall("keystone", {
    [":method"] = "GET", [":path"] = "/v3/auth/tokens?nocatalog", [":authority"] = "keystone",
    ["x-auth-token"] = SERVICE_TOKEN, ["x-subject-token"] = token}, "", 5000)
  local project = false
  if headers[":status"] == "200" then
    project = string.match(body, '"project"%%s*:%%s*{.-"id"%%s*:%%s*"(%%x+)"') or ""
  end
  cache[token] = {project = project, expires = now + TTL}
  return project
end

function envoy_on_request(handle)
  local token = handle:headers():get("x-auth-token")
  local project = token and project_of(handle, token)
  if not project then
    handle:respond({[":status"] = "401", ["content-type"] = "application/json",
      ["www-authenticate"] = 'Keystone uri="%(keystone)s"'}, UNAUTHORIZED)
    return
  end
  local in_url = string.match(handle:headers():get(":path"), "^/compute/v2%%.1/([^/?]+)/")
  if in_url and in_url ~= project then
    handle:respond({[":status"] = "400", ["content-type"] = "application/json"},
      string.format(MISMATCH, in_url, project))
  end
end
"""


def _direct(status: int, body: object) -> dict[str, Any]:
    return {
        "direct_response": {"status": status, "body": {"inline_string": json.dumps(body)}},
        "response_headers_to_add": [
            {"header": {"key": "content-type", "value": "application/json"}}
        ],
    }


def _socket(port: int) -> dict[str, Any]:
    return {"socket_address": {"address": "127.0.0.1", "port_value": port}}


def pod_bootstrap(
    pod: PodListener, admin_port: int, keystone_port: int, service_token: str
) -> dict[str, Any]:
    """One token-checking pod: version documents open, every other path behind the check."""
    lua = _CHECK_LUA % {
        "service_token": service_token,
        "ttl": TOKEN_CACHE_S,
        "keystone": f"http://127.0.0.1:{keystone_port}",
    }
    lua_off = {
        "envoy.filters.http.lua": {
            "@type": f"{_T}.http.lua.v3.LuaPerRoute",
            "disabled": True,
        }
    }
    server = {"server": {"id": "bench", "status": "ACTIVE", "name": "vm", "links": []}}
    get = [{"name": ":method", "string_match": {"exact": "GET"}}]
    routes = [
        {
            "match": {"safe_regex": {"regex": "/compute(/v2\\.1)?/?"}},
            **_direct(200, version_document(f"http://127.0.0.1:{pod.port}")),
            "typed_per_filter_config": lua_off,
        },
        {
            "match": {
                "safe_regex": {"regex": "/compute/v2\\.1/[^/]+/servers/[^/]+"},
                "headers": get,
            },
            **_direct(200, server),
        },
        {
            "match": {"prefix": "/"},
            **_direct(404, {"itemNotFound": {"message": "not simulated", "code": 404}}),
        },
    ]
    manager = {
        "@type": (
            "type.googleapis.com/envoy.extensions.filters.network."
            "http_connection_manager.v3.HttpConnectionManager"
        ),
        "stat_prefix": pod.name,
        "route_config": {"virtual_hosts": [{"name": pod.name, "domains": ["*"], "routes": routes}]},
        "http_filters": [
            {
                "name": "envoy.filters.http.lua",
                "typed_config": {
                    "@type": f"{_T}.http.lua.v3.Lua",
                    "default_source_code": {"inline_string": lua},
                },
            },
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": f"{_T}.http.router.v3.Router"},
            },
        ],
    }
    listener = {
        "name": pod.name,
        "address": _socket(pod.port),
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
    keystone = {
        "name": "keystone",
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": "keystone",
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _socket(keystone_port)}}]}],
        },
    }
    return {
        "admin": {"address": _socket(admin_port)},
        "static_resources": {"listeners": [listener], "clusters": [keystone]},
    }


@dataclass
class KeystoneMode:
    """What the scenario drives: both fronts, the demo user's token, the known ids."""

    podgate: Podgate
    direct_port: int
    direct_pid: int
    token: str
    project_id: str
    known: Path

    def direct_load(self) -> Load:
        return self._load(f"http://127.0.0.1:{self.direct_port}")

    def podgate_load(self) -> Load:
        return self._load(self.podgate.compute_url)

    def podgate_envoy(self) -> set[int]:
        return {self.podgate.envoy_pid}

    def direct_envoy(self) -> set[int]:
        return {self.direct_pid}

    def _load(self, url: str) -> Load:
        prefix = f"/v2.1/{self.project_id}/servers/"
        return Load(url, prefix, self.known, headers=(f"X-Auth-Token: {self.token}",))


@contextmanager
def running(
    root: Path, envoy: str, concurrency: int, source: Path | None = None
) -> Iterator[KeystoneMode]:
    """Start it all under `root`, check both fronts answer, stop every process at the end."""
    keystone_venv.ensure()
    with ExitStack() as stack:
        (root / "keystone").mkdir(parents=True, exist_ok=True)
        keystone = start_keystone(keystone_venv.venv_path(), root / "keystone")
        stack.callback(keystone.stop)
        keystone.seed()
        keystone_port = int(keystone.url.rpartition(":")[2])
        pod = PodListener("kpod", free_port(), "az1")
        pod_envoy = _envoy(
            root, "keystone-pod", envoy, concurrency,
            pod_bootstrap(pod, free_port(), keystone_port, keystone.token(*SERVICE)),
        )  # fmt: skip
        stack.callback(pod_envoy.stop)
        direct_port = free_port()
        direct = _envoy(
            root, "keystone-direct", envoy, concurrency,
            direct_bootstrap(direct_port, free_port(), pod.port),
        )  # fmt: skip
        stack.callback(direct.stop)
        podgate = Podgate(
            root / "podgate-keystone",
            concurrency=concurrency,
            source=source,
            extra_env=keystone.gateway_env(),
        )
        stack.callback(podgate.down)
        project = keystone.project_ids["demo"]
        known = [str(uuid.uuid4()) for _ in range(KNOWN_IDS)]
        podgate.up()
        podgate.register(
            [PodSpec("kpod", "az1", "az1", f"http://127.0.0.1:{pod.port}/compute/v2.1")]
        )
        podgate.down()
        podgate.seed(project, dict.fromkeys(known, "kpod"))
        podgate.up()
        ids = root / "keystone-known.txt"
        ids.write_text("".join(f"{resource_id}\n" for resource_id in known))
        mode = KeystoneMode(podgate, direct_port, direct.pid, keystone.token(*DEMO), project, ids)
        _check(mode, keystone, known[0])
        yield mode


def _envoy(root: Path, name: str, envoy: str, concurrency: int, bootstrap: dict[str, Any]) -> Proc:
    path = root / f"{name}.json"
    path.write_text(json.dumps(bootstrap))
    argv = [envoy, "-c", str(path), "--concurrency", str(concurrency)]
    proc = start([*argv, "--use-dynamic-base-id", "--log-level", "error"], log=root / f"{name}.log")
    admin = bootstrap["admin"]["address"]["socket_address"]["port_value"]

    def live() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{name} Envoy exited:\n{proc.output()}")
        return _get(f"http://127.0.0.1:{admin}/ready", {})[0] == 200

    wait_for(live, timeout=30, what=f"{name} Envoy")
    return proc


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _check(mode: KeystoneMode, keystone: Keystone, known_id: str) -> None:
    """Both fronts answer the demo user; Podgate from Envoy alone once the probe passed the pod,
    while refusing no token and another project's token."""
    path = f"/v2.1/{mode.project_id}/servers/{known_id}"
    token = {"x-auth-token": mode.token}
    for where, base in (
        ("Envoy-direct", f"http://127.0.0.1:{mode.direct_port}"),
        ("podgate", mode.podgate.compute_url),
    ):
        status, body = _get(base + path, token)
        if status != 200:
            raise RuntimeError(f"keystone mode, {where} GET known id: {status} {body[:300]!r}")

    def on_fast_path() -> bool:
        before = mode.podgate.ext_proc_streams()
        status, _ = _get(mode.podgate.compute_url + path, token)
        return status == 200 and mode.podgate.ext_proc_streams() == before

    wait_for(on_fast_path, timeout=60, what="keystone mode: the known ids on the fast path")
    other = {"x-auth-token": keystone.token(*OTHER)}
    for headers, refused in (({}, 401), (other, 400)):
        status, body = _get(mode.podgate.compute_url + path, headers)
        if status != refused:
            raise RuntimeError(f"keystone mode: expected {refused}, got {status} {body[:300]!r}")
