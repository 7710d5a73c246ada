"""Who is calling: Keystone token validation (cached), project policy, and catalog endpoints.

- policy.py   Caller, authorize, require_admin                         pure
- session.py  the gateway's keystoneauth1 session, IdentityUnavailable  adapter
- tokens.py   TokenValidator: X-Auth-Token -> Caller, cached           adapter
- catalog.py  Catalog: region -> {service type: URL}                   adapter
- gate.py     NoAuthGate / KeystoneGate: the auth mode as one object
"""

from control_plane.identity.catalog import PROJECT_TEMPLATE, Catalog
from control_plane.identity.gate import Gate, KeystoneGate, NoAuthGate
from control_plane.identity.policy import ADMIN_ROLE, Caller, authorize, require_admin
from control_plane.identity.session import IdentityUnavailable, service_session
from control_plane.identity.tokens import TokenCacheStats, TokenValidator

__all__ = [
    "ADMIN_ROLE",
    "PROJECT_TEMPLATE",
    "Caller",
    "Catalog",
    "Gate",
    "IdentityUnavailable",
    "KeystoneGate",
    "NoAuthGate",
    "TokenCacheStats",
    "TokenValidator",
    "authorize",
    "require_admin",
    "service_session",
]
