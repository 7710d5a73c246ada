"""Podgate's tables, declared once for queries and for checking migrations against."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC both ways, also on SQLite, which stores no offset."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Metadata shared by every table (and by Alembic's migration checks)."""


class PodRow(Base):
    """One pod; its endpoints live in pod_endpoints."""

    __tablename__ = "pods"
    __table_args__ = (
        sa.UniqueConstraint("name", name="uq_pods_name"),
        sa.CheckConstraint("state IN ('ENABLED', 'DRAINING', 'DISABLED')", name="ck_pods_state"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    az_name: Mapped[str] = mapped_column(sa.String(255))
    pod_az_name: Mapped[str] = mapped_column(sa.String(255))
    dc_name: Mapped[str] = mapped_column(sa.String(255))
    state: Mapped[str] = mapped_column(sa.String(16))
    tls_insecure: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    endpoints: Mapped[list["PodEndpointRow"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )


class PodEndpointRow(Base):
    """The URL of one service type of one pod."""

    __tablename__ = "pod_endpoints"

    pod_id: Mapped[str] = mapped_column(
        sa.String(36),
        sa.ForeignKey("pods.id", name="fk_pod_endpoints_pod_id", ondelete="CASCADE"),
        primary_key=True,
    )
    service_type: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(1024))


class BindingRow(Base):
    """A project's preferred pod in one AZ; inactive rows are kept as history."""

    __tablename__ = "pod_bindings"
    __table_args__ = (
        sa.Index(
            "ux_pod_bindings_active_project_az",
            "project_id",
            "az_name",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
        sa.Index("ix_pod_bindings_project_id", "project_id"),
        sa.Index("ix_pod_bindings_pod_id", "pod_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(255))
    az_name: Mapped[str] = mapped_column(sa.String(255))
    pod_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("pods.id", name="fk_pod_bindings_pod_id")
    )
    active: Mapped[bool] = mapped_column(sa.Boolean())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RoutingRow(Base):
    """Where one resource lives; (resource_type, resource_id) also orders keyset pages."""

    __tablename__ = "resource_routings"
    __table_args__ = (
        sa.UniqueConstraint("resource_type", "resource_id", name="uq_resource_routings_resource"),
        sa.Index("ix_resource_routings_project_id", "project_id"),
        sa.Index("ix_resource_routings_pod_id", "pod_id"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    resource_id: Mapped[str] = mapped_column(sa.String(255))
    resource_type: Mapped[str] = mapped_column(sa.String(32))
    project_id: Mapped[str] = mapped_column(sa.String(255))
    pod_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("pods.id", name="fk_resource_routings_pod_id")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """One admin change (control_plane.model.AuditEvent); rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    who: Mapped[str] = mapped_column(sa.String(255))
    peer: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(512))
    before: Mapped[str] = mapped_column(sa.Text())
    after: Mapped[str] = mapped_column(sa.Text())


class CopyRow(Base):
    """One pod's copy of an object the gateway shows once (control_plane.model.Copies)."""

    __tablename__ = "object_copies"
    __table_args__ = (sa.Index("ix_object_copies_copy", "copied_type", "copy_id"),)

    copied_type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    gateway_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    pod_id: Mapped[str] = mapped_column(
        sa.String(36),
        sa.ForeignKey("pods.id", name="fk_object_copies_pod_id", ondelete="CASCADE"),
        primary_key=True,
    )
    copy_id: Mapped[str] = mapped_column(sa.String(255))
    project_id: Mapped[str] = mapped_column(sa.String(255))


class QuotaLimitRow(Base):
    """A project's (or user's) limit over all pods, set through the gateway (decision/quotas/)."""

    __tablename__ = "quota_limits"

    service: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    # "" for the project's own limits.
    user_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.BigInteger())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
