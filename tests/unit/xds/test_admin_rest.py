"""The admin REST listener: Trio2o's routes from the descriptor set, transcoded to Trio2oAdmin."""

import dataclasses

import pytest
from envoy.extensions.filters.http.grpc_json_transcoder.v3 import transcoder_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from control_plane.xds.admin_rest import ADMIN_REST_LISTENER, admin_rest
from control_plane.xds.resources import CONTROL_PLANE_CLUSTER, LISTENER_TYPE
from control_plane.xds.translate import translate
from tests.unit.xds.cases import DESCRIPTOR_SET, TESTDATA, load_case

# Trio2o's admin API (notes/trio2o-behaviour.md §1.3), as (HTTP method, path template).
TRIO2O_ROUTES = {
    ("post", "/v1.0/pods"),
    ("get", "/v1.0/pods"),
    ("get", "/v1.0/pods/{pod_id}"),
    ("delete", "/v1.0/pods/{pod_id}"),
    ("post", "/v1.0/bindings"),
    ("get", "/v1.0/bindings"),
    ("get", "/v1.0/bindings/{id}"),
    ("delete", "/v1.0/bindings/{id}"),
}


def _manager(descriptor_set: bytes = DESCRIPTOR_SET) -> hcm.HttpConnectionManager:
    listener = admin_rest(listen_host="127.0.0.1", port=19996, descriptor_set=descriptor_set)
    manager = hcm.HttpConnectionManager()
    assert listener.filter_chains[0].filters[0].typed_config.Unpack(manager)
    return manager


def _transcoder(manager: hcm.HttpConnectionManager) -> transcoder_pb2.GrpcJsonTranscoder:
    config = transcoder_pb2.GrpcJsonTranscoder()
    for http_filter in manager.http_filters:
        if http_filter.typed_config.Unpack(config):
            return config
    raise AssertionError("no gRPC-JSON transcoder on the admin REST listener")


def test_the_committed_descriptor_set_maps_every_trio2o_route_to_the_service() -> None:
    [service] = _transcoder(_manager()).services
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET).file
    package, _, name = service.rpartition(".")
    [found] = [s for f in files if f.package == package for s in f.service if s.name == name]
    routes = set()
    for method in found.method:
        rule = method.options.Extensions[annotations_pb2.http]
        kind = rule.WhichOneof("pattern")
        routes.add((kind, getattr(rule, kind)))
        assert rule.body in ("", "*"), method.name
    assert routes == TRIO2O_ROUTES


def test_the_transcoder_carries_the_descriptor_set_it_was_given() -> None:
    assert _transcoder(_manager(b"\n\x00")).proto_descriptor_bin == b"\n\x00"


def test_json_uses_trio2o_keys_and_errors_keep_their_status() -> None:
    config = _transcoder(_manager())
    assert config.print_options.preserve_proto_field_names
    assert config.print_options.always_print_primitive_fields
    assert config.convert_grpc_status
    assert config.request_validation_options.reject_unknown_method


def test_only_the_trio2o_service_is_routed_to_the_control_plane() -> None:
    [host] = _manager().route_config.virtual_hosts
    [route] = host.routes
    [service] = _transcoder(_manager()).services
    assert route.match.prefix == f"/{service}/"
    assert route.route.cluster == CONTROL_PLANE_CLUSTER


def test_a_listener_without_a_descriptor_set_is_refused() -> None:
    with pytest.raises(ValueError, match="descriptor set"):
        admin_rest(listen_host="127.0.0.1", port=19996, descriptor_set=b"")


def test_port_zero_leaves_the_admin_rest_listener_out() -> None:
    inputs = load_case(TESTDATA / "admin_rest.in.yaml")
    assert ADMIN_REST_LISTENER in translate(inputs).resources[LISTENER_TYPE]
    off = dataclasses.replace(inputs, admin_rest_port=0)
    assert ADMIN_REST_LISTENER not in translate(off).resources[LISTENER_TYPE]
