"""The audit trail of admin changes: a structured log line and a store row per change."""

import logging
from datetime import datetime

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from control_plane.auth.principal import current_principal
from control_plane.errors import Unauthorized
from control_plane.model import AuditEvent
from control_plane.store import Store
from podgate_api.admin.v1 import admin_pb2

__all__ = ["AuditTrail", "event_to_proto"]

log = logging.getLogger("podgate.audit")


class AuditTrail:
    """Records who (the Guard's Principal) changed what, from where, before -> after."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(
        self, action: str, target: str, before: Message | None, after: Message | None
    ) -> None:
        """Log and store one change that has just been committed."""
        principal = current_principal()
        if principal is None:  # the edge refuses such calls before any change
            raise Unauthorized("no authenticated caller to audit")
        event = AuditEvent(
            who=principal.who,
            peer=principal.peer,
            action=action,
            target=target,
            before=_json(before),
            after=_json(after),
        )
        log.info(
            "admin change",
            extra={
                "who": event.who,
                "peer": event.peer,
                "action": event.action,
                "target": event.target,
                "before": event.before,
                "after": event.after,
            },
        )
        await self._store.add_audit_event(event)


def event_to_proto(event: AuditEvent) -> admin_pb2.AuditEvent:
    """A stored event as the admin API answers it."""
    return admin_pb2.AuditEvent(
        id=event.id,
        time=_timestamp(event.at),
        who=event.who,
        peer=event.peer,
        action=event.action,
        target=event.target,
        before=event.before,
        after=event.after,
    )


def _json(message: Message | None) -> str:
    """Compact, key-sorted JSON of a proto ("" for none), as the admin API shows it."""
    if message is None:
        return ""
    return json_format.MessageToJson(
        message, preserving_proto_field_name=True, sort_keys=True, indent=None
    )


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp
