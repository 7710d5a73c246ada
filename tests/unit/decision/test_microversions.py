"""microversions: what a request asks for, checked against the pods' window, and the answers."""

import json

import pytest

from control_plane.decision.versions.microversions import (
    BASE_WINDOWS,
    Window,
    answer_headers,
    intersect,
    negotiate,
    parse_version,
    requested,
)
from control_plane.errors import BadRequest, NotAcceptable
from control_plane.model import Service

COMPUTE, VOLUME = Service.COMPUTE, Service.VOLUME
WINDOW = Window((2, 1), (2, 90))


@pytest.mark.parametrize(
    ("text", "version"),
    [("2.1", (2, 1)), ("2.90", (2, 90)), ("3.0", (3, 0)), (" 2.10 ", (2, 10))],
)
def test_versions_parse_as_major_and_minor(text: str, version: tuple[int, int]) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize("text", ["", "2", "2.", "2.01", "02.1", "0.1", "v2.1", "2.1.1", "x.y"])
def test_malformed_versions_do_not_parse(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("service", "headers", "expected"),
    [
        (COMPUTE, {"openstack-api-version": "compute 2.60"}, "2.60"),
        (COMPUTE, {"openstack-api-version": "volume 3.5, Compute latest"}, "latest"),
        (COMPUTE, {"x-openstack-nova-api-version": "2.53"}, "2.53"),
        (
            COMPUTE,
            {"openstack-api-version": "compute 2.7", "x-openstack-nova-api-version": "2.53"},
            "2.7",
        ),
        (COMPUTE, {"openstack-api-version": "volume 3.5"}, None),
        (VOLUME, {"openstack-api-version": "volume 3.5"}, "3.5"),
        (VOLUME, {"x-openstack-nova-api-version": "2.53"}, None),
        (VOLUME, {}, None),
    ],
)
def test_the_new_header_wins_and_the_legacy_one_is_compute_only(service, headers, expected) -> None:
    assert requested(service, headers) == expected


def test_no_version_asked_is_nothing_to_negotiate() -> None:
    assert negotiate(COMPUTE, {}, WINDOW) is None


def test_a_version_inside_the_window_is_kept_as_sent() -> None:
    negotiated = negotiate(COMPUTE, {"openstack-api-version": "compute 2.60"}, WINDOW)
    assert negotiated is not None
    assert (negotiated.version, negotiated.rewrite) == ((2, 60), {})


def test_latest_is_the_windows_top_and_the_pod_is_told_so() -> None:
    negotiated = negotiate(COMPUTE, {"openstack-api-version": "compute latest"}, WINDOW)
    assert negotiated is not None
    assert negotiated.version == (2, 90)
    assert negotiated.rewrite == {"openstack-api-version": "compute 2.90"}


def test_legacy_latest_rewrites_the_legacy_header_too() -> None:
    negotiated = negotiate(COMPUTE, {"x-openstack-nova-api-version": "LATEST"}, WINDOW)
    assert negotiated is not None
    assert negotiated.rewrite == {
        "openstack-api-version": "compute 2.90",
        "x-openstack-nova-api-version": "2.90",
    }


def test_volume_latest_names_the_volume_service() -> None:
    window = Window((3, 0), (3, 60))
    negotiated = negotiate(VOLUME, {"openstack-api-version": "volume latest"}, window)
    assert negotiated is not None
    assert negotiated.rewrite == {"openstack-api-version": "volume 3.60"}


@pytest.mark.parametrize("asked", ["2.0", "2.91", "3.1"])
def test_a_version_outside_the_window_is_novas_406(asked: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        negotiate(COMPUTE, {"openstack-api-version": f"compute {asked}"}, WINDOW)
    assert json.loads(caught.value.fault()) == {
        "computeFault": {
            "code": 406,
            "message": f"Version {asked} is not supported by the API. "
            "Minimum is 2.1 and maximum is 2.90.",
        }
    }


def test_a_malformed_version_is_a_400_in_novas_words() -> None:
    with pytest.raises(BadRequest) as caught:
        negotiate(COMPUTE, {"openstack-api-version": "compute 2.x"}, WINDOW)
    assert caught.value.message == (
        "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum."
    )


def test_the_window_is_the_highest_minimum_to_the_lowest_maximum() -> None:
    windows = [Window((2, 1), (2, 96)), Window((2, 5), (2, 90)), Window((2, 3), (2, 93))]
    assert intersect(COMPUTE, windows) == Window((2, 5), (2, 90))


@pytest.mark.parametrize("service", list(Service))
def test_without_any_pods_window_the_api_base_is_advertised(service: Service) -> None:
    assert intersect(service, []) == BASE_WINDOWS[service]


def test_compute_answers_carry_both_headers_and_vary_on_both() -> None:
    assert answer_headers(COMPUTE, (2, 60)) == {
        "openstack-api-version": "compute 2.60",
        "x-openstack-nova-api-version": "2.60",
        "vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }


def test_volume_answers_carry_the_volume_header() -> None:
    assert answer_headers(VOLUME, (3, 0)) == {
        "openstack-api-version": "volume 3.0",
        "vary": "OpenStack-API-Version",
    }


def test_a_refused_version_leaves_only_vary() -> None:
    assert answer_headers(VOLUME, None) == {"vary": "OpenStack-API-Version"}
