"""contact search text: accent-insensitive contact search, filled for existing rows

Revision ID: e47ebfce6617
Revises: d3dbe44c6f42
Create Date: 2026-11-22 17:00:46.486061

"""

import sqlalchemy as sa
from alembic import op

from server.dbfuncs import fold

# revision identifiers, used by Alembic.
revision = "e47ebfce6617"
down_revision = "d3dbe44c6f42"
branch_labels = None
depends_on = None

FIELDS = ("first_name", "last_name", "job_title", "email")


def upgrade():
    """Add contacts.search_text and fill it the way server.search does."""
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_text", sa.String(length=700), nullable=False, server_default="")
        )
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Uuid()),
        sa.column("search_text", sa.String()),
        *(sa.column(name, sa.String()) for name in FIELDS),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(contacts.c.id, *(contacts.c[name] for name in FIELDS))).all()
    for row in rows:
        text = fold(" ".join(v for v in row[1:] if v))[:700]
        conn.execute(
            contacts.update().where(contacts.c.id == row.id).values(search_text=text)
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)


def downgrade():
    """Drop contacts.search_text."""
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("search_text")
