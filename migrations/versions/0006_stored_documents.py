"""stored documents: a doc column on every synced table (its JSON, kept by triggers)

Revision ID: 0006_stored_documents
Revises: 0005_interaction_presence
Create Date: 2026-11-23 03:30:00

The triggers that fill ``doc`` are generated from the code (server/sync/docs.py) and
installed by migrations/env.py once the head is reached, which also fills existing rows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_stored_documents"
down_revision = "0005_interaction_presence"
branch_labels = None
depends_on = None

TABLES = (
    "custom_field_definitions",
    "accounts",
    "contacts",
    "consents",
    "interactions",
    "notes",
    "followups",
    "opportunities",
    "orders",
    "status_changes",
)


def upgrade():
    """Add ``doc`` (text, NULL until env.py installs the triggers and fills it)."""
    for table in TABLES:
        op.add_column(table, sa.Column("doc", sa.Text(), nullable=True))


def downgrade():
    """Drop the triggers, then the columns."""
    from server.sync import docs

    docs.uninstall(op.get_bind())
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("doc")
