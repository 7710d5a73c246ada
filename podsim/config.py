"""What one simulated pod is: its name, its single availability zone, its added latency."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PodConfig:
    """Identity and behaviour of one pod; `delay` (seconds) is added to every list/show answer."""

    name: str
    az: str
    delay: float = 0.0
