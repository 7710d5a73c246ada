"""Put server routings into a Podgate store through its public API, as a Trio2o migration would.

    python -m bench.seed DB_URL PROJECT FILE     # FILE: "<server id> <pod name>" per line

A separate process so that it imports the same Podgate source as the gateway under test.
"""

import asyncio
import sys
from pathlib import Path

from control_plane.model import ResourceType, Routing
from control_plane.store import Store

_BATCH = 5000


async def seed(db_url: str, project: str, lines: list[str]) -> int:
    """Learn every routing in `lines`, a batch per transaction; how many were new."""
    store = await Store.open(db_url)
    learned = 0
    try:
        for start in range(0, len(lines), _BATCH):
            batch = [line.split() for line in lines[start : start + _BATCH] if line.strip()]
            learned += await store.learn_routings(
                [Routing(rid, ResourceType.SERVER, project, pod) for rid, pod in batch]
            )
    finally:
        await store.close()
    return learned


def main() -> None:
    db_url, project, path = sys.argv[1:4]
    learned = asyncio.run(seed(db_url, project, Path(path).read_text().splitlines()))
    print(f"learned {learned} routings")


if __name__ == "__main__":
    main()
