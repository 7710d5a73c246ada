"""Copies of a project's objects in every pod (security groups and their rules), one id shown.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_copies",
        sa.Column("copied_type", sa.String(32), primary_key=True),
        sa.Column("gateway_id", sa.String(255), primary_key=True),
        sa.Column(
            "pod_id",
            sa.String(36),
            sa.ForeignKey("pods.id", name="fk_object_copies_pod_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("copy_id", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
    )
    op.create_index("ix_object_copies_copy", "object_copies", ["copied_type", "copy_id"])


def downgrade() -> None:
    op.drop_table("object_copies")
