"""podsim --keystone-url: tokens checked as keystonemiddleware and Nova's and Cinder's URL check
do, against the real Keystone; version documents stay open."""

import time
from collections.abc import Iterator

import pytest

from harness.http import call
from harness.keystone import DEMO, SERVICE, Keystone
from harness.procs import SimPod, start_podsim
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = KEYSTONE_MARKS

CACHE_S = 1.0


@pytest.fixture(scope="module")
def pod(tmp_path_factory: pytest.TempPathFactory, keystone: Keystone) -> Iterator[SimPod]:
    user, password, project = SERVICE
    options = ("--keystone-url", keystone.auth_url, "--keystone-user", user)
    options += ("--keystone-project", project, "--token-cache-time", str(CACHE_S))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PODSIM_KEYSTONE_PASSWORD", password)
        sim = start_podsim("kpod", "nova", tmp_path_factory.mktemp("podsim"), *options)
    yield sim
    sim.proc.stop()


def test_version_documents_need_no_token(pod: SimPod) -> None:
    for path in ("/", "/compute/v2.1/", "/volume/", "/v2.1", "/network/"):
        assert call("GET", pod.url + path)[0] in (200, 300), path


def test_no_token_or_a_bad_one_is_keystonemiddlewares_401(pod: SimPod) -> None:
    for token in (None, "garbage"):
        for path in ("/compute/v2.1/p/servers/x", "/v2.1/p/servers", "/volume/v3/p/volumes"):
            status, headers, body = call(
                "GET", pod.url + path, headers={"x-auth-token": token} if token else None
            )
            assert status == 401 and body["error"]["title"] == "Unauthorized", (path, body)
            assert headers["www-authenticate"] == f'Keystone uri="{pod_keystone(pod)}"'


def pod_keystone(pod: SimPod) -> str:
    """Where podsim says to authenticate: its Keystone without the version."""
    argv = pod.proc.popen.args
    return str(argv[argv.index("--keystone-url") + 1]).removesuffix("/v3")


def test_another_projects_url_is_novas_and_cinders_400(pod: SimPod, keystone: Keystone) -> None:
    demo = {"x-auth-token": keystone.token(*DEMO)}
    own, other = keystone.project_ids["demo"], keystone.project_ids["other"]
    assert call("GET", f"{pod.compute_url}/{own}/servers", headers=demo)[0] == 200
    status, _, body = call("GET", f"{pod.compute_url}/{other}/servers/x", headers=demo)
    assert (status, body["badRequest"]["message"]) == (
        400,
        f"Malformed request URL: URL's project_id '{other}' doesn't match "
        f"Context's project_id '{own}'",
    )
    status, _, body = call("GET", f"{pod.url}/volume/v3/{other}/volumes", headers=demo)
    assert (status, body) == (
        400,
        {"badRequest": {"message": "Malformed request url", "code": 400}},
    )
    assert call("GET", f"{pod.url}/network/v2.0/networks", headers=demo)[0] == 200  # no project


def test_a_revoked_token_works_until_its_cached_answer_ends(
    pod: SimPod, keystone: Keystone
) -> None:
    token = keystone.token(*DEMO)
    url = f"{pod.compute_url}/{keystone.project_ids['demo']}/servers"
    assert call("GET", url, headers={"x-auth-token": token})[0] == 200
    keystone.revoke(token)
    time.sleep(CACHE_S + 0.2)
    assert call("GET", url, headers={"x-auth-token": token})[0] == 401
