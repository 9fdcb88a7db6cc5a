"""interaction presence: check-in and check-out times and GPS fixes of a visit

Revision ID: 0005_interaction_presence
Revises: 0004_plans
Create Date: 2026-11-22 19:55:00

"""

import sqlalchemy as sa
from alembic import op

import server.dbtypes

# revision identifiers, used by Alembic.
revision = "0005_interaction_presence"
down_revision = "0004_plans"
branch_labels = None
depends_on = None


def upgrade():
    """Add interactions.checked_in_at / checkin_* and checked_out_at / checkout_* (all NULL)."""
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        for moment in ("in", "out"):
            batch_op.add_column(
                sa.Column(
                    f"checked_{moment}_at", server.dbtypes.UTCDateTime(timezone=True), nullable=True
                )
            )
            batch_op.add_column(sa.Column(f"check{moment}_lat", sa.Double(), nullable=True))
            batch_op.add_column(sa.Column(f"check{moment}_lon", sa.Double(), nullable=True))
            batch_op.add_column(sa.Column(f"check{moment}_accuracy_m", sa.Integer(), nullable=True))


def downgrade():
    """Drop them."""
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        for moment in ("out", "in"):
            for column in ("accuracy_m", "lon", "lat"):
                batch_op.drop_column(f"check{moment}_{column}")
            batch_op.drop_column(f"checked_{moment}_at")
