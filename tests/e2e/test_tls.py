"""TLS on Podgate's own ports, with real Envoy: the listeners (certificate pushed by SDS and
rotated without a restart) and the control plane's gRPC port (ADS, ext_proc to the main process
and to a decision worker, the worker's link, the CLI with --cacert)."""

import http.client
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from control_plane.cli import main
from harness.gateway import Gateway, WithAdminToken
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc
from tests.fixtures.certs import KeyPair, TestCA, serial_of

pytestmark = pytest.mark.e2e

_LISTENER_HOSTS = ("127.0.0.1", "localhost")


class TlsGateway(Gateway):
    """A gateway whose gRPC port speaks TLS: the test's own admin calls trust the test CA and,
    as on any gateway, show the admin token."""

    ca_file: Path

    def admin(self, *, anonymous: bool = False) -> admin_pb2_grpc.PodAdminStub:
        credentials = grpc.ssl_channel_credentials(self.ca_file.read_bytes())
        channel = grpc.secure_channel(f"127.0.0.1:{self.grpc_port}", credentials)
        if not anonymous:
            channel = grpc.intercept_channel(channel, WithAdminToken(lambda: self.admin_token))
        return admin_pb2_grpc.PodAdminStub(channel)


@dataclass
class Cloud:
    """The pairs as first issued in `files`: reissuing a name there rotates its files, and
    the new serial number is in what `ca.issue` answers."""

    gateway: TlsGateway
    pod: SimPod
    ca: TestCA
    files: Path
    listener: KeyPair
    grpc: KeyPair


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    root = tmp_path_factory.mktemp("tls")
    files = root / "tls"
    files.mkdir()
    ca = TestCA.create(files)
    listener = ca.issue(files, "listener", hosts=_LISTENER_HOSTS)
    grpc_pair = ca.issue(files, "grpc")
    env = {
        "PODGATE_ENVOY_TLS_CERT_FILE": str(listener.cert),
        "PODGATE_ENVOY_TLS_KEY_FILE": str(listener.key),
        "PODGATE_ENVOY_TLS_RELOAD_INTERVAL_S": "0.5",
        "PODGATE_CONTROL_PLANE_TLS_CERT_FILE": str(grpc_pair.cert),
        "PODGATE_CONTROL_PLANE_TLS_KEY_FILE": str(grpc_pair.key),
        "PODGATE_CONTROL_PLANE_CA_FILE": str(ca.cert),
        "PODGATE_DECISION_WORKERS": "1",
    }
    gateway = TlsGateway(state_dir=root / "state", extra_env=env)
    gateway.ca_file = ca.cert
    gateway.state_dir.mkdir()
    pod = start_podsim("pod1", "nova-east", root)
    try:
        gateway.start_control_plane()
        gateway.start_envoy()
        endpoints = {"compute": pod.compute_url, "volumev3": pod.volume_url}
        created = admin_pb2.Pod(name="pod1", az_name="az-east", endpoints=endpoints)
        gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=created))
        gateway.wait_for_clusters({"pod.pod1.compute", "pod.pod1.volumev3"})
        wait_for(lambda: len(gateway.decision_endpoints()) == 2, timeout=WAIT_S, what="the worker")
        yield Cloud(gateway, pod, ca, files, listener, grpc_pair)
    finally:
        gateway.stop()
        pod.proc.stop()


def _https(
    cloud: Cloud, port: int, method: str, path: str, body: str | None = None
) -> tuple[int, bytes, int]:
    """One request on a new TLS connection that trusts only the test CA: status, body and the
    serial number of the certificate the server showed."""
    context = ssl.create_default_context(cafile=cloud.ca.cert)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        headers = {"content-type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        assert conn.sock is not None
        return response.status, data, serial_of(conn.sock.getpeercert(binary_form=True))
    finally:
        conn.close()


def _serial_shown(cloud: Cloud, port: int) -> int:
    """The serial number of the certificate a new TLS connection to `port` is shown."""
    context = ssl.create_default_context(cafile=cloud.ca.cert)
    context.set_alpn_protocols(["h2"])
    with context.wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10),
        server_hostname="127.0.0.1",
    ) as sock:
        return serial_of(sock.getpeercert(binary_form=True))


def _sds_acked(gateway: Gateway) -> bool:
    """Envoy ACKed the SDS version the control plane serves now (`podgate status`'s view)."""
    (proxy,) = gateway.admin().GetStatus(admin_pb2.GetStatusRequest(), timeout=5).proxies
    (sds,) = [config for config in proxy.configs if config.type == "SDS"]
    return bool(sds.current_version) and sds.acked_version == sds.current_version and not sds.nack


def _podgate(cloud: Cloud, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run a `pod` subcommand of the CLI in this process (its imports cost seconds per run),
    which finds the admin token in the gateway's state dir: status, stdout+stderr."""
    capsys.readouterr()
    server = f"127.0.0.1:{cloud.gateway.grpc_port}"
    status = main(["--server", server, *args, "--state-dir", str(cloud.gateway.state_dir)])
    out, err = capsys.readouterr()
    return status, out + err


def test_https_requests_through_the_api_listeners_are_decided_and_routed(
    cloud: Cloud, project
) -> None:
    gateway = cloud.gateway
    before = gateway.decision_endpoints()
    for n in range(8):
        body = f'{{"server": {{"name": "vm-{n}", "flavorRef": "1", "imageRef": "i"}}}}'
        status, answer, _ = _https(
            cloud, gateway.compute_port, "POST", f"/v2.1/{project}/servers", body
        )
        assert status == 202, answer
    status, answer, _ = _https(cloud, gateway.compute_port, "GET", f"/v2.1/{project}/servers")
    assert status == 200 and answer.count(b'"name"') == 8, answer
    status, _, _ = _https(cloud, gateway.volume_port, "GET", f"/v3/{project}/volumes")
    assert status == 200
    after = gateway.decision_endpoints()
    # ext_proc over TLS to the main process and to the worker alike.
    assert all(after[host] > before.get(host, 0) for host in after), (before, after)
    assert gateway.envoy_stat("cluster.podgate_decision.ssl.handshake") >= 2
    assert gateway.envoy_stat("cluster.podgate_control_plane.ssl.handshake") >= 1  # ADS


def test_the_admin_rest_listener_serves_the_same_certificate(cloud: Cloud) -> None:
    gateway = cloud.gateway
    _, _, listener_serial = _https(cloud, gateway.compute_port, "GET", "/")
    status, _, serial = _https(cloud, gateway.admin_rest_port, "GET", "/v1.0/pods")
    assert 200 <= status < 600 and serial == listener_serial


def test_plaintext_http_to_a_tls_listener_gets_no_answer(cloud: Cloud, project) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", cloud.gateway.compute_port, timeout=10)
    with pytest.raises((OSError, http.client.HTTPException)):
        conn.request("GET", f"/v2.1/{project}/servers")
        conn.getresponse().read()
    conn.close()


def test_a_replaced_listener_certificate_reaches_new_connections_without_a_restart(
    cloud: Cloud,
) -> None:
    gateway = cloud.gateway
    assert gateway.envoy is not None
    envoy_pid = gateway.envoy.pid
    old = _serial_shown(cloud, gateway.compute_port)
    started = time.monotonic()
    new = cloud.ca.issue(cloud.files, "listener", hosts=_LISTENER_HOSTS).serial
    wait_for(
        lambda: _serial_shown(cloud, gateway.compute_port) == new,
        timeout=WAIT_S,
        what="the new certificate on new connections",
    )
    took = time.monotonic() - started
    print(f"listener certificate {old:x} -> {new:x} served after {took:.2f} s")
    assert _serial_shown(cloud, gateway.volume_port) == new
    assert gateway.envoy.pid == envoy_pid and gateway.envoy.alive()
    wait_for(lambda: _sds_acked(gateway), timeout=WAIT_S, what="Envoy to ACK the new secret")
    status, _, serial = _https(cloud, gateway.compute_port, "GET", "/")
    assert status == 200 and serial == new


def test_a_broken_certificate_pair_is_not_pushed(cloud: Cloud) -> None:
    gateway = cloud.gateway
    key_file = cloud.listener.key
    serving = _serial_shown(cloud, gateway.compute_port)
    good_key = key_file.read_bytes()
    other = cloud.ca.issue(cloud.files, "other")
    key_file.write_bytes(other.key.read_bytes())  # not the certificate's key
    try:
        wait_for(
            lambda: "not the key of" in gateway.control_plane.output(),
            timeout=WAIT_S,
            what="the control plane to refuse the pair",
        )
        assert _serial_shown(cloud, gateway.compute_port) == serving
    finally:
        key_file.write_bytes(good_key)


def test_the_cli_with_cacert_works(cloud: Cloud, capsys, monkeypatch) -> None:
    monkeypatch.delenv("PODGATE_CACERT", raising=False)
    status, out = _podgate(cloud, capsys, "--cacert", str(cloud.ca.cert), "pod", "list")
    assert status == 0 and "pod1" in out, out
    monkeypatch.setenv("PODGATE_CACERT", str(cloud.ca.cert))
    status, out = _podgate(cloud, capsys, "pod", "list")
    assert status == 0 and "pod1" in out, out


def test_the_cli_without_the_ca_fails_with_a_clear_error(cloud: Cloud, capsys, monkeypatch) -> None:
    monkeypatch.delenv("PODGATE_CACERT", raising=False)
    status, out = _podgate(cloud, capsys, "pod", "list")
    assert status == 1 and "--cacert" in out, out
    # A CA of the same name: only the signature tells it from the trusted one.
    stranger_dir = cloud.files / "stranger"
    stranger_dir.mkdir()
    stranger = TestCA.create(stranger_dir)
    status, out = _podgate(cloud, capsys, "--cacert", str(stranger.cert), "pod", "list")
    assert status == 1 and "TLS to the control plane" in out, out
    status, out = _podgate(
        cloud, capsys, "--cacert", str(cloud.files / "missing.pem"), "pod", "list"
    )
    assert status == 1 and "cannot read the CA file" in out, out


def test_a_plaintext_grpc_client_is_refused(cloud: Cloud) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{cloud.gateway.grpc_port}")
    with pytest.raises(grpc.RpcError) as caught:
        admin_pb2_grpc.PodAdminStub(channel).ListPods(admin_pb2.ListPodsRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_replaced_grpc_certificate_is_shown_to_new_connections(cloud: Cloud, capsys) -> None:
    gateway = cloud.gateway
    new = cloud.ca.issue(cloud.files, "grpc").serial
    wait_for(
        lambda: _serial_shown(cloud, gateway.grpc_port) == new,
        timeout=WAIT_S,
        what="the new gRPC certificate",
    )
    status, out = _podgate(cloud, capsys, "--cacert", str(cloud.ca.cert), "pod", "list")
    assert status == 0 and "pod1" in out, out
