"""Members: create (coordinators, admins), read one, list an organisation's, read their account."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..auth import permissions, services
from ..auth.models import ROLES, User
from ..clock import utcnow
from ..extensions import db
from ..timebank.services import member_account
from .common import Id, PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint
from .schemas import AccountSchema, account_body

blp = Blueprint("api_members", __name__, description="Members")


class MemberCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=200))
    email = fields.String(allow_none=True, validate=validate.Length(max=320))
    password = fields.String(allow_none=True, validate=validate.Length(max=200))
    postcode = fields.String(allow_none=True, validate=validate.Length(max=20))
    organisation_id = Id(allow_none=True)
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))


class MemberSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    organisation_id = fields.Integer(required=True)
    role = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


class MemberListArgs(PageArgs):
    organisation_id = Id(strict=False)


@blp.route("/members", methods=["POST"])
@write
@blp.arguments(MemberCreateSchema)
@blp.response(201, MemberSchema)
def create_member(data):
    """Add a member. Without a password, an invitation is emailed to set one."""
    user = services.create_member(
        db.session,
        actor=api_user(),
        new=services.NewMember(**data),
        now=utcnow(),
        base_url=current_app.config["BASE_URL"],
        invitation_days=current_app.config["INVITATION_DAYS"],
    )
    return user


@blp.route("/members", methods=["GET"])
@blp.arguments(MemberListArgs, location="query")
@blp.response(200, page_of(MemberSchema))
def list_members(args):
    """Members of the caller's organisation (admins: any organisation)."""
    actor = api_user()
    services.require_coordinator(actor)
    organisation_id = (
        args.get("organisation_id") if permissions.is_admin(actor) else actor.organisation_id
    )
    statement = select(User).order_by(User.id)
    if organisation_id:
        statement = statement.where(User.organisation_id == organisation_id)
    return paginate(statement, args)


@blp.route("/members/<id:member_id>", methods=["GET"])
@blp.response(200, MemberSchema)
def get_member(member_id):
    return services.get_member_for(db.session, api_user(), member_id)


@blp.route("/members/<id:member_id>/account", methods=["GET"])
@blp.response(200, AccountSchema)
def get_member_account(member_id):
    member = services.get_member_for(db.session, api_user(), member_id)
    return account_body(member_account(db.session, member))
