"""Who is calling: Keystone token validation (cached), project policy, and catalog endpoints.

- policy.py    Caller, AdminRule (who is cloud admin), authorize, require_admin   pure
- cache.py     TokenCache: accepted and rejected tokens in separate LRUs          pure
- clients.py   client_address: the requesting address, as Envoy saw it           pure
- session.py   the gateway's keystoneauth1 session, IdentityUnavailable/Busy     adapter
- admission.py Admission: Keystone calls bounded in all and per client address    asyncio
- tokens.py    TokenValidator: X-Auth-Token -> Caller, cached, fairly admitted    adapter
- catalog.py   Catalog: region -> {service type: URL}                            adapter
- gate.py      NoAuthGate / KeystoneGate: the auth mode as one object
"""

from control_plane.identity.catalog import PROJECT_TEMPLATE, Catalog
from control_plane.identity.clients import client_address
from control_plane.identity.gate import Gate, KeystoneGate, NoAuthGate
from control_plane.identity.policy import ADMIN_ROLE, AdminRule, Caller, authorize, require_admin
from control_plane.identity.session import IdentityBusy, IdentityUnavailable, service_session
from control_plane.identity.tokens import TokenCacheStats, TokenValidator

__all__ = [
    "ADMIN_ROLE",
    "PROJECT_TEMPLATE",
    "AdminRule",
    "Caller",
    "Catalog",
    "Gate",
    "IdentityBusy",
    "IdentityUnavailable",
    "KeystoneGate",
    "NoAuthGate",
    "TokenCacheStats",
    "TokenValidator",
    "authorize",
    "client_address",
    "require_admin",
    "service_session",
]
