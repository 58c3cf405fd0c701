"""Matches of referrals to peers, their check-ins, declined pairs, and peer-support exchanges

Revision ID: 0007_matches
Revises: 0006_peer_links
Create Date: 2026-12-02 09:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0007_matches"
down_revision = "0006_peer_links"
branch_labels = None
depends_on = None

LIVE = "status IN ('proposed', 'accepted', 'introduced')"


def _user_fk(table, column):
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account")
    )


def upgrade():
    op.create_table(
        "peer_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("peer_profile_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("introduced_by_id", sa.Integer(), nullable=True),
        sa.Column("introduced_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("declined_by_id", sa.Integer(), nullable=True),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("peer_feedback", sa.Text(), nullable=True),
        sa.Column("person_feedback", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'introduced', 'closed', 'declined')",
            name=op.f("ck_peer_match_status_known"),
        ),
        sa.CheckConstraint(
            "status != 'declined' OR (declined_at IS NOT NULL AND decline_reason IS NOT NULL)",
            name=op.f("ck_peer_match_declined_has_reason"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('introduced', 'closed') OR introduced_at IS NOT NULL",
            name=op.f("ck_peer_match_introduced_has_time"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_peer_match_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["peer_profile_id"],
            ["peer_profile.id"],
            name=op.f("fk_peer_match_peer_profile_id_peer_profile"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_peer_match_organisation_id_organisation"),
        ),
        _user_fk("peer_match", "proposed_by_id"),
        _user_fk("peer_match", "accepted_by_id"),
        _user_fk("peer_match", "introduced_by_id"),
        _user_fk("peer_match", "closed_by_id"),
        _user_fk("peer_match", "declined_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_match")),
    )
    with op.batch_alter_table("peer_match", schema=None) as batch_op:
        batch_op.create_index(
            "uq_peer_match_live_referral",
            ["referral_id"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )
        batch_op.create_index("ix_peer_match_peer_status", ["peer_profile_id", "status"])
        batch_op.create_index("ix_peer_match_organisation_status", ["organisation_id", "status"])
        batch_op.create_index("ix_peer_match_referral", ["referral_id"])

    op.create_table(
        "match_check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('2_weeks', '3_months', 'ad_hoc')", name=op.f("ck_match_check_in_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["peer_match.id"], name=op.f("fk_match_check_in_match_id_peer_match")
        ),
        _user_fk("match_check_in", "by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_check_in")),
    )
    with op.batch_alter_table("match_check_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_check_in_match_id"), ["match_id"])

    op.create_table(
        "declined_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("peer_profile_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("declined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_declined_pair_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["peer_profile_id"],
            ["peer_profile.id"],
            name=op.f("fk_declined_pair_peer_profile_id_peer_profile"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["peer_match.id"], name=op.f("fk_declined_pair_match_id_peer_match")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declined_pair")),
        sa.UniqueConstraint(
            "referral_id", "peer_profile_id", name=op.f("uq_declined_pair_referral_id_peer_profile_id")
        ),
    )
    with op.batch_alter_table("declined_pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declined_pair_peer_profile_id"), ["peer_profile_id"])

    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_exchange_match_id_peer_match"), "peer_match", ["match_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_exchange_match_id"), ["match_id"], unique=False)


def downgrade():
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_match_id"))
        batch_op.drop_constraint(batch_op.f("fk_exchange_match_id_peer_match"), type_="foreignkey")
        batch_op.drop_column("match_id")
    op.drop_table("declined_pair")
    op.drop_table("match_check_in")
    op.drop_table("peer_match")
