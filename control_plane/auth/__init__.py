"""Who may reach the control plane's gRPC port: operators, Envoy and Podgate's own workers.

- tokens.py       the admin and Envoy tokens, made at first start in the state dir   adapter
- methods.py      which credential each gRPC method needs                             pure
- principal.py    who made the admin call running now (for the audit log)
- guard.py        Guard: the grpc.aio server interceptor that checks every call       adapter
"""

from control_plane.auth.guard import AdminCheck, Guard
from control_plane.auth.methods import Credential, required_credential
from control_plane.auth.principal import LOCAL_ADMIN, Principal, current_principal
from control_plane.auth.tokens import (
    ADMIN_TOKEN_FILE,
    ENVOY_TOKEN_FILE,
    ControlPlaneTokens,
    admin_token_for_cli,
    control_plane_tokens,
    private_state_dir,
)

__all__ = [
    "ADMIN_TOKEN_FILE",
    "ENVOY_TOKEN_FILE",
    "LOCAL_ADMIN",
    "AdminCheck",
    "ControlPlaneTokens",
    "Credential",
    "Guard",
    "Principal",
    "admin_token_for_cli",
    "control_plane_tokens",
    "current_principal",
    "private_state_dir",
    "required_credential",
]
