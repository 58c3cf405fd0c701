"""The person peer-support time was given to, on the exchange itself

Revision ID: 0009_exchange_beneficiary
Revises: 0008_jobs_and_inbox
Create Date: 2026-12-01 10:15:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0009_exchange_beneficiary"
down_revision = "0008_jobs_and_inbox"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("beneficiary_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_exchange_beneficiary_id_user_account"),
            "user_account",
            ["beneficiary_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_exchange_beneficiary_id"), ["beneficiary_id"])
    # Peer support already logged on a match was given to the match's referred person.
    op.execute(
        "UPDATE exchange SET beneficiary_id = ("
        " SELECT referral.member_id FROM peer_match"
        " JOIN referral ON referral.id = peer_match.referral_id"
        " WHERE peer_match.id = exchange.match_id"
        ") WHERE match_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_beneficiary_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_exchange_beneficiary_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("beneficiary_id")
