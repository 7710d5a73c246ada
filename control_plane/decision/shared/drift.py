"""How the pods' shared objects differ, and what would make them agree (pure: no I/O).

Given each pod's whole list of one kind and the copies the store recorded, `plan` says which
copies to make (an object the gateway made, missing from a pod: a pod registered later, or one
that was down), which copies to record (a pod holding the object under its own id, found by
name; a Cinder object every pod holds, as if the gateway had made it), and what each pod lacks
that another pod has: its drift. Other objects the gateway never made (a pod's own flavors,
objects made in some pods directly) are reported, never copied: the gateway cannot tell a pod's
own choice from an omission. A deleted object is never made again: a delete
through the gateway forgets its copies.
"""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.decision.shared.kinds import SharedKind
from control_plane.model import Copies

__all__ = ["Adoption", "Listing", "Pairing", "Plan", "Repair", "create_body", "plan"]


@dataclass(frozen=True, slots=True)
class Listing:
    """One pod's whole list of one kind (admin view: private objects too)."""

    pod: str
    items: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Repair:
    """A copy to make in `target`, as `source` holds the object (`item`, its list entry)."""

    gateway_id: str
    source: str
    target: str
    item: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.item.get("name"))


@dataclass(frozen=True, slots=True)
class Pairing:
    """A pod's copy of a recorded object, found by name: its id to record."""

    gateway_id: str
    pod: str
    copy_id: str


@dataclass(frozen=True, slots=True)
class Adoption:
    """A Cinder object every pod holds under its own id, not recorded yet (each Cinder's
    `__DEFAULT__` type, an operator's types): its ids to record, the first pod's shown."""

    gateway_id: str
    ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do for one kind, and what differs (pod -> names of the objects it lacks)."""

    repairs: tuple[Repair, ...]
    pairings: tuple[Pairing, ...]
    missing: Mapping[str, tuple[str, ...]]
    adoptions: tuple[Adoption, ...] = ()


def plan(kind: SharedKind, listings: Sequence[Listing], recorded: Sequence[Copies]) -> Plan:
    """The repairs, pairings and drift of `kind` across the pods that listed it."""
    identity = _identity(kind)
    by_pod = {listing.pod: {identity(i): i for i in listing.items} for listing in listings}
    ids = {listing.pod: {str(i.get("id")): i for i in listing.items} for listing in listings}
    repairs: list[Repair] = []
    pairings: list[Pairing] = []
    for copies in recorded:
        held = {
            pod: ids[pod][copy_id]
            for pod, copy_id in copies.ids.items()
            if pod in ids and copy_id in ids[pod]
        }
        if not held:
            continue  # gone from every pod that answered: nothing to copy from
        source = next(listing.pod for listing in listings if listing.pod in held)
        item = held[source]
        for listing in listings:
            pod = listing.pod
            if pod in held:
                continue
            same = by_pod[pod].get(identity(item))
            if same is not None and pod not in copies.ids:
                pairings.append(Pairing(copies.gateway_id, pod, str(same.get("id"))))
            elif same is None and (kind.takes_id or pod not in copies.ids):
                # NOTE: a Cinder copy recorded, then deleted in its pod directly, is reported,
                # not made again: its recorded id would have to change under the clients.
                repairs.append(Repair(copies.gateway_id, source, pod, item))
    adoptions = _adoptions(kind, listings, by_pod, recorded)
    every = {key: item for items in by_pod.values() for key, item in items.items()}
    missing = {
        pod: tuple(sorted(str(every[key].get("name")) for key in every if key not in items))
        for pod, items in by_pod.items()
    }
    drift = {pod: names for pod, names in missing.items() if names}
    return Plan(tuple(repairs), tuple(pairings), drift, adoptions)


def _adoptions(
    kind: SharedKind,
    listings: Sequence[Listing],
    by_pod: Mapping[str, Mapping[Hashable, Mapping[str, Any]]],
    recorded: Sequence[Copies],
) -> tuple[Adoption, ...]:
    """Cinder objects every pod lists by one name, none of their ids recorded, in list order.

    Recorded, each pod's id reaches it (a volume create naming the type by the gateway's id);
    a pod registered later then gets a copy like any object the gateway made.
    """
    if kind.takes_id or len(listings) < 2:
        return ()
    known = {copy_id for copies in recorded for copy_id in copies.ids.values()}
    found = []
    for key, item in by_pod[listings[0].pod].items():
        ids = {
            listing.pod: str(by_pod[listing.pod][key].get("id"))
            for listing in listings
            if key in by_pod[listing.pod]
        }
        if len(ids) == len(listings) and not known & set(ids.values()):
            found.append(Adoption(str(item.get("id")), ids))
    return tuple(found)


def create_body(kind: SharedKind, item: Mapping[str, Any]) -> dict[str, Any]:
    """The create request that makes a copy of `item` (a list entry of `kind`) in another pod.

    A flavor keeps its id; Cinder's objects get new ids in the pod, recorded as copies.
    """
    match kind.member:
        case "flavor":
            swap = item.get("swap")
            flavor = {key: item[key] for key in _FLAVOR_FIELDS if key in item}
            flavor["swap"] = swap if isinstance(swap, int) else 0
            return {"flavor": flavor}
        case "volume_type":
            volume_type = {key: item[key] for key in _TYPE_FIELDS if key in item}
            return {"volume_type": volume_type}
        case "group_type":
            group_type = {key: item[key] for key in _GROUP_TYPE_FIELDS if key in item}
            return {"group_type": group_type}
        case "qos_specs":
            specs = item.get("specs")
            qos = {**(specs if isinstance(specs, dict) else {}), "name": item.get("name")}
            if isinstance(item.get("consumer"), str):
                qos["consumer"] = item["consumer"]
            return {"qos_specs": qos}
    raise ValueError(f"{kind.collection} objects are not copied")


# What Nova's flavor create takes at 2.1 (a description needs 2.55: not copied).
_FLAVOR_FIELDS = (
    "id",
    "name",
    "ram",
    "vcpus",
    "disk",
    "OS-FLV-EXT-DATA:ephemeral",
    "rxtx_factor",
    "os-flavor-access:is_public",
)
_TYPE_FIELDS = ("name", "description", "os-volume-type-access:is_public", "extra_specs")
_GROUP_TYPE_FIELDS = ("name", "description", "is_public", "group_specs")


def _identity(kind: SharedKind) -> Callable[[Mapping[str, Any]], Hashable]:
    """What makes two pods' list entries one object: a flavor's id, else the name."""
    field = "id" if kind.takes_id else "name"

    def identity(item: Mapping[str, Any]) -> Hashable:
        value = item.get(field)
        return str(value) if value is not None else None

    return identity
