"""A council member's staff role (issue 10: the what-if report of the rebate rules).

Staff roles are stored as text with a CHECK constraint listing the kinds; the
constraint is made again with the new kind ("council").

Revision ID: 5c0e1a7d9b21
Revises: 18a3b13ec4a1
Create Date: 2026-12-03 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0e1a7d9b21'
down_revision = '18a3b13ec4a1'
branch_labels = None
depends_on = None

OLD_KINDS = ('clerk', 'inspector', 'admin')
NEW_KINDS = (*OLD_KINDS, 'council')


def _kind(values):
    return sa.Enum(*values, name='staff_role_kind', native_enum=False, create_constraint=True,
                   length=20)


def upgrade():
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_kind(OLD_KINDS), type_=_kind(NEW_KINDS),
                              existing_nullable=False)


def downgrade():
    op.execute(sa.text("DELETE FROM staff_role WHERE role = 'council'"))
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_kind(NEW_KINDS), type_=_kind(OLD_KINDS),
                              existing_nullable=False)
