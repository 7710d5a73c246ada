"""PodClient against real HTTP(S) servers on 127.0.0.1: pooled GETs, errors, bounds, TLS checks."""

import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web

from control_plane.decision.pods.client import PodCallError, PodClient
from control_plane.decision.pods.tls import PodTls, verifying_context
from control_plane.model import Pod
from harness.procs import free_port
from tests.fixtures.certs import KeyPair, TestCA, self_signed


@pytest.fixture
async def pod() -> AsyncIterator[tuple[str, list[tuple[dict, object]]]]:
    seen: list[tuple[dict, object]] = []

    async def servers(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), request.transport.get_extra_info("peername")))
        response = web.json_response({"servers": []})
        response.set_cookie("session", "user-a")
        return response

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/servers", servers)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_get_returns_status_and_body_over_one_pool(pod) -> None:
    url, seen = pod
    client = PodClient()
    try:
        first = await client(f"{url}/servers", {"x-auth-token": "t1"})
        second = await client(f"{url}/servers", {"x-auth-token": "t2"})
    finally:
        await client.close()
    assert (first.status, first.body) == (200, b'{"servers": []}')
    assert second.status == 200
    assert [headers["x-auth-token"] for headers, _ in seen] == ["t1", "t2"]
    assert "Cookie" not in seen[1][0]  # no cookie travels from one request to another
    assert seen[0][1] == seen[1][1]  # the same pooled connection


async def test_error_statuses_are_answers(pod) -> None:
    url, _ = pod
    client = PodClient()
    try:
        response = await client(f"{url}/broken", {})
    finally:
        await client.close()
    assert (response.status, response.body) == (500, b"boom")


async def test_no_server_is_a_pod_call_error() -> None:
    client = PodClient()
    try:
        with pytest.raises(PodCallError):
            await client(f"http://127.0.0.1:{free_port()}/servers", {})
    finally:
        await client.close()


async def test_send_without_a_body_sends_no_content_type(pod) -> None:
    url, seen = pod
    client = PodClient()
    try:
        reply = await client.send("GET", f"{url}/servers", {"x-auth-token": "t"}, b"")
    finally:
        await client.close()
    assert reply.status == 200
    headers = {k.lower(): v for k, v in seen[-1][0].items()}
    assert "content-type" not in headers  # real Nova answers 415 to application/octet-stream


@pytest.fixture
async def huge_pod() -> AsyncIterator[str]:
    """Answers /sized with 10 MB (with a content-length) and /streamed without one."""
    chunk = b"x" * 65536

    async def sized(request: web.Request) -> web.Response:
        return web.Response(body=chunk * 160)

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(160):
            await response.write(chunk)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/sized", sized)
    app.router.add_get("/streamed", streamed)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.parametrize("path", ["/sized", "/streamed"])
async def test_an_answer_above_the_bound_is_a_pod_call_error(huge_pod, path: str) -> None:
    client = PodClient(max_answer_bytes=1_000_000)
    try:
        with pytest.raises(PodCallError, match="above 1000000"):
            await client(f"{huge_pod}{path}", {})
    finally:
        await client.close()
    roomy = PodClient(max_answer_bytes=20_000_000)
    try:
        assert len((await roomy(f"{huge_pod}{path}", {})).body) == 160 * 65536
    finally:
        await roomy.close()


def _pod(name: str, url: str, *, insecure: bool = False) -> Pod:
    return Pod(name=name, az_name="az1", endpoints={"compute": url}, tls_insecure=insecure)


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
