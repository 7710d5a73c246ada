"""Who made the admin call being served: set by the Guard, read by the admin edge and the audit."""

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["LOCAL_ADMIN", "Principal", "current_principal"]

# How the audit log names a caller that showed the state dir's admin token.
LOCAL_ADMIN = "local admin token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated admin caller: a Keystone user id or LOCAL_ADMIN, and its peer address."""

    who: str
    peer: str


_CURRENT: ContextVar[Principal | None] = ContextVar("podgate_admin_principal", default=None)


def current_principal() -> Principal | None:
    """The caller of the admin RPC running in this task; None outside a guarded call."""
    return _CURRENT.get()


def bind_principal(principal: Principal) -> object:
    """Make `principal` the current caller (for the guarded handler's task)."""
    return _CURRENT.set(principal)
