"""geocoding: the geocode cache, and the address hash each account's position was settled for

Revision ID: 0003_geocoding
Revises: 0003_sync
Create Date: 2026-11-22 17:22:02.186020

"""

import sqlalchemy as sa
from alembic import op

import server.dbtypes

# revision identifiers, used by Alembic.
revision = "0003_geocoding"
down_revision = "0003_sync"
branch_labels = None
depends_on = None


def upgrade():
    """Create geocode_cache; add accounts.geocoded_address_hash (NULL: flask geocode settles it)."""
    op.create_table(
        "geocode_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=120), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("insee", sa.String(length=5), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("asked_at", server.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_geocode_cache")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("geocoded_address_hash", sa.String(length=64), nullable=True))


def downgrade():
    """Drop them."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("geocoded_address_hash")
    op.drop_table("geocode_cache")
