"""Acting for a member (the arrangement, and who acted for whom in the audit); a member's language

Revision ID: 0015_inclusion
Revises: 0014_trust
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0015_inclusion"
down_revision = "0014_trust"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "acting_arrangement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "member_id <> coordinator_id", name=op.f("ck_acting_arrangement_not_for_oneself")
        ),
        sa.CheckConstraint(
            "until >= asked_on", name=op.f("ck_acting_arrangement_until_after_asked")
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["user_account.id"],
            name=op.f("fk_acting_arrangement_coordinator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_acting_arrangement_ended_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["user_account.id"],
            name=op.f("fk_acting_arrangement_member_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_acting_arrangement_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_acting_arrangement_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acting_arrangement")),
    )
    with op.batch_alter_table("acting_arrangement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_acting_arrangement_coordinator_id"), ["coordinator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_acting_arrangement_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_acting_arrangement_organisation_id"), ["organisation_id"], unique=False
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acting_for_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_acting_for_id_user_account"),
            "user_account",
            ["acting_for_id"],
            ["id"],
        )
    keep_sqlite_audit_append_only()
    # The language a member chose (added without a constraint: no table rebuild on SQLite).
    op.add_column("user_account", sa.Column("locale", sa.String(length=10), nullable=True))


def keep_sqlite_audit_append_only():
    """SQLite's batch mode rebuilds the table, which loses its triggers: put them back (on
    PostgreSQL the column is simply added and the trigger stays)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for action in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS audit_event_no_{action} BEFORE {action.upper()} "
            "ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event rows are never updated or deleted'); END"
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_event_acting_for_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("acting_for_id")
    keep_sqlite_audit_append_only()
    with op.batch_alter_table("acting_arrangement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acting_arrangement_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_acting_arrangement_member_id"))
        batch_op.drop_index(batch_op.f("ix_acting_arrangement_coordinator_id"))
    op.drop_table("acting_arrangement")
