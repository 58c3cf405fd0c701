"""An index for the capped candidate list: a condition group's members by code, index-only

Revision ID: 0011_matching_indexes
Revises: 0010_report_snapshots
Create Date: 2026-12-01 11:00:00

"""
from alembic import op

revision = "0011_matching_indexes"
down_revision = "0010_report_snapshots"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_member_condition_code_member",
        "member_condition",
        ["condition_code", "member_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_member_condition_code_member", table_name="member_condition")
