"""Quota documents across pods, in each API's shape: stored limits shown, usage summed."""

import pytest

from control_plane.decision.families import QUOTA_VIEWS
from control_plane.decision.quotas.dialects import DIALECTS, Addressed, QuotaPath, addressed
from control_plane.decision.quotas.view import below_usage, limits_shown, requested
from control_plane.model import Service

CINDER, NEUTRON = DIALECTS[Service.VOLUME], DIALECTS[Service.NETWORK]


def test_cinder_usage_sums_in_use_reserved_and_allocated_and_keeps_per_type_keys() -> None:
    def pod(in_use: int, limit: int) -> dict:
        entry = {"limit": limit, "in_use": in_use, "reserved": 0, "allocated": 0}
        per_type = {"limit": -1, "in_use": in_use, "reserved": 0}
        return {"quota_set": {"id": "p", "volumes": entry, "volumes___DEFAULT__": per_type}}

    shown = limits_shown(CINDER, [pod(1, 2), pod(2, 3)], {"volumes": 5})
    assert shown == {
        "quota_set": {
            "id": "p",
            "volumes": {"limit": 5, "in_use": 3, "reserved": 0, "allocated": 0},
            "volumes___DEFAULT__": {"limit": -1, "in_use": 3, "reserved": 0},
        }
    }


def test_cinder_limits_show_the_stored_maximum_and_summed_totals() -> None:
    def pod(used: int) -> dict:
        absolute = {"maxTotalVolumes": 1, "totalVolumesUsed": used, "maxTotalBackups": 10}
        return {"limits": {"rate": [], "absolute": absolute}}

    shown = limits_shown(CINDER, [pod(1), pod(0)], {"volumes": 2})
    assert shown["limits"]["absolute"] == {
        "maxTotalVolumes": 2,
        "totalVolumesUsed": 1,
        "maxTotalBackups": 10,
    }


def test_neutron_copies_in_every_pod_count_once() -> None:
    def pod(networks: int) -> dict:
        return {
            "quota": {
                "network": {"limit": 5, "used": networks, "reserved": 0},
                "security_group": {"limit": 10, "used": 1, "reserved": 0},
            }
        }

    shown = limits_shown(NEUTRON, [pod(2), pod(1)], {"network": 8})
    assert shown["quota"] == {
        "network": {"limit": 8, "used": 3, "reserved": 0},
        "security_group": {"limit": 10, "used": 1, "reserved": 0},
    }


def test_cinder_checks_usage_always_but_never_per_volume_gigabytes() -> None:
    wanted = requested(CINDER, b'{"quota_set": {"volumes": 1, "per_volume_gigabytes": 0}}')
    assert wanted is not None
    message = below_usage(CINDER, wanted, {"a": {"volumes": 1}, "b": {"volumes": 1}})
    assert message == (
        "Quota volumes limit must be equal or greater than existing resources. "
        "Current usage is 2 and the requested limit is 1."
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"quota_set": 1}',
        b'{"quota_set": {"volumes": -2}}',
        b'{"quota_set": {"a": true}}',
        b'{"quota_set": {"volumes": 2147483648}}',
    ],
)
def test_bodies_the_gateway_cannot_read_are_left_to_the_pods(body: bytes) -> None:
    assert requested(CINDER, body) is None


@pytest.mark.parametrize(
    ("service", "remainder", "query", "path"),
    [
        (
            Service.COMPUTE,
            "/os-quota-sets/p9/detail",
            "user_id=u",
            QuotaPath(Addressed.DETAIL, "p9", "u"),
        ),
        (Service.COMPUTE, "/limits", "tenant_id=p9", QuotaPath(Addressed.LIMITS, "p9")),
        (Service.COMPUTE, "/limits", "", QuotaPath(Addressed.LIMITS, "me")),
        (Service.VOLUME, "/os-quota-sets/p9", "usage=True", QuotaPath(Addressed.DETAIL, "p9")),
        (Service.VOLUME, "/os-quota-sets/p9", "user_id=u", QuotaPath(Addressed.SET, "p9")),
        (Service.VOLUME, "/os-quota-class-sets/default", "", QuotaPath(Addressed.CLASS, "default")),
        (Service.NETWORK, "/v2.0/quotas/p9/details", "", QuotaPath(Addressed.DETAIL, "p9")),
        (Service.NETWORK, "/v2.0/quotas/p9/default", "", QuotaPath(Addressed.DEFAULTS, "p9")),
    ],
)
def test_what_a_quota_request_names(
    service: Service, remainder: str, query: str, path: QuotaPath
) -> None:
    assert addressed(service, remainder, query, "me") == path


def test_every_quota_route_is_the_quota_relays() -> None:
    assert QUOTA_VIEWS == {"limits", "os-quota-sets", "os-quota-class-sets", "quotas"}
