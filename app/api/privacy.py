"""Privacy rights: a person's export, and their erasure (API.md, Notifications, audit, privacy)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..clock import utcnow
from ..extensions import db
from ..privacy import services
from .common import UtcDateTime, api_user, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_privacy", __name__, description="Privacy rights")


class ExportSchema(Schema):
    """Every section of ``PersonExport``: one record (account, hours, directory, peer profile)
    or a list of records, keyed by the section's name."""

    member_id = fields.Integer(required=True)
    generated_at = fields.String(required=True)
    account = fields.Dict(required=True)
    hours = fields.Dict(required=True)
    statement = fields.List(fields.Dict(), required=True)
    exchanges = fields.List(fields.Dict(), required=True)
    listings = fields.List(fields.Dict(), required=True)
    directory = fields.Dict(required=True)
    conditions = fields.List(fields.Dict(), required=True)
    consents = fields.List(fields.Dict(), required=True)
    peer_profile = fields.Dict(allow_none=True)
    plans = fields.List(fields.Dict(), required=True)
    plan_supports = fields.List(fields.Dict(), required=True)
    referrals = fields.List(fields.Dict(), required=True)
    matches = fields.List(fields.Dict(), required=True)
    notifications = fields.List(fields.Dict(), required=True)
    api_tokens = fields.List(fields.Dict(), required=True)
    audit = fields.List(fields.Dict(), required=True)


class EraseSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ErasureSchema(Schema):
    member_id = fields.Integer(required=True)
    erased_by_id = fields.Integer(required=True)
    erased_at = UtcDateTime(required=True)
    reason = fields.String(required=True)


@blp.route("/members/<id:member_id>/export", methods=["GET"])
@write
@blp.response(200, ExportSchema)
def export_member(member_id):
    """Everything held about the person (the person themselves, their coordinators). Audited."""
    export = services.export_person(db.session, actor=api_user(), member_id=member_id, now=utcnow())
    return export.as_json()


@blp.route("/members/<id:member_id>/erase", methods=["POST"])
@write
@blp.arguments(EraseSchema)
@blp.response(200, ErasureSchema)
def erase_member(data, member_id):
    """Remove or anonymise the person's personal data; the ledger and report totals stay.
    Erasing an erased person again answers the first erasure."""
    return services.erase_person(
        db.session, actor=api_user(), member_id=member_id, reason=data["reason"], now=utcnow()
    )
