"""How many requests the fuzz tests sent, per target (the suite's promise is at least 10 000)."""

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Tally"]


@dataclass
class Tally:
    """Requests sent per target, and notable answers among them (not requests of their own)."""

    requests: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
