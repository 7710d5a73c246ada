"""Which credential each method of the control plane's port needs: one table, closed by default."""

import pytest

from control_plane.auth.methods import Credential, required_credential
from control_plane.workers.messages import LINK_METHOD


@pytest.mark.parametrize(
    ("method", "credential"),
    [
        ("/podgate.admin.v1.PodAdmin/UpdatePod", Credential.ADMIN),
        ("/podgate.admin.v1.PodAdmin/ListAuditEvents", Credential.ADMIN),
        ("/podgate.admin.v1.Trio2oAdmin/CreatePod", Credential.ADMIN),
        (
            "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
            Credential.ENVOY,
        ),
        ("/envoy.service.ext_proc.v3.ExternalProcessor/Process", Credential.ENVOY),
        (LINK_METHOD, Credential.WORKER),
    ],
)
def test_each_served_method_needs_its_credential(method: str, credential: Credential) -> None:
    assert required_credential(method) is credential


@pytest.mark.parametrize(
    "method",
    [
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "/grpc.health.v1.Health/Check",
        "/podgate.admin.v1.PodAdmin",
        "",
        "/podgate.admin.v1.PodAdminX/ListPods",
    ],
)
def test_an_unlisted_method_needs_a_credential_nobody_has(method: str) -> None:
    assert required_credential(method) is None
