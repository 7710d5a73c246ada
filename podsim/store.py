"""In-memory records of one resource kind, by project and id."""

from typing import Any

Record = dict[str, Any]


class Store:
    """Records keyed by project then id; a record is invisible from any other project."""

    def __init__(self) -> None:
        self._by_project: dict[str, dict[str, Record]] = {}

    def add(self, project_id: str, resource_id: str, record: Record) -> None:
        """Keep `record` as `resource_id` of `project_id`."""
        self._by_project.setdefault(project_id, {})[resource_id] = record

    def get(self, project_id: str, resource_id: str) -> Record | None:
        """The record, or None when the project has no such id."""
        return self._by_project.get(project_id, {}).get(resource_id)

    def remove(self, project_id: str, resource_id: str) -> bool:
        """Forget the record; False when the project had no such id."""
        return self._by_project.get(project_id, {}).pop(resource_id, None) is not None

    def find(self, resource_id: str) -> Record | None:
        """The record with this id in any project (what an admin-only API may see)."""
        for records in self._by_project.values():
            if resource_id in records:
                return records[resource_id]
        return None

    def records(self, project_id: str) -> list[Record]:
        """Every record of the project, in no particular order."""
        return list(self._by_project.get(project_id, {}).values())

    def every_record(self) -> list[Record]:
        """Every record of every project (an admin's `all_tenants` list)."""
        return [record for records in self._by_project.values() for record in records.values()]
