"""What the pods hold that a Tempest run can leave behind, and how two pods differ (pure).

Objects an earlier run left in one pod (a flavor that reached only Pod1, a volume type, a key
pair, servers and volumes of deleted Tempest projects) change what the next run lists and
how much room the fake hosts have, so each comparison starts from the seeded state: Tempest's
leftovers are deleted, then the pods must agree and match the seed.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Tempest names what it creates `<resource_name_prefix>-<Class>-<what>-<random>` (default prefix).
TEMPEST_PREFIX = "tempest-"
# Neutron collections in the order their leftovers are deleted: each frees the next (a router
# holds its interfaces' ports, ports hold their network). Ports owned by Neutron itself (router
# interfaces and gateways, floating IPs, DHCP) go with their owner and are not listed.
NEUTRON = ("floatingips", "routers", "ports", "networks", "security-groups")


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str
    ram: int
    vcpus: int
    disk: int


@dataclass(frozen=True, slots=True)
class Owned:
    """A server or volume, and the project that owns it."""

    id: str
    name: str
    project: str


@dataclass(frozen=True, slots=True)
class PodState:
    """One pod as the admin sees it."""

    flavors: frozenset[Flavor]
    volume_types: Mapping[str, str]  # name → id
    keypairs: frozenset[tuple[str, str]]  # (user id, key pair name) of the users that exist
    servers: tuple[Owned, ...]
    volumes: tuple[Owned, ...]
    neutron: Mapping[str, tuple[Owned, ...]] = field(default_factory=dict)  # by NEUTRON name


@dataclass(frozen=True, slots=True)
class Leftovers:
    """What to delete in one pod."""

    servers: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    flavors: tuple[str, ...] = ()
    volume_types: tuple[str, ...] = ()  # ids
    keypairs: tuple[tuple[str, str], ...] = ()
    neutron: tuple[tuple[str, str], ...] = ()  # (collection, id), in deletion order


def is_tempests(name: str) -> bool:
    return name.startswith(TEMPEST_PREFIX)


def leftovers(state: PodState, projects: Iterable[str], seeded: Iterable[Flavor]) -> Leftovers:
    """Tempest-named flavors (never a seeded one), volume types and key pairs; servers,
    volumes and Neutron resources whose project no longer exists (nobody can reach them, they
    only take room).
    """
    live, kept = set(projects), set(seeded)
    return Leftovers(
        servers=tuple(sorted(s.id for s in state.servers if s.project not in live)),
        volumes=tuple(sorted(v.id for v in state.volumes if v.project not in live)),
        flavors=tuple(sorted(f.id for f in state.flavors if is_tempests(f.name) and f not in kept)),
        volume_types=tuple(
            sorted(i for name, i in state.volume_types.items() if is_tempests(name))
        ),
        keypairs=tuple(sorted(k for k in state.keypairs if is_tempests(k[1]))),
        neutron=tuple(
            (collection, item)
            for collection in NEUTRON
            for item in sorted(
                o.id for o in state.neutron.get(collection, ()) if o.project not in live
            )
        ),
    )


def differences(
    states: Mapping[str, PodState], projects: Iterable[str], seeded: Iterable[Flavor]
) -> list[str]:
    """Why the pods are not in the seeded state, one line each; empty when they are.

    Every pod holds exactly the seeded flavors, the same volume type names and key pairs as
    the others, and no leftovers.
    """
    kept, live = set(seeded), set(projects)
    lines = []
    for pod, state in states.items():
        lines += [f"{pod}: flavor {_flavor(f)} is not seeded" for f in _extra(state, kept)]
        lines += [f"{pod}: seeded flavor {_flavor(f)} is missing" for f in _missing(state, kept)]
        gone = leftovers(state, live, kept)
        lines += [f"{pod}: server {s} of a deleted project is still there" for s in gone.servers]
        lines += [f"{pod}: volume {v} of a deleted project is still there" for v in gone.volumes]
        lines += [
            f"{pod}: {collection} {item} of a deleted project is still there"
            for collection, item in gone.neutron
        ]
        lines += [
            f"{pod}: Tempest's volume type {name!r} is still there"
            for name, type_id in state.volume_types.items()
            if type_id in gone.volume_types
        ]
        lines += [f"{pod}: Tempest's key pair {k[1]} (user {k[0]})" for k in gone.keypairs]
    lines += _disagree("volume type", {p: set(s.volume_types) for p, s in states.items()})
    lines += _disagree(
        "key pair", {p: {f"{n} (user {u})" for u, n in s.keypairs} for p, s in states.items()}
    )
    return lines


def _extra(state: PodState, seeded: set[Flavor]) -> list[Flavor]:
    """The pod's flavors that are not seeded ones (same id and sizes), by id."""
    return sorted(state.flavors - seeded, key=lambda f: f.id)


def _missing(state: PodState, seeded: set[Flavor]) -> list[Flavor]:
    return sorted(seeded - state.flavors, key=lambda f: f.id)


def _disagree(what: str, names: Mapping[str, set[str]]) -> list[str]:
    """`what 'x' only in Pod1` for each name some pods have and others do not."""
    everywhere = set.intersection(*names.values()) if names else set()
    lines = []
    for name in sorted(set().union(*names.values()) - everywhere):
        holders = ", ".join(pod for pod, held in names.items() if name in held)
        lines.append(f"{what} {name!r} only in {holders}")
    return lines


def _flavor(flavor: Flavor) -> str:
    return f"{flavor.id} {flavor.name!r} ({flavor.ram} MB, {flavor.vcpus} vCPU, {flavor.disk} GB)"
