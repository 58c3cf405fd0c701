"""Scheduled jobs and the inbox: reminders sent once, notifications, email preferences,
disputes of pending exchanges and each organisation's automatic confirmation

Revision ID: 0008_jobs_and_inbox
Revises: 0007_matches
Create Date: 2026-12-01 09:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0008_jobs_and_inbox"

down_revision = "0007_matches"
branch_labels = None
depends_on = None

AUTO_CONFIRM_DAYS = 14


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["user_account.id"],
            name=op.f("fk_notification_recipient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_recipient_read", ["recipient_id", "read_at"], unique=False
        )

    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preference")),
    )

    # The unique key is what makes every job idempotent.
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("due_marker", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["user_account.id"],
            name=op.f("fk_reminder_sent_recipient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "kind", "object_id", "recipient_id", "due_marker",
            name=op.f("uq_reminder_sent_kind_object_id_recipient_id_due_marker"),
        ),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_sent_recipient_id"), ["recipient_id"], unique=False
        )

    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("disputed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_exchange_disputed_by_id_user_account"),
            "user_account", ["disputed_by_id"], ["id"],
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_confirm_days", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_organisation_auto_confirm_days_range"),
            "auto_confirm_days BETWEEN 2 AND 365",
        )
    # Existing organisations get the default a new one gets (Komunitin's rule: 14 days).
    op.execute(f"UPDATE organisation SET auto_confirm_days = {AUTO_CONFIRM_DAYS}")


def downgrade():
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_organisation_auto_confirm_days_range"), type_="check"
        )
        batch_op.drop_column("auto_confirm_days")

    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exchange_disputed_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("disputed_by_id")
        batch_op.drop_column("disputed_at")

    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_sent_recipient_id"))
    op.drop_table("reminder_sent")
    op.drop_table("notification_preference")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_recipient_read")
    op.drop_table("notification")
