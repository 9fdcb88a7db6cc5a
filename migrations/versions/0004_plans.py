"""plans: tour plans with their days and stops, and the reps' planning profiles

Revision ID: 0004_plans
Revises: 0003_geocoding
Create Date: 2026-11-22 18:19:56.068938

"""
from alembic import op
import sqlalchemy as sa
import server.dbtypes
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004_plans'
down_revision = '0003_geocoding'
branch_labels = None
depends_on = None


def upgrade():
    """Create rep_profiles, plans, plan_days and plan_stops."""
    op.create_table('plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('rep_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('preview', 'accepted', 'superseded', name='planstatus', native_enum=False, length=16), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('created_at', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', server.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('dropped', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['plans.id'], name=op.f('fk_plans_parent_id_plans')),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_plans_rep_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index('ix_plans_rep_dates', ['rep_id', 'date_from'], unique=False)

    op.create_table('rep_profiles',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('start_lat', sa.Double(), nullable=False),
    sa.Column('start_lon', sa.Double(), nullable=False),
    sa.Column('end_lat', sa.Double(), nullable=True),
    sa.Column('end_lon', sa.Double(), nullable=True),
    sa.Column('workdays', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('day_start', sa.Integer(), nullable=False),
    sa.Column('day_end', sa.Integer(), nullable=False),
    sa.Column('lunch_start', sa.Integer(), nullable=True),
    sa.Column('lunch_end', sa.Integer(), nullable=True),
    sa.Column('lunch_minutes', sa.Integer(), nullable=True),
    sa.Column('max_driving_minutes', sa.Integer(), nullable=True),
    sa.Column('max_visits', sa.Integer(), nullable=True),
    sa.Column('visit_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rep_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_rep_profiles'))
    )
    op.create_table('plan_days',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_lat', sa.Double(), nullable=False),
    sa.Column('start_lon', sa.Double(), nullable=False),
    sa.Column('end_lat', sa.Double(), nullable=False),
    sa.Column('end_lon', sa.Double(), nullable=False),
    sa.Column('departure', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('arrival', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lunch_start', server.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lunch_end', server.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('driving_seconds', sa.Integer(), nullable=False),
    sa.Column('driving_metres', sa.Integer(), nullable=False),
    sa.Column('waiting_seconds', sa.Integer(), nullable=False),
    sa.Column('visit_seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_days_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_days')),
    sa.UniqueConstraint('plan_id', 'day', name=op.f('uq_plan_days_plan_id'))
    )
    op.create_table('plan_stops',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_day_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('arrival', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('start', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('departure', server.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_seconds', sa.Integer(), nullable=False),
    sa.Column('travel_seconds', sa.Integer(), nullable=False),
    sa.Column('travel_metres', sa.Integer(), nullable=False),
    sa.Column('lunch_before', sa.Boolean(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_plan_stops_account_id_accounts')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_plan_stops_interaction_id_interactions')),
    sa.ForeignKeyConstraint(['plan_day_id'], ['plan_days.id'], name=op.f('fk_plan_stops_plan_day_id_plan_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_stops'))
    )
    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_stops_plan_day_id'), ['plan_day_id'], unique=False)



def downgrade():
    """Drop them."""
    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_stops_plan_day_id'))

    op.drop_table('plan_stops')
    op.drop_table('plan_days')
    op.drop_table('rep_profiles')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index('ix_plans_rep_dates')

    op.drop_table('plans')
