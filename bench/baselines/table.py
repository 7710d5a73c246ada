"""The baselines' view of Podgate's store: pods and the server id → pod table, read once."""

from dataclasses import dataclass

from control_plane.model import Pod, ResourceType
from control_plane.store import Store

__all__ = ["Tables", "load_tables"]

_PAGE = 5000


@dataclass(frozen=True, slots=True)
class Tables:
    """Pods by name and each known server's pod, as loaded at start."""

    pods: dict[str, Pod]
    servers: dict[str, str]


async def load_tables(db_url: str) -> Tables:
    """Every pod and every server routing, paged through the store's public API."""
    store = await Store.open(db_url)
    try:
        pods = {pod.name: pod for pod in await store.list_pods()}
        servers: dict[str, str] = {}
        after: tuple[str, str] | None = None
        while True:
            page = await store.list_routings(
                resource_type=ResourceType.SERVER.value, limit=_PAGE, after=after
            )
            servers.update((routing.resource_id, routing.pod_name) for routing in page)
            if len(page) < _PAGE:
                return Tables(pods, servers)
            after = (page[-1].resource_type.value, page[-1].resource_id)
    finally:
        await store.close()
