"""Postcode centroids: units, sectors and districts on the National Grid

Revision ID: 0005_postcode_centroid
Revises: 0004_exchange_withdrawn
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0005_postcode_centroid"
down_revision = "0004_exchange_withdrawn"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "postcode_centroid",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("easting", sa.Integer(), nullable=False),
        sa.Column("northing", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('unit', 'sector', 'district')", name=op.f("ck_postcode_centroid_kind_known")
        ),
        sa.CheckConstraint(
            "easting BETWEEN 0 AND 700000 AND northing BETWEEN 0 AND 1300000",
            name=op.f("ck_postcode_centroid_on_grid"),
        ),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcode_centroid")),
    )


def downgrade():
    op.drop_table("postcode_centroid")
