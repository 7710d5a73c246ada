"""Cinder's volume summary summed over pods."""

from control_plane.decision.views.summary import combine_summaries


def test_counts_and_sizes_are_summed_and_metadata_values_united() -> None:
    pods = [
        {"volume-summary": {"total_count": 2, "total_size": 3, "metadata": {"k": ["a", "b"]}}},
        {"volume-summary": {"total_count": 1, "total_size": 5, "metadata": {"k": ["b", "c"]}}},
        {"volume-summary": {"total_count": 0, "total_size": 0, "metadata": {"x": ["1"]}}},
    ]
    assert combine_summaries(pods) == {
        "volume-summary": {
            "total_count": 3,
            "total_size": 8,
            "metadata": {"k": ["a", "b", "c"], "x": ["1"]},
        }
    }


def test_before_3_36_no_metadata_is_shown() -> None:
    pods = [{"volume-summary": {"total_count": 1, "total_size": 1}}] * 2
    assert combine_summaries(pods) == {"volume-summary": {"total_count": 2, "total_size": 2}}


def test_a_pod_without_a_summary_counts_nothing() -> None:
    pods = [{"volume-summary": {"total_count": 4, "total_size": 9}}, {}]
    assert combine_summaries(pods) == {"volume-summary": {"total_count": 4, "total_size": 9}}
