"""One pod's answer as a value: what fan-outs collect and the pure merges read."""

from dataclasses import dataclass

__all__ = ["Reply"]


@dataclass(frozen=True, slots=True)
class Reply:
    """One pod's answer; `status` 0 when it gave none (unreachable, late, no endpoint)."""

    pod: str
    status: int
    body: bytes = b""
    # The pod's availability zone, which answers to users name instead of the pod.
    zone: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300
