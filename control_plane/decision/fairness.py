"""Per-project fairness: how many decisions each project has in flight, at most a cap each."""

__all__ = ["ProjectSlots"]


class ProjectSlots:
    """Open decision streams per project; a project at its cap gets no more until one ends.

    One event loop owns it, so plain counts need no lock. Projects with nothing in flight are
    forgotten, so the table holds only busy projects.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: dict[str, int] = {}

    def take(self, project: str) -> bool:
        """One more stream for `project`; False (nothing taken) when it is at its cap."""
        count = self._open.get(project, 0)
        if count >= self.cap:
            return False
        self._open[project] = count + 1
        return True

    def give_back(self, project: str) -> None:
        """A stream `project` took has ended."""
        count = self._open.get(project, 0) - 1
        if count > 0:
            self._open[project] = count
        else:
            self._open.pop(project, None)

    def in_flight(self, project: str) -> int:
        """Streams `project` has open now."""
        return self._open.get(project, 0)
