"""Organisations: create (admins), read, and read the organisation's own hours account."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..auth import permissions, services
from ..auth.models import DEFAULT_MAX_BALANCE_MINUTES, DEFAULT_MIN_BALANCE_MINUTES, Organisation
from ..extensions import db
from ..timebank.services import organisation_account
from .common import PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint
from .schemas import AccountSchema, account_body

blp = Blueprint("api_organisations", __name__, description="Organisations")

BOUND = services.LIMIT_MINUTES_BOUND


class OrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=200))
    min_balance_minutes = fields.Integer(
        strict=True,
        load_default=DEFAULT_MIN_BALANCE_MINUTES,
        validate=validate.Range(-services.MIN_BALANCE_BOUND_MINUTES, 0),
    )
    max_balance_minutes = fields.Integer(
        strict=True, load_default=DEFAULT_MAX_BALANCE_MINUTES, validate=validate.Range(0, BOUND)
    )


class OrganisationSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    min_balance_minutes = fields.Integer(required=True)
    max_balance_minutes = fields.Integer(required=True)
    hourly_rate_pence = fields.Integer(required=True)
    auto_confirm_days = fields.Integer(allow_none=True)
    created_at = UtcDateTime(required=True)


@blp.route("/organisations", methods=["POST"])
@write
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(data):
    return services.create_organisation(db.session, actor=api_user(), **data)


@blp.route("/organisations", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(OrganisationSchema))
def list_organisations(args):
    """Every organisation for admins; your own for everyone else."""
    actor = api_user()
    statement = select(Organisation).order_by(Organisation.id)
    if not permissions.is_admin(actor):
        statement = statement.where(Organisation.id == actor.organisation_id)
    return paginate(statement, args)


@blp.route("/organisations/<id:organisation_id>", methods=["GET"])
@blp.response(200, OrganisationSchema)
def get_organisation(organisation_id):
    return services.get_organisation_for(db.session, api_user(), organisation_id)


@blp.route("/organisations/<id:organisation_id>/account", methods=["GET"])
@blp.response(200, AccountSchema)
def get_organisation_account(organisation_id):
    organisation = services.get_organisation_for(db.session, api_user(), organisation_id)
    return account_body(organisation_account(db.session, organisation.id))


class OrganisationSettingsSchema(Schema):
    min_balance_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(-services.MIN_BALANCE_BOUND_MINUTES, 0)
    )
    max_balance_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, BOUND)
    )
    hourly_rate_pence = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, services.MAX_HOURLY_RATE_PENCE)
    )
    # Optional: left out, it stays as it is; null turns automatic confirmation off.
    auto_confirm_days = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(services.MIN_AUTO_CONFIRM_DAYS, services.MAX_AUTO_CONFIRM_DAYS),
    )


@blp.route("/organisations/<id:organisation_id>/settings", methods=["POST"])
@write
@blp.arguments(OrganisationSettingsSchema)
@blp.response(200, OrganisationSchema)
def update_settings(data, organisation_id):
    """Coordinators of the organisation (or admins) set balance limits, the hourly rate and
    after how many days an undisputed pending exchange is confirmed automatically."""
    return services.update_organisation_settings(
        db.session, actor=api_user(), organisation_id=organisation_id, **data
    )
