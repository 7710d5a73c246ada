"""What one simulated pod is: its name, its single availability zone, its release and latency."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from podsim.keystone_auth import KeystoneAuth
from podsim.versions import CINDER, NOVA, VersionRange


@dataclass(frozen=True, slots=True)
class PodConfig:
    """Identity and behaviour of one pod; `delay` (seconds) is added to every list/show answer;
    `vcpus`, `memory_mb` and `local_gb` are its one hypervisor's size."""

    name: str
    az: str
    delay: float = 0.0
    # Seconds a record shows its transitional status (BUILD, creating, deleting...): settling.py.
    settle_s: float = 0.0
    compute_versions: VersionRange = NOVA
    volume_versions: VersionRange = CINDER
    # Obey podsim.test_hooks headers (misbehave on request): gateway tests only.
    test_hooks: bool = False
    vcpus: int = 8
    memory_mb: int = 16384
    local_gb: int = 160
    # Default quotas other than Nova's and Cinder's own (`instances`: -1 for load tests).
    quota_defaults: Mapping[str, int] = field(default_factory=dict)
    # Check tokens with this Keystone as Nova and Cinder do (keystone_auth.py); None: none.
    keystone: KeystoneAuth | None = None
