"""PodTls: which pod URLs the decision service checks, and PodClient checking them for real."""

import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import MappingProxyType

import pytest
from aiohttp import web

from control_plane.decision.pods.client import PodCallError, PodClient
from control_plane.decision.pods.tls import PodTls, insecure_origins, verifying_context
from control_plane.model import Pod
from tests.fixtures.certs import KeyPair, TestCA, self_signed


def _pod(name: str, url: str, *, insecure: bool = False) -> Pod:
    return Pod(name=name, az_name="az1", endpoints={"compute": url}, tls_insecure=insecure)


def test_only_https_origins_of_insecure_pods_go_unchecked() -> None:
    pods = [
        _pod("a", "https://a.example/v2.1", insecure=True),
        _pod("b", "https://10.0.0.2:8774/v2.1", insecure=True),
        _pod("c", "http://c.example/v2.1", insecure=True),
        _pod("d", "https://d.example/v2.1"),
    ]
    assert insecure_origins(pods) == {("a.example", 443), ("10.0.0.2", 8774)}


def test_a_verified_pod_keeps_a_shared_origin_checked() -> None:
    pods = [_pod("a", "https://h.example/x", insecure=True), _pod("b", "https://h.example/y")]
    assert insecure_origins(pods) == frozenset()


def test_the_answer_follows_the_pods_as_they_change() -> None:
    context = ssl.create_default_context()
    current = MappingProxyType({"a": _pod("a", "https://h.example/v2.1")})
    tls = PodTls(context, lambda: current)
    assert tls("https://h.example/v2.1/p/servers") is context
    current = MappingProxyType({"a": _pod("a", "https://h.example/v2.1", insecure=True)})
    assert tls("https://h.example/v2.1/p/servers") is False
    assert tls("https://other.example/v2.1") is context


async def _versions(request: web.Request) -> web.Response:
    return web.json_response({"versions": []})


@pytest.fixture
async def https_pod(tmp_path: Path) -> AsyncIterator[Callable[[KeyPair], str]]:
    """Start HTTPS servers on 127.0.0.1 presenting a given certificate; yields their URL."""
    runners: list[web.AppRunner] = []

    async def start(pair: KeyPair) -> str:
        app = web.Application()
        app.router.add_get("/", _versions)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pair.cert, pair.key)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        runners.append(runner)
        return f"https://127.0.0.1:{runner.addresses[0][1]}/"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_pod_client_trusts_the_ca_and_the_name_only(tmp_path: Path, https_pod) -> None:
    ca = TestCA.create(tmp_path)
    trusted = await https_pod(ca.issue(tmp_path, "trusted", hosts=("127.0.0.1",)))
    misnamed = await https_pod(ca.issue(tmp_path, "misnamed", hosts=("pod.invalid",)))
    untrusted = await https_pod(self_signed(tmp_path, "untrusted", hosts=("127.0.0.1",)))
    checked = {name: _pod(name, url) for name, url in (("t", trusted), ("m", misnamed))}
    pods = {**checked, "u": _pod("u", untrusted, insecure=True)}
    client = PodClient(tls=PodTls(verifying_context(str(ca.cert)), lambda: pods))
    try:
        assert (await client(trusted, {})).status == 200
        with pytest.raises(PodCallError, match=r"[Cc]ertificate"):
            await client(misnamed, {})
        assert (await client(untrusted, {})).status == 200  # marked insecure
        pods = {**checked, "u": _pod("u", untrusted)}  # the view hands out a new mapping
        with pytest.raises(PodCallError, match=r"[Cc]ertificate"):
            await client(untrusted, {})
    finally:
        await client.close()
