"""Initial tables: pods, their endpoints, project bindings and resource routings.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "pods",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("az_name", sa.String(255), nullable=False),
        sa.Column("pod_az_name", sa.String(255), nullable=False),
        sa.Column("dc_name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("name", name="uq_pods_name"),
        sa.CheckConstraint("state IN ('ENABLED', 'DRAINING', 'DISABLED')", name="ck_pods_state"),
    )
    op.create_table(
        "pod_endpoints",
        sa.Column(
            "pod_id",
            sa.String(36),
            sa.ForeignKey("pods.id", name="fk_pod_endpoints_pod_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("service_type", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(1024), nullable=False),
    )
    op.create_table(
        "pod_bindings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("az_name", sa.String(255), nullable=False),
        sa.Column(
            "pod_id",
            sa.String(36),
            sa.ForeignKey("pods.id", name="fk_pod_bindings_pod_id"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
    )
    op.create_index(
        "ux_pod_bindings_active_project_az",
        "pod_bindings",
        ["project_id", "az_name"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_index("ix_pod_bindings_project_id", "pod_bindings", ["project_id"])
    op.create_index("ix_pod_bindings_pod_id", "pod_bindings", ["pod_id"])
    op.create_table(
        "resource_routings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column(
            "pod_id",
            sa.String(36),
            sa.ForeignKey("pods.id", name="fk_resource_routings_pod_id"),
            nullable=False,
        ),
        *_timestamps(),
        sa.UniqueConstraint("resource_type", "resource_id", name="uq_resource_routings_resource"),
    )
    op.create_index("ix_resource_routings_project_id", "resource_routings", ["project_id"])
    op.create_index("ix_resource_routings_pod_id", "resource_routings", ["pod_id"])


def downgrade() -> None:
    op.drop_table("resource_routings")
    op.drop_table("pod_bindings")
    op.drop_table("pod_endpoints")
    op.drop_table("pods")
