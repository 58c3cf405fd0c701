"""Peer support types, modes and languages in indexed link tables (copied from the JSON columns)

Revision ID: 0006_peer_links
Revises: 0005_postcode_centroid
Create Date: 2026-12-02 09:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

revision = "0006_peer_links"
down_revision = "0005_postcode_centroid"
branch_labels = None
depends_on = None

SUPPORT_TYPES = ("talk", "support_planning", "accompany", "practical")
MODES = ("in_person", "phone", "video")
# (table, value column, JSON column on peer_profile, how a value is stored)
LINKS = [
    ("peer_support_type", "code", "support_types", lambda v: v if v in SUPPORT_TYPES else None),
    ("peer_mode", "code", "modes", lambda v: v if v in MODES else None),
    ("peer_language", "language", "languages", lambda v: v.strip().lower()[:40] or None),
]


def _link_table(name, column, length, check=None):
    args = [
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column(column, sa.String(length=length), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peer_profile.id"], name=op.f(f"fk_{name}_peer_id_peer_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("peer_id", column, name=op.f(f"pk_{name}")),
    ]
    if check:
        args.append(sa.CheckConstraint(check, name=op.f(f"ck_{name}_code_known")))
    op.create_table(name, *args)
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f"ix_{name}_{column}_peer", [column, "peer_id"], unique=False)


def _values(raw):
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []


def upgrade():
    _link_table("peer_support_type", "code", 20, f"code IN {SUPPORT_TYPES!r}")
    _link_table("peer_mode", "code", 20, f"code IN {MODES!r}")
    _link_table("peer_language", "language", 40)

    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, support_types, modes, languages FROM peer_profile")
    ).mappings().all()
    for table, column, source, clean in LINKS:
        inserts = []
        for row in rows:
            seen = []
            for value in _values(row[source]):
                value = clean(value)
                if value and value not in seen:
                    seen.append(value)
            inserts += [
                {"peer_id": row["id"], "value": value, "position": i} for i, value in enumerate(seen)
            ]
        if inserts:
            connection.execute(
                sa.text(
                    f"INSERT INTO {table} (peer_id, {column}, position) "  # noqa: S608 - constants
                    "VALUES (:peer_id, :value, :position)"
                ),
                inserts,
            )

    with op.batch_alter_table("peer_profile", schema=None) as batch_op:
        batch_op.drop_column("support_types")
        batch_op.drop_column("modes")
        batch_op.drop_column("languages")
        batch_op.create_index(
            "ix_peer_profile_matchable",
            ["organisation_id"],
            unique=False,
            sqlite_where=sa.text("approved_at IS NOT NULL AND NOT paused"),
            postgresql_where=sa.text("approved_at IS NOT NULL AND NOT paused"),
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_postcode"), ["postcode"], unique=False)
    with op.batch_alter_table("postcode_centroid", schema=None) as batch_op:
        batch_op.create_index("ix_postcode_centroid_grid", ["easting", "northing"], unique=False)


def downgrade():
    with op.batch_alter_table("postcode_centroid", schema=None) as batch_op:
        batch_op.drop_index("ix_postcode_centroid_grid")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_postcode"))
    with op.batch_alter_table("peer_profile", schema=None) as batch_op:
        batch_op.drop_index("ix_peer_profile_matchable")
        for name in ("support_types", "modes", "languages"):
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    for table, column, source, _clean in LINKS:
        found = {}
        for peer_id, value in connection.execute(
            sa.text(f"SELECT peer_id, {column} FROM {table} ORDER BY peer_id, position")  # noqa: S608
        ):
            found.setdefault(peer_id, []).append(value.title() if table == "peer_language" else value)
        for peer_id, values in found.items():
            connection.execute(
                sa.text(f"UPDATE peer_profile SET {source} = :values WHERE id = :id"),  # noqa: S608
                {"values": json.dumps(values), "id": peer_id},
            )
    with op.batch_alter_table("peer_profile", schema=None) as batch_op:
        for name in ("support_types", "modes", "languages"):
            batch_op.alter_column(name, server_default=None)
    op.drop_table("peer_language")
    op.drop_table("peer_mode")
    op.drop_table("peer_support_type")
