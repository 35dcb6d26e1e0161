"""At most one current reading per meter and moment (smart-meter readings).

A partial unique index on reading(meter_id, measured_at) for the readings that
have a moment and are not replaced, so that the smart-meter loader (`flask
smartmeter import`) or anything else can never store the same interval reading
twice. Day readings (no measured_at) and replaced readings are not affected.

Revision ID: b62b9b53371c
Revises: dabc817fb59e
Create Date: 2026-12-01 22:19:53.032130

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = 'b62b9b53371c'
down_revision = 'dabc817fb59e'
branch_labels = None
depends_on = None

TIMED_AND_CURRENT = 'measured_at IS NOT NULL AND replaced_by_id IS NULL'


def upgrade():
    with op.batch_alter_table('reading', schema=None) as batch_op:
        batch_op.create_index(
            'uq_reading_meter_measured_at', ['meter_id', 'measured_at'], unique=True,
            sqlite_where=sa.text(TIMED_AND_CURRENT), postgresql_where=sa.text(TIMED_AND_CURRENT),
        )


def downgrade():
    with op.batch_alter_table('reading', schema=None) as batch_op:
        batch_op.drop_index('uq_reading_meter_measured_at')
