"""Trust (issue 15): sessions that end, idempotency records that expire and forget a person,
password-reset throttling, and an outbox that retries a failing message later

Revision ID: 0014_trust
Revises: 0013_reviews
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_trust"
down_revision = "0013_reviews"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("sign_in_attempt") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="sign_in")
        )
        batch.create_check_constraint("kind_known", "kind IN ('sign_in', 'password_reset')")
    with op.batch_alter_table("outbox_email") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("idempotency_record") as batch:
        batch.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_idempotency_record_member_id_user_account", "user_account", ["member_id"], ["id"]
        )
        batch.create_index("ix_idempotency_record_member_id", ["member_id"], unique=False)
        batch.create_index("ix_idempotency_record_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("idempotency_record") as batch:
        batch.drop_index("ix_idempotency_record_created_at")
        batch.drop_index("ix_idempotency_record_member_id")
        batch.drop_constraint("fk_idempotency_record_member_id_user_account", type_="foreignkey")
        batch.drop_column("purged_at")
        batch.drop_column("member_id")
    with op.batch_alter_table("outbox_email") as batch:
        batch.drop_column("next_attempt_at")
    with op.batch_alter_table("sign_in_attempt") as batch:
        batch.drop_constraint("kind_known", type_="check")
        batch.drop_column("kind")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_version")
