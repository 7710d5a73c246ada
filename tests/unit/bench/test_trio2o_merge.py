"""Trio2o-style baseline: pages concatenated, newest first, user-facing AZ names."""

from bench.baselines.trio2o_lists import merged
from control_plane.model import Pod


def test_pages_are_merged_newest_first_with_the_gateways_az() -> None:
    first, second = Pod("p1", "az1", "nova-1"), Pod("p2", "az2", "nova-2")
    pages = [
        (first, [{"id": "a", "created_at": "2026-01-03", "OS-EXT-AZ:availability_zone": "nova-1"}]),
        (
            second,
            [{"id": "b", "created_at": "2026-01-04"}, {"id": "c", "created_at": "2026-01-01"}],
        ),
    ]

    servers = merged(pages)

    assert [server["id"] for server in servers] == ["b", "a", "c"]
    assert [server["OS-EXT-AZ:availability_zone"] for server in servers] == ["az2", "az1", "az2"]
