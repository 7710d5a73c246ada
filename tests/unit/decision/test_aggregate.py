"""The rules combining pods' limits and quota sets."""

from control_plane.decision.views.aggregate import combine_totals


def test_usage_and_total_limits_are_summed_and_unlimited_stays_unlimited() -> None:
    pods = [
        {"limits": {"rate": [], "absolute": {"maxTotalCores": 20, "maxTotalInstances": 10,
                                            "totalCoresUsed": 2, "maxServerMeta": 128}}},
        {"limits": {"rate": [], "absolute": {"maxTotalCores": -1, "maxTotalInstances": 5,
                                            "totalCoresUsed": 3, "maxServerMeta": 64}}},
    ]  # fmt: skip
    assert combine_totals(pods) == {
        "limits": {
            "rate": [],
            "absolute": {
                "maxTotalCores": -1,
                "maxTotalInstances": 15,
                "totalCoresUsed": 5,
                "maxServerMeta": 64,
            },
        }
    }


def test_quota_details_sum_in_use_and_limits_but_key_pairs_count_once() -> None:
    def quota(cores_limit: int, cores_used: int, keys_limit: int, keys_used: int) -> dict:
        return {
            "quota_set": {
                "id": "p1",
                "cores": {"limit": cores_limit, "in_use": cores_used, "reserved": 0},
                "key_pairs": {"limit": keys_limit, "in_use": keys_used, "reserved": 0},
                "per_volume_gigabytes": -1,
            }
        }

    combined = combine_totals([quota(20, 1, 100, 2), quota(30, 4, -1, 2)])
    assert combined == {
        "quota_set": {
            "id": "p1",
            "cores": {"limit": 50, "in_use": 5, "reserved": 0},
            "key_pairs": {"limit": 100, "in_use": 2, "reserved": 0},
            "per_volume_gigabytes": -1,
        }
    }
