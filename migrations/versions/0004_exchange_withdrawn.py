"""A pending exchange can be withdrawn by the person who recorded it

Revision ID: 0004_exchange_withdrawn
Revises: 0003_peers
Create Date: 2026-11-30 07:10:00

"""
from alembic import op

revision = "0004_exchange_withdrawn"
down_revision = "0003_peers"
branch_labels = None
depends_on = None

OLD = "status IN ('pending', 'confirmed', 'rejected', 'reversed')"
NEW = "status IN ('pending', 'confirmed', 'rejected', 'reversed', 'withdrawn')"


def _replace_status_check(condition):
    # Batch mode: SQLite cannot alter a CHECK constraint in place, so Alembic rebuilds the table.
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_exchange_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_exchange_status_known"), condition)


def upgrade():
    _replace_status_check(NEW)


def downgrade():
    op.execute("UPDATE exchange SET status = 'rejected' WHERE status = 'withdrawn'")
    _replace_status_check(OLD)
