"""The rule: each pod's limit so that a project cannot exceed its gateway limit N in total.

A pod gets its own usage plus a share of the headroom (N minus the usage of every pod). The
headroom goes to the pods that take new resources (ENABLED): first one unit each, so that every
zone can take one more (the least used pods first when there are fewer units than pods), then
the rest half in equal parts and half in proportion to each pod's usage: a busy pod gets more
room, an idle one still some. The pods' limits then add up to N exactly (to the usage, when N
is below it: nothing new anywhere). Integer shares are apportioned by largest remainder, ties
to the less used pod, then to the one first in the given order.

Limits that bound one object or a copy every pod holds (per-object limits, key pairs, Neutron's
security groups) are N in every pod, and -1 (unlimited) is -1 everywhere. Pure.
"""

from collections.abc import Mapping, Sequence
from fractions import Fraction

__all__ = ["UNLIMITED", "pod_limits"]

UNLIMITED = -1


def pod_limits(
    limit: int,
    usage: Mapping[str, int],
    open_pods: Sequence[str],
    *,
    per_pod: bool = False,
) -> dict[str, int]:
    """Each pod's limit for one resource.

    :param limit: the project's limit over all pods (N), -1 for unlimited.
    :param usage: every counted pod's usage (in use plus reserved), by pod name.
    :param open_pods: the pods that may grow, in tie-break order (a subset of `usage`'s).
    :param per_pod: the limit bounds each pod alike (per-object limits, copies in every pod).
    """
    if limit == UNLIMITED or per_pod:
        return dict.fromkeys(usage, limit)
    headroom = max(0, limit - sum(usage.values()))
    growing = sorted((pod for pod in open_pods if pod in usage), key=lambda pod: usage[pod])
    first = dict.fromkeys(growing[:headroom], 1)
    rest = _apportion(headroom - len(first), _weights(growing, usage))
    return {pod: used + first.get(pod, 0) + rest.get(pod, 0) for pod, used in usage.items()}


def _weights(pods: Sequence[str], usage: Mapping[str, int]) -> dict[str, int]:
    """Half equal, half by usage: weight T + n·u for total usage T over n pods (1 if all idle)."""
    total = sum(usage[pod] for pod in pods)
    if total == 0:
        return dict.fromkeys(pods, 1)
    return {pod: total + len(pods) * usage[pod] for pod in pods}


def _apportion(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    """`amount` split in whole parts by weight, largest remainders first (Hamilton's method),
    ties in `weights`' order."""
    whole = sum(weights.values())
    if amount == 0 or whole == 0:
        return dict.fromkeys(weights, 0)
    exact = {pod: Fraction(amount * weight, whole) for pod, weight in weights.items()}
    shares = {pod: int(value) for pod, value in exact.items()}
    left = amount - sum(shares.values())
    order = sorted(weights, key=lambda pod: exact[pod] - shares[pod], reverse=True)
    for pod in order[:left]:
        shares[pod] += 1
    return shares
