"""Placement follows the data: the one pod every resource a body names is in.

A resource can only use resources of its own pod (the pods share nothing). Which named
resources count: the project's own; networks and subnets whatever their project (shared and
external networks are every project's, so their pod is where a port or floating IP must go).
Another project's volumes, snapshots, backups and ports are not judged: saying where they are
would tell they exist, and the pod refuses them anyway. A name without a routing does not
count either (the pod answers its own 404). Conflicts are 400s naming availability zones,
never pods.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from control_plane.decision.decisions import Reference
from control_plane.decision.resources import SPECS
from control_plane.decision.zone_faults import resource_zone_gone
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType, Routing

__all__ = ["Followed", "beside", "followed", "in_zone", "shared_pod"]

# Followed whatever their project: a project may use another's shared or external network.
_ANY_PROJECTS = frozenset({ResourceType.NETWORK, ResourceType.SUBNET})


@dataclass(frozen=True, slots=True)
class Followed:
    """A named resource placement must follow, and the pod it is in."""

    reference: Reference
    pod: Pod


def followed(
    references: Iterable[Reference],
    routings: Mapping[Reference, Routing],
    project_id: str,
    pods: Mapping[str, Pod],
) -> tuple[Followed, ...]:
    """The named resources that count, in the order named; PodUnavailable if one's pod is gone."""
    found = []
    for reference in dict.fromkeys(references):
        routing = routings.get(reference)
        if routing is None or (
            routing.project_id != project_id and reference.resource_type not in _ANY_PROJECTS
        ):
            continue
        pod = pods.get(routing.pod_name)
        if pod is None:
            raise resource_zone_gone(routing.pod_name)
        found.append(Followed(reference, pod))
    return tuple(found)


def shared_pod(named: Sequence[Followed]) -> Pod | None:
    """The pod every one of `named` is in (None: nothing to follow); BadRequest if none."""
    if not named:
        return None
    beside(named[0], named[1:])
    return named[0].pod


def beside(owner: Followed, others: Iterable[Followed]) -> None:
    """BadRequest naming the zones unless every one of `others` is in `owner`'s pod."""
    for other in others:
        if other.pod.name == owner.pod.name:
            continue
        detail = f"pods {owner.pod.name}, {other.pod.name}"
        zone, other_zone = owner.pod.az_name, other.pod.az_name
        attach = _server_and_volume(owner, other)
        if attach is not None and zone != other_zone:
            raise BadRequest(_cross_zone_attach(*attach), detail=detail)
        first, second = _named(owner.reference), _named(other.reference, start=False)
        if zone == other_zone:
            together = "but cannot be used together"
            raise BadRequest(
                f"{first} and {second} are in availability zone {zone} {together}.", detail=detail
            )
        raise BadRequest(
            f"{first} and {second} are in different availability zones: {zone}, {other_zone}.",
            detail=detail,
        )


def _server_and_volume(one: Followed, other: Followed) -> tuple[Followed, Followed] | None:
    """The pair as (server, volume) when it is one, else None."""
    pair = {one.reference.resource_type: one, other.reference.resource_type: other}
    server, volume = pair.get(ResourceType.SERVER), pair.get(ResourceType.VOLUME)
    return (server, volume) if server and volume else None


def _cross_zone_attach(server: Followed, volume: Followed) -> str:
    """Nova's refusal when `[cinder] cross_az_attach = False` (nova/volume/cinder.py)."""
    return (
        f"Invalid volume: Instance {server.reference.resource_id} and volume "
        f"{volume.reference.resource_id} are not in the same availability_zone. Instance is in "
        f"{server.pod.az_name}. Volume is in {volume.pod.az_name}"
    )


def in_zone(named: Followed, zone: str | None) -> None:
    """BadRequest when the zone asked for (None: any) is not the named resource's."""
    if zone is not None and zone != named.pod.az_name:
        raise BadRequest(
            f"{_named(named.reference)} is in availability zone {named.pod.az_name}, not {zone}."
        )


def _named(reference: Reference, *, start: bool = True) -> str:
    """`Volume v1` (`volume v1` inside a sentence), in the words of the resource's API."""
    noun = SPECS[reference.resource_type].noun
    if not start:
        noun = noun[0].lower() + noun[1:]
    return f"{noun} {reference.resource_id}"
