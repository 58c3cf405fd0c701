"""The timebank API: exchanges and their confirmation, categories, listings, the chest."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..clock import utcnow
from ..extensions import db
from ..timebank import activity, exchanges, listings
from ..timebank.categories import CATEGORIES
from ..timebank.durations import MAX_MINUTES, MIN_MINUTES
from ..timebank.models import EXCHANGE_STATUSES
from ..timebank.services import account_name
from .common import Id, PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_timebank", __name__, description="Timebank: exchanges, listings, categories")


class ExchangeCreateSchema(Schema):
    provider_id = Id(metadata={"description": "The member who gave the time (earns it)."})
    receiver_id = Id(metadata={"description": "The member who received the time (spends it)."})
    provider_organisation_id = Id()
    receiver_organisation_id = Id()
    minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(MIN_MINUTES, MAX_MINUTES)
    )
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    occurred_on = fields.Date(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    listing_id = Id(allow_none=True)

    @validates_schema
    def one_of_each_side(self, data, **kwargs):
        for side in ("provider", "receiver"):
            named = [
                k for k in (f"{side}_id", f"{side}_organisation_id") if data.get(k) is not None
            ]
            if len(named) != 1:
                raise ValidationError(
                    f"Name the {side} as either {side}_id or {side}_organisation_id.",
                    field_name=f"{side}_id",
                )


class ExchangeSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    provider_id = fields.Function(lambda e: e.provider_account.user_id, allow_none=True)
    receiver_id = fields.Function(lambda e: e.receiver_account.user_id, allow_none=True)
    provider_organisation_id = fields.Function(
        lambda e: (
            e.provider_account.organisation_id
            if e.provider_account.kind == "organisation"
            else None
        ),
        allow_none=True,
    )
    receiver_organisation_id = fields.Function(
        lambda e: (
            e.receiver_account.organisation_id
            if e.receiver_account.kind == "organisation"
            else None
        ),
        allow_none=True,
    )
    organisation_id = fields.Integer(required=True)
    partner_organisation_id = fields.Integer(
        allow_none=True,
        metadata={"description": "Across organisations: the receiver's organisation."},
    )
    partnership_id = fields.Integer(allow_none=True)
    provider_name = fields.Function(lambda e: account_name(e.provider_account))
    receiver_name = fields.Function(lambda e: account_name(e.receiver_account))
    minutes = fields.Integer(required=True)
    category = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    description = fields.String(required=True)
    listing_id = fields.Integer(allow_none=True)
    recorded_by_id = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    settled_at = UtcDateTime(allow_none=True)
    reversed_at = UtcDateTime(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
    disputed_at = UtcDateTime(allow_none=True)
    allowed_actions = fields.Function(
        lambda view: sorted(view.allowed_actions),
        metadata={
            "description": "What the caller may do now: confirm, reject, withdraw, dispute, reverse."
        },
    )


class ExchangeListArgs(PageArgs):
    member_id = Id(strict=False)
    status = fields.String(validate=validate.OneOf(EXCHANGE_STATUSES))


class ReverseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CategorySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class ListingCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["offer", "request"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    availability = fields.String(load_default="", validate=validate.Length(max=200))


class ListingSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    availability = fields.String(required=True)
    member_id = fields.Integer(attribute="user_id", required=True)
    member_name = fields.Function(lambda listing: listing.user.name)
    organisation_name = fields.Function(lambda listing: listing.organisation.name)
    organisation_id = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    expires_on = fields.Date(required=True)


class ListingListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(["offer", "request"]))
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    q = fields.String(validate=validate.Length(max=100))


class DonationSchema(Schema):
    minutes = fields.Integer(strict=True, required=True, validate=validate.Range(1, 100 * 60))


class GrantSchema(Schema):
    member_id = Id(required=True)
    minutes = fields.Integer(strict=True, required=True, validate=validate.Range(1, 100 * 60))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PostingSchema(Schema):
    transaction_id = fields.Integer(attribute="id", required=True)
    kind = fields.String(required=True)
    minutes = fields.Function(lambda t: max(leg.amount_minutes for leg in t.legs))
    created_at = UtcDateTime(required=True)


def _party(actor, data, side):
    if data.get(f"{side}_id") is not None:
        return exchanges.member_party(db.session, actor, data[f"{side}_id"], f"{side}_id")
    return exchanges.organisation_party(
        db.session, actor, data[f"{side}_organisation_id"], f"{side}_organisation_id"
    )


@blp.route("/exchanges", methods=["POST"])
@write
@blp.arguments(ExchangeCreateSchema)
@blp.response(201, ExchangeSchema)
def create_exchange(data):
    """Record an exchange: pending for the other party, or confirmed at once by a coordinator."""
    actor = api_user()
    provider, receiver = _party(actor, data, "provider"), _party(actor, data, "receiver")
    now = utcnow()
    listing = (
        exchanges.listing_for_exchange(db.session, actor, data["listing_id"], now)
        if data.get("listing_id")
        else None
    )
    exchange = exchanges.record_exchange(
        db.session,
        actor=actor,
        new=exchanges.NewExchange(
            provider=provider,
            receiver=receiver,
            minutes=data["minutes"],
            category=data["category"],
            occurred_on=data["occurred_on"],
            description=data["description"],
            listing=listing,
        ),
        now=now,
    )
    return exchanges.view_of(actor, exchange)


@blp.route("/exchanges/<id:exchange_id>/confirm", methods=["POST"])
@write
@blp.response(200, ExchangeSchema)
def confirm_exchange(exchange_id):
    """Confirm (the other party, or a coordinator). 409 balance_limit moves nothing."""
    actor = api_user()
    return exchanges.view_of(
        actor,
        exchanges.confirm_exchange(db.session, actor=actor, exchange_id=exchange_id, now=utcnow()),
    )


@blp.route("/exchanges/<id:exchange_id>/reject", methods=["POST"])
@write
@blp.response(200, ExchangeSchema)
def reject_exchange(exchange_id):
    actor = api_user()
    return exchanges.view_of(
        actor,
        exchanges.reject_exchange(db.session, actor=actor, exchange_id=exchange_id, now=utcnow()),
    )


@blp.route("/exchanges/<id:exchange_id>/withdraw", methods=["POST"])
@write
@blp.response(200, ExchangeSchema)
def withdraw_exchange(exchange_id):
    """The person who recorded a pending exchange takes it back; nothing moves."""
    actor = api_user()
    return exchanges.view_of(
        actor,
        exchanges.withdraw_exchange(db.session, actor=actor, exchange_id=exchange_id, now=utcnow()),
    )


@blp.route("/exchanges/<id:exchange_id>/dispute", methods=["POST"])
@write
@blp.response(200, ExchangeSchema)
def dispute_exchange(exchange_id):
    """The party asked to confirm disputes it: it stays pending and is never confirmed
    automatically (the organisation's ``auto_confirm_days``)."""
    actor = api_user()
    return exchanges.view_of(
        actor,
        exchanges.dispute_exchange(db.session, actor=actor, exchange_id=exchange_id, now=utcnow()),
    )


@blp.route("/exchanges/<id:exchange_id>/reverse", methods=["POST"])
@write
@blp.arguments(ReverseSchema)
@blp.response(200, ExchangeSchema)
def reverse_exchange(data, exchange_id):
    """A coordinator's correction: a compensating entry; nothing is edited or deleted."""
    actor = api_user()
    exchange = exchanges.reverse_exchange(
        db.session, actor=actor, exchange_id=exchange_id, reason=data["reason"], now=utcnow()
    )
    return exchanges.view_of(actor, exchange)


@blp.route("/exchanges", methods=["GET"])
@blp.arguments(ExchangeListArgs, location="query")
@blp.response(200, page_of(ExchangeSchema))
def list_exchanges(args):
    actor = api_user()
    statement = exchanges.exchanges_for(
        db.session, actor=actor, member_id=args.get("member_id"), status=args.get("status")
    )
    page = paginate(statement, args)
    page["items"] = [exchanges.view_of(actor, exchange) for exchange in page["items"]]
    return page


@blp.route("/exchanges/<id:exchange_id>", methods=["GET"])
@blp.response(200, ExchangeSchema)
def get_exchange(exchange_id) -> exchanges.ExchangeView:
    actor = api_user()
    return exchanges.view_of(actor, exchanges.get_exchange_for(db.session, actor, exchange_id))


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategorySchema(many=True))
def list_categories():
    return [{"code": code, "name": name} for code, name in CATEGORIES.items()]


@blp.route("/listings", methods=["GET"])
@blp.arguments(ListingListArgs, location="query")
@blp.response(200, page_of(ListingSchema))
def list_listings(args):
    statement = listings.search_listings(
        db.session,
        actor=api_user(),
        now=utcnow(),
        kind=args.get("kind"),
        category=args.get("category"),
        keyword=args.get("q"),
    )
    return paginate(statement, args)


@blp.route("/listings", methods=["POST"])
@write
@blp.arguments(ListingCreateSchema)
@blp.response(201, ListingSchema)
def create_listing(data):
    return listings.create_listing(
        db.session, actor=api_user(), new=listings.NewListing(**data), now=utcnow()
    )


@blp.route("/chest/donations", methods=["POST"])
@write
@blp.arguments(DonationSchema)
@blp.response(201, PostingSchema)
def donate(data):
    """Give some of your earned hours to your organisation's community chest."""
    return exchanges.donate_to_chest(
        db.session, actor=api_user(), minutes=data["minutes"], now=utcnow()
    )


@blp.route("/chest/grants", methods=["POST"])
@write
@blp.arguments(GrantSchema)
@blp.response(201, PostingSchema)
def grant(data):
    """A coordinator grants hours from the chest to a member who cannot yet give."""
    return exchanges.grant_from_chest(
        db.session,
        actor=api_user(),
        member_id=data["member_id"],
        minutes=data["minutes"],
        reason=data["reason"],
        now=utcnow(),
    )


# --- what coordinators did (administrators) -------------------------------------------------


class CoordinatorActivitySchema(Schema):
    coordinator_id = fields.Integer(required=True)
    name = fields.String(required=True)
    organisation = fields.String(required=True)
    members_added = fields.Integer(required=True)
    exchanges_recorded = fields.Integer(required=True)
    credits = fields.Integer(required=True)
    minutes_credited = fields.Integer(required=True)
    reversals = fields.Integer(required=True)
    settings_changes = fields.Integer(required=True)


class CoordinatorActionSchema(Schema):
    at = UtcDateTime(required=True)
    coordinator = fields.String(required=True)
    what = fields.String(required=True)
    member = fields.String(allow_none=True)
    minutes = fields.Integer(allow_none=True)


class ActivityReportSchema(Schema):
    since = UtcDateTime(required=True)
    coordinators = fields.List(fields.Nested(CoordinatorActivitySchema), required=True)
    recent = fields.List(fields.Nested(CoordinatorActionSchema), required=True)


@blp.route("/coordinator-activity", methods=["GET"])
@blp.response(200, ActivityReportSchema)
def coordinator_activity():
    """Administrators: every coordinator's members added, exchanges recorded, hours credited
    and reversals over the last 30 days, and their latest actions (the same as the page)."""
    return activity.coordinator_activity(db.session, api_user(), utcnow())
