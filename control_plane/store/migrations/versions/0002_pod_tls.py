"""Pods may be marked tls_insecure: their https certificates then go unchecked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing pods keep being verified: nobody chose to trust them blindly.
    with op.batch_alter_table("pods") as batch:
        batch.add_column(
            sa.Column("tls_insecure", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("pods") as batch:
        batch.drop_column("tls_insecure")
