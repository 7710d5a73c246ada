"""Pod clusters' TLS: verified unless the pod says otherwise, never silently unchecked."""

import dataclasses

import pytest

from control_plane.xds.translate import translate
from tests.unit.xds.cases import TESTDATA, load_case

CASE = TESTDATA / "https_endpoint.in.yaml"


def test_an_https_pod_without_a_ca_bundle_is_refused_not_left_unchecked() -> None:
    inputs = dataclasses.replace(load_case(CASE), pod_ca_file="")
    with pytest.raises(ValueError, match="CA bundle"):
        translate(inputs)


def test_insecure_pods_alone_need_no_ca_bundle() -> None:
    inputs = load_case(CASE)
    insecure = tuple(p for p in inputs.pods if p.tls_insecure)
    assert insecure
    translate(dataclasses.replace(inputs, pods=insecure, pod_ca_file=""))
