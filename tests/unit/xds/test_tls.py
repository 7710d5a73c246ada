"""Listener TLS by SDS and Envoy's checked TLS to Podgate's gRPC ports, as translated."""

import dataclasses

import pytest
import yaml
from envoy.config.listener.v3 import listener_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, tls_pb2

from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.resources import (
    CLUSTER_TYPE,
    DECISION_CLUSTER,
    ENDPOINT_TYPE,
    LISTENER_TYPE,
    ROUTE_TYPE,
    SECRET_TYPE,
)
from control_plane.xds.snapshot import InconsistentSnapshot, Snapshot
from control_plane.xds.tls import ADMIN_REST_SECRET, LISTENER_SECRET, ServerCert, UpstreamTls
from control_plane.xds.translate import XdsInputs, translate
from tests.unit.xds.cases import TESTDATA, load_case

LISTENER_CERT = ServerCert(LISTENER_SECRET, b"listener-cert", b"listener-key")
ADMIN_CERT = ServerCert(ADMIN_REST_SECRET, b"admin-cert", b"admin-key")


def _inputs(**changes: object) -> XdsInputs:
    return dataclasses.replace(load_case(TESTDATA / "admin_rest.in.yaml"), **changes)


def _downstream(listener: listener_pb2.Listener) -> tls_pb2.DownstreamTlsContext | None:
    (chain,) = listener.filter_chains
    if not chain.HasField("transport_socket"):
        return None
    context = tls_pb2.DownstreamTlsContext()
    assert chain.transport_socket.typed_config.Unpack(context)
    return context


def _sds_names(listener: listener_pb2.Listener) -> list[str]:
    context = _downstream(listener)
    assert context is not None
    configs = context.common_tls_context.tls_certificate_sds_secret_configs
    assert all(config.sds_config.HasField("ads") for config in configs)
    return [config.name for config in configs]


def test_without_certificates_every_listener_is_plaintext_and_no_secret_exists() -> None:
    snapshot = translate(_inputs())
    assert all(_downstream(x) is None for x in snapshot.resources[LISTENER_TYPE].values())
    assert not snapshot.resources[SECRET_TYPE]


def test_listeners_name_their_certificate_as_an_sds_secret_over_ads() -> None:
    snapshot = translate(_inputs(listener_tls=LISTENER_CERT, admin_rest_tls=ADMIN_CERT))
    snapshot.check_consistent()
    listeners = snapshot.resources[LISTENER_TYPE]
    assert _sds_names(listeners["compute"]) == _sds_names(listeners["volume"]) == [LISTENER_SECRET]
    assert _sds_names(listeners["admin_rest"]) == [ADMIN_REST_SECRET]
    context = _downstream(listeners["compute"])
    assert list(context.common_tls_context.alpn_protocols) == ["h2", "http/1.1"]
    secret = snapshot.resources[SECRET_TYPE][LISTENER_SECRET]
    assert secret.tls_certificate.certificate_chain.inline_bytes == b"listener-cert"
    assert secret.tls_certificate.private_key.inline_bytes == b"listener-key"


def test_a_shared_certificate_is_one_secret() -> None:
    snapshot = translate(_inputs(listener_tls=LISTENER_CERT, admin_rest_tls=LISTENER_CERT))
    assert list(snapshot.resources[SECRET_TYPE]) == [LISTENER_SECRET]
    assert _sds_names(snapshot.resources[LISTENER_TYPE]["admin_rest"]) == [LISTENER_SECRET]


def test_a_new_certificate_changes_only_the_secrets_version() -> None:
    before = translate(_inputs(listener_tls=LISTENER_CERT))
    rotated = dataclasses.replace(LISTENER_CERT, cert_pem=b"new-cert", key_pem=b"new-key")
    after = translate(_inputs(listener_tls=rotated))
    changed = {t for t in before.versions if before.version(t) != after.version(t)}
    assert changed == {SECRET_TYPE}


def test_the_key_never_shows_in_a_repr() -> None:
    assert "listener-key" not in repr(LISTENER_CERT)


def test_a_listener_waiting_for_a_missing_secret_is_inconsistent() -> None:
    snapshot = translate(_inputs(listener_tls=LISTENER_CERT))
    keys = {CLUSTER_TYPE: "clusters", ENDPOINT_TYPE: "endpoints"}
    keys |= {LISTENER_TYPE: "listeners", ROUTE_TYPE: "routes"}  # everything but the secrets
    broken = Snapshot.build(**{key: snapshot.resources[t].values() for t, key in keys.items()})
    with pytest.raises(InconsistentSnapshot, match="secret 'podgate_listener_tls'"):
        broken.check_consistent()


@pytest.mark.parametrize(
    ("name", "san_type", "sni"),
    [
        ("127.0.0.1", common_pb2.SubjectAltNameMatcher.IP_ADDRESS, ""),
        ("cp.example", common_pb2.SubjectAltNameMatcher.DNS, "cp.example"),
    ],
)
def test_envoy_checks_the_decision_workers_certificate(name: str, san_type: int, sni: str) -> None:
    inputs = load_case(TESTDATA / "decision_workers.in.yaml")
    inputs = dataclasses.replace(inputs, control_plane_tls=UpstreamTls(b"ca", name))
    cluster = translate(inputs).resources[CLUSTER_TYPE][DECISION_CLUSTER]
    context = tls_pb2.UpstreamTlsContext()
    assert cluster.transport_socket.typed_config.Unpack(context)
    validation = context.common_tls_context.validation_context
    assert validation.trusted_ca.inline_bytes == b"ca"
    (matcher,) = validation.match_typed_subject_alt_names
    assert (matcher.san_type, matcher.matcher.exact, context.sni) == (san_type, name, sni)
    assert list(context.common_tls_context.alpn_protocols) == ["h2"]


def test_the_bootstrap_is_plaintext_without_a_ca() -> None:
    bootstrap = render_bootstrap(
        node_id="test-node",
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host="127.0.0.1",
        control_plane_port=19990,
        envoy_token="test-envoy-token",
    )
    (cluster,) = yaml.safe_load(bootstrap)["static_resources"]["clusters"]
    assert cluster["transport_socket"]["name"] == "envoy.transport_sockets.raw_buffer"
