"""Each peer's grid point on their profile (a copy of their unit postcode's centroid), indexed
with the organisation, so a candidate query's bounding box is one index range; backfilled

Revision ID: 0018_peer_grid
Revises: 0017_privacy
Create Date: 2026-12-01 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0018_peer_grid"
down_revision = "0017_privacy"
branch_labels = None
depends_on = None

MATCHABLE = "approved_at IS NOT NULL AND NOT paused"


def upgrade():
    with op.batch_alter_table("peer_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grid_easting", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("grid_northing", sa.Integer(), nullable=True))
    # The same values the matching layer keeps in step (app.matching.models.refresh_peer_grid).
    for column in ("easting", "northing"):
        op.execute(
            f"UPDATE peer_profile SET grid_{column} = ("  # noqa: S608 - constant names
            f"SELECT postcode_centroid.{column} FROM user_account, postcode_centroid "
            "WHERE user_account.id = peer_profile.member_id "
            "AND postcode_centroid.postcode = user_account.postcode)"
        )
    op.create_index(
        "ix_peer_profile_grid",
        "peer_profile",
        ["organisation_id", "grid_easting", "grid_northing"],
        unique=False,
        sqlite_where=sa.text(MATCHABLE),
        postgresql_where=sa.text(MATCHABLE),
    )


def downgrade():
    op.drop_index(
        "ix_peer_profile_grid",
        table_name="peer_profile",
        sqlite_where=sa.text(MATCHABLE),
        postgresql_where=sa.text(MATCHABLE),
    )
    with op.batch_alter_table("peer_profile", schema=None) as batch_op:
        batch_op.drop_column("grid_northing")
        batch_op.drop_column("grid_easting")
