"""Partnerships between organisations: propose, accept, end, and list from the caller's side."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..clock import utcnow
from ..extensions import db
from ..timebank import partnerships
from .common import Id, api_user, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint(
    "api_partnerships", __name__, description="Partnerships: exchanges between organisations"
)


class PartnershipCreateSchema(Schema):
    partner_organisation_id = Id(required=True)
    limit_minutes = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(1, partnerships.MAX_LIMIT_MINUTES),
        metadata={"description": "The most net minutes that may flow either way."},
    )


class PartnershipSchema(Schema):
    id = fields.Integer(required=True)
    partner_organisation_id = fields.Integer(
        required=True, metadata={"description": "The other organisation, seen from the caller's."}
    )
    partner_organisation_name = fields.String(attribute="partner_name", required=True)
    status = fields.String(required=True)
    limit_minutes = fields.Integer(required=True)
    net_minutes = fields.Integer(
        required=True,
        metadata={
            "description": "Minutes the caller's members gave to the partner's members minus "
            "what they received, in confirmed exchanges (reversals netted)."
        },
    )
    allowed_actions = fields.Function(lambda view: sorted(view.allowed_actions))


class PartnershipListSchema(Schema):
    items = fields.List(fields.Nested(PartnershipSchema), required=True)


@blp.route("/partnerships", methods=["GET"])
@blp.response(200, PartnershipListSchema)
def list_partnerships():
    """The caller's organisation's partnerships, each seen from the caller's side."""
    return {"items": partnerships.partnerships_for(db.session, api_user())}


@blp.route("/partnerships", methods=["POST"])
@write
@blp.arguments(PartnershipCreateSchema)
@blp.response(201, PartnershipSchema)
def propose_partnership(data):
    """A coordinator proposes a partnership; a coordinator of the partner accepts it."""
    actor = api_user()
    partnership = partnerships.propose_partnership(
        db.session,
        actor=actor,
        partner_organisation_id=data["partner_organisation_id"],
        limit_minutes=data["limit_minutes"],
        now=utcnow(),
    )
    return partnerships.view_of(db.session, actor, partnership)


@blp.route("/partnerships/<id:partnership_id>", methods=["GET"])
@blp.response(200, PartnershipSchema)
def get_partnership(partnership_id):
    actor = api_user()
    return partnerships.view_of(
        db.session, actor, partnerships.get_partnership_for(db.session, actor, partnership_id)
    )


@blp.route("/partnerships/<id:partnership_id>/accept", methods=["POST"])
@write
@blp.response(200, PartnershipSchema)
def accept_partnership(partnership_id):
    """A coordinator of the partner organisation accepts: members may exchange across."""
    actor = api_user()
    partnership = partnerships.accept_partnership(
        db.session, actor=actor, partnership_id=partnership_id, now=utcnow()
    )
    return partnerships.view_of(db.session, actor, partnership)


@blp.route("/partnerships/<id:partnership_id>/end", methods=["POST"])
@write
@blp.response(200, PartnershipSchema)
def end_partnership(partnership_id):
    """Either side ends it: history is kept; no new exchanges across."""
    actor = api_user()
    partnership = partnerships.end_partnership(
        db.session, actor=actor, partnership_id=partnership_id, now=utcnow()
    )
    return partnerships.view_of(db.session, actor, partnership)
