"""The language a notification was written in, so a page in another language can mark it
(WCAG 3.1.2, language of parts) and a screen reader reads it in its own voice

Revision ID: 0020_notification_language
Revises: 0019_translatable_names
Create Date: 2026-12-01 16:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0020_notification_language"
down_revision = "0019_translatable_names"
branch_labels = None
depends_on = None


def upgrade():
    # Rows from before were written in English, the source language: None says so.
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("locale")
