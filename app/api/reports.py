"""Reports: the contribution report, exact or fit to publish, as JSON or CSV, and the monthly
snapshots kept of it (contract: shared/API.md, section Reports)."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from ..clock import utcnow
from ..extensions import db
from ..reports import disclosure as dc
from ..reports import services
from ..reports.contribution import parse_period
from ..reports.export import report_csv
from .common import Id, UtcDateTime, api_user
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_reports", __name__, description="Community-contribution reports")

# A figure is a whole number, null (suppressed for coordinators) or "*" (hidden when published).
Figure = fields.Raw


class ContributionArgs(Schema):
    organisation_id = Id(strict=False, metadata={"description": "Defaults to your own."})
    from_ = fields.String(
        data_key="from",
        required=True,
        validate=validate.Length(max=40),
        metadata={"format": "date"},
    )
    to = fields.String(required=True, validate=validate.Length(max=40), metadata={"format": "date"})
    disclosure = fields.String(load_default=dc.COORDINATOR, validate=validate.OneOf(dc.DISCLOSURES))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class PeriodSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)


class CategoryRowSchema(Schema):
    category = fields.String(required=True)
    name = fields.String(required=True)
    people = Figure(required=True, allow_none=True)
    exchanges = Figure(required=True, allow_none=True)
    minutes = Figure(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)


class LocalityRowSchema(Schema):
    district = fields.String(required=True)
    people = Figure(required=True, allow_none=True)
    minutes_given = Figure(required=True, allow_none=True)
    minutes_received = Figure(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)


class MonthRowSchema(Schema):
    month = fields.String(required=True)
    people = Figure(required=True, allow_none=True)
    exchanges = Figure(required=True, allow_none=True)
    minutes = Figure(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)


class PartnerRowSchema(Schema):
    partner_organisation_id = fields.Integer(required=True)
    name = fields.String(required=True)
    people = Figure(required=True, allow_none=True)
    exchanges = Figure(required=True, allow_none=True)
    minutes_given = Figure(required=True, allow_none=True)
    minutes_received = Figure(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)


class GiveAndGetSchema(Schema):
    people = Figure(required=True)
    planned_minutes = Figure(required=True)
    delivered_minutes = Figure(required=True)


class CommissionersSchema(Schema):
    """The commissioners' section: each breakdown's rows carry ``people`` and ``suppressed``
    like the report's own; quotes are members' words given with permission, never a name."""

    disclosure = fields.String()
    outcomes_by_status = fields.List(fields.Dict())
    outcomes_by_category = fields.List(fields.Dict())
    wellbeing = fields.List(fields.Dict())
    review_timing = fields.List(fields.Dict())
    themes = fields.List(fields.Dict())
    quotes = fields.List(fields.Dict())


class ContributionSchema(Schema):
    organisation_id = fields.Integer(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    disclosure = fields.String(required=True)
    disclosure_rule = fields.String(required=True)
    hours_exchanged_minutes = Figure(required=True)
    exchanges = Figure(required=True)
    active_members = Figure(required=True)
    members_giving = Figure(required=True)
    members_receiving = Figure(required=True)
    members_both = Figure(required=True)
    new_members = Figure(required=True)
    peer_matches_introduced = Figure(required=True)
    median_days_signoff_to_introduction = Figure(required=True, allow_none=True)
    peer_support_minutes = Figure(required=True)
    peers_giving_support = Figure(required=True)
    social_value_pence = Figure(required=True)
    hourly_rate_pence = fields.Integer(required=True)
    hourly_rate_source = fields.String(required=True)
    by_category = fields.List(fields.Nested(CategoryRowSchema), required=True)
    by_locality = fields.List(fields.Nested(LocalityRowSchema), required=True)
    by_month = fields.List(fields.Nested(MonthRowSchema), required=True)
    give_and_get = fields.Nested(GiveAndGetSchema, required=True)
    commissioners = fields.Nested(CommissionersSchema)
    partner_minutes_given = Figure(
        required=True, metadata={"description": "Minutes members gave to partners' members."}
    )
    partner_minutes_received = Figure(
        required=True, metadata={"description": "Minutes members received from partners'."}
    )
    by_partner = fields.List(fields.Nested(PartnerRowSchema), required=True)


CSV_DOC = {
    "responses": {
        "200": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Contribution"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        },
    }
}


@blp.route("/reports/contribution", methods=["GET"])
@blp.arguments(ContributionArgs, location="query")
@blp.response(200, ContributionSchema)
@blp.doc(**CSV_DOC)
def contribution(args):
    """What the organisation's community gave in a period (its coordinators, and admins).
    ``disclosure=published`` applies the NHS rule for published counts; ``format=csv`` gives
    the same figures as CSV, with a notes row stating the rule."""
    actor = api_user()
    organisation_id = args.get("organisation_id", actor.organisation_id)
    # Who may ask is settled before what they asked is checked: a stranger learns nothing.
    services.report_organisation(db.session, actor, organisation_id)
    period = parse_period(args["from_"], args["to"])
    body = services.contribution_for(
        db.session, actor, organisation_id, period, args["disclosure"], utcnow()
    )
    if args["format"] == "csv":
        name = f"contribution-{period.start}-{period.end}-{args['disclosure']}.csv"
        return Response(
            report_csv(body),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return body


class SnapshotArgs(Schema):
    organisation_id = Id(strict=False)
    disclosure = fields.String(validate=validate.OneOf(dc.DISCLOSURES))


class SnapshotSchema(Schema):
    id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    period = fields.Method("_period", required=True)
    disclosure = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    body = fields.Dict(required=True)

    def _period(self, snapshot):
        return {"from": snapshot.period_start.isoformat(), "to": snapshot.period_end.isoformat()}


class SnapshotListSchema(Schema):
    items = fields.List(fields.Nested(SnapshotSchema), required=True)


@blp.route("/reports/snapshots", methods=["GET"])
@blp.arguments(SnapshotArgs, location="query")
@blp.response(200, SnapshotListSchema)
def list_snapshots(args):
    """The monthly reports kept as they were, newest first: a published figure never changes."""
    actor = api_user()
    organisation_id = args.get("organisation_id", actor.organisation_id)
    found = services.snapshots_for(db.session, actor, organisation_id, args.get("disclosure"))
    return {"items": found}
