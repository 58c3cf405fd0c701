"""Erasure: that a person was erased, by whom, when and why (one a person)

Revision ID: 0017_privacy
Revises: 0016_partnerships
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0017_privacy"
down_revision = "0016_partnerships"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("erased_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["erased_by_id"], ["user_account.id"], name=op.f("fk_erasure_erased_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["user_account.id"], name=op.f("fk_erasure_member_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_erasure_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure")),
        sa.UniqueConstraint("member_id", name=op.f("uq_erasure_member_id")),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erasure_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_organisation_id"))
    op.drop_table("erasure")
