"""Conditions and consent, peers, support plans, referrals, and the audit trail."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from ..auth.services import audit_trail_query
from ..clock import utcnow
from ..extensions import db
from ..peers import conditions, plans, profiles, referrals, reviews, wellbeing
from ..peers.models import (
    GIVE_AND_GET_TYPES,
    MANAGEMENT,
    MODES,
    REFERRAL_STATUSES,
    SUPPORT_TYPES,
    PeerProfile,
    Referral,
    SupportPlan,
)
from .common import Id, PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_peers", __name__, description="Conditions, peers, plans, referrals, audit")


def Codes(**kwargs) -> fields.List:  # noqa: N802 - reads like a field class
    return fields.List(
        fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=50), **kwargs
    )


def Choices(options, **kwargs) -> fields.List:  # noqa: N802
    return fields.List(fields.String(validate=validate.OneOf(options)), **kwargs)


def Languages(**kwargs) -> fields.List:  # noqa: N802
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=10),
        **kwargs,
    )


def WellbeingAnswers() -> fields.Dict:  # noqa: N802 - reads like a field class
    """Optional answers, question code → 1 to 4; the service names any answer off the scale."""
    return fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"description": "Optional: question code → 1 to 4 (GET /wellbeing-questions)."},
    )


class ExplicitBoolean(fields.Boolean):
    """Only JSON true or false: an answer is never inferred from 1, "yes" or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ConsentFlag(fields.Boolean):
    """Explicit consent is JSON ``true`` and nothing else. Anything else counts as not given, so
    the service answers ``consent_required`` wherever conditions are being recorded."""

    def _deserialize(self, value, attr, data, **kwargs):
        return True if value is True else None


# --- conditions and consent -------------------------------------------------------------------


class ConditionSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    group = fields.String(required=True)


class ConditionCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=2, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    group = fields.String(required=True, validate=validate.Length(min=1, max=60))


class MemberConditionsSchema(Schema):
    member_id = fields.Integer(required=True)
    condition_codes = fields.List(fields.String(), required=True)
    carer_condition_codes = fields.List(fields.String(), required=True)
    consent_recorded_at = UtcDateTime(allow_none=True)


class WithdrawalSchema(Schema):
    member_id = fields.Integer(required=True)
    conditions_removed = fields.Integer(required=True)
    withdrawn_at = UtcDateTime(required=True)


@blp.route("/conditions", methods=["GET"])
@blp.response(200, ConditionSchema(many=True))
def list_conditions():
    """The shipped taxonomy of long-term conditions and disabilities (admins may add)."""
    return conditions.all_conditions(db.session)


@blp.route("/conditions", methods=["POST"])
@write
@blp.arguments(ConditionCreateSchema)
@blp.response(201, ConditionSchema)
def create_condition(data):
    return conditions.add_condition(db.session, actor=api_user(), now=utcnow(), **data)


@blp.route("/members/<id:member_id>/conditions", methods=["GET"])
@write
@blp.response(200, MemberConditionsSchema)
def member_conditions(member_id):
    """The person's conditions (audited). Only the person and their coordinators."""
    actor, now = api_user(), utcnow()
    person = conditions.get_person_for_health_data(db.session, actor, member_id)
    own = conditions.conditions_of(
        db.session, actor=actor, person=person, relationship_kind="own", now=now
    )
    carer = conditions.condition_rows(db.session, [person.id], "carer").get(person.id, [])
    consent = conditions.live_consent(db.session, person)
    return {
        "member_id": person.id,
        "condition_codes": [c.code for c in own],
        "carer_condition_codes": [c.code for c in carer],
        "consent_recorded_at": consent.recorded_at if consent else None,
    }


@blp.route("/members/<id:member_id>/consent/withdraw", methods=["POST"])
@write
@blp.response(200, WithdrawalSchema)
def withdraw_consent(member_id):
    """The member, or their coordinator: conditions leave every view, list and report at once."""
    now = utcnow()
    removed = conditions.withdraw_consent(
        db.session, actor=api_user(), member_id=member_id, now=now
    )
    return {"member_id": member_id, "conditions_removed": removed, "withdrawn_at": now}


# --- peers ------------------------------------------------------------------------------------


class PeerCreateSchema(Schema):
    member_id = Id(required=True)
    condition_codes = Codes(load_default=list)
    carer_condition_codes = Codes(load_default=list)
    health_data_consent = ConsentFlag(load_default=None, allow_none=True)
    support_types = Choices(SUPPORT_TYPES, required=True)
    modes = Choices(MODES, required=True)
    capacity = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 20))
    travel_km = fields.Integer(strict=True, load_default=5, validate=validate.Range(0, 500))
    languages = Languages(load_default=list)
    gender = fields.String(allow_none=True, validate=validate.Length(max=40))
    dbs_checked_on = fields.Date(allow_none=True)
    references_checked_on = fields.Date(allow_none=True)
    training_completed_on = fields.Date(allow_none=True)
    approved = fields.Boolean(load_default=False)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class PeerSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    approved = fields.Boolean(required=True)
    approved_at = UtcDateTime(allow_none=True)
    paused = fields.Boolean(required=True)
    support_types = fields.List(fields.String())
    modes = fields.List(fields.String())
    languages = fields.List(fields.String())
    capacity = fields.Integer()
    travel_km = fields.Integer()
    gender = fields.String(allow_none=True)
    dbs_checked_on = fields.Date(allow_none=True)
    references_checked_on = fields.Date(allow_none=True)
    training_completed_on = fields.Date(allow_none=True)
    source = fields.String()
    notes = fields.String()
    condition_codes = fields.List(fields.String())
    carer_condition_codes = fields.List(fields.String())
    created_at = UtcDateTime()


class PeerListArgs(PageArgs):
    approved = fields.Boolean()


def _peer_body(profile: PeerProfile) -> dict:
    view = profiles.peer_view_of(db.session, api_user(), profile)
    body = {
        name: getattr(profile, name)
        for name in PeerSchema._declared_fields
        if hasattr(profile, name) and name != "notes"
    }
    body["condition_codes"] = [c.code for c in view.own_conditions]
    body["carer_condition_codes"] = [c.code for c in view.carer_conditions]
    if view.notes is not None:  # coordinators' notes about the peer stay with coordinators
        body["notes"] = view.notes
    return body


@blp.route("/peers", methods=["POST"])
@write
@blp.arguments(PeerCreateSchema)
@blp.response(201, PeerSchema)
def create_peer(data):
    """A coordinator adds a peer. In-person accompany or practical support needs a DBS date."""
    codes, carer = data.pop("condition_codes"), data.pop("carer_condition_codes")
    consent, approve, member_id = (
        data.pop("health_data_consent"),
        data.pop("approved"),
        data.pop("member_id"),
    )
    profile = profiles.create_peer(
        db.session,
        actor=api_user(),
        member_id=member_id,
        details=profiles.PeerDetails(**data),
        condition_codes=codes,
        carer_condition_codes=carer,
        consent_given=consent,
        approve=approve,
        now=utcnow(),
    )
    return _peer_body(profile)


@blp.route("/peers", methods=["GET"])
@write
@blp.arguments(PeerListArgs, location="query")
@blp.response(200, page_of(PeerSchema))
def list_peers(args):
    """The organisation's peers, with their checks and conditions: each one shown is audited."""
    page = paginate(profiles.peers_query(api_user(), approved=args.get("approved")), args)
    profiles.record_peers_listed(db.session, actor=api_user(), shown=page["items"], now=utcnow())
    page["items"] = [_peer_body(p) for p in page["items"]]
    return page


@blp.route("/peers/<id:peer_id>", methods=["GET"])
@write
@blp.response(200, PeerSchema)
def get_peer(peer_id):
    return _peer_body(profiles.get_peer_for(db.session, api_user(), peer_id, now=utcnow()))


@blp.route("/peers/<id:peer_id>/approve", methods=["POST"])
@write
@blp.response(200, PeerSchema)
def approve_peer(peer_id):
    return _peer_body(
        profiles.approve_peer(db.session, actor=api_user(), peer_id=peer_id, now=utcnow())
    )


@blp.route("/peers/<id:peer_id>/pause", methods=["POST"])
@write
@blp.response(200, PeerSchema)
def pause_peer(peer_id):
    return _peer_body(
        profiles.set_paused(
            db.session, actor=api_user(), peer_id=peer_id, paused=True, now=utcnow()
        )
    )


@blp.route("/peers/<id:peer_id>/resume", methods=["POST"])
@write
@blp.response(200, PeerSchema)
def resume_peer(peer_id):
    return _peer_body(
        profiles.set_paused(
            db.session, actor=api_user(), peer_id=peer_id, paused=False, now=utcnow()
        )
    )


# --- plans ------------------------------------------------------------------------------------


class SupportInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["paid", "give_and_get"]))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    provider = fields.String(load_default="", validate=validate.Length(max=200))
    annual_pence = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, plans.MAX_BUDGET_PENCE)
    )
    type = fields.String(allow_none=True, validate=validate.OneOf(GIVE_AND_GET_TYPES))
    hours_per_month = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 744))


class SplitSchema(Schema):
    notional = fields.Integer(strict=True, validate=validate.Range(0, plans.MAX_BUDGET_PENCE))
    third_party = fields.Integer(strict=True, validate=validate.Range(0, plans.MAX_BUDGET_PENCE))
    direct_payment = fields.Integer(strict=True, validate=validate.Range(0, plans.MAX_BUDGET_PENCE))


class PlanCreateSchema(Schema):
    member_id = Id(required=True)
    budget_pence = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, plans.MAX_BUDGET_PENCE)
    )
    management = fields.String(required=True, validate=validate.OneOf(MANAGEMENT))
    split_pence = fields.Nested(
        SplitSchema,
        load_default=dict,
        allow_none=True,
        metadata={
            "description": (
                "Optional, for a mixed budget: how much of budget_pence is held each way. "
                "When given, the parts must add up to budget_pence. Leave it out (or send null "
                "or {}) when the split is not yet known. Ignored unless management is mixed."
            )
        },
    )
    outcomes = fields.List(
        fields.String(validate=validate.Length(max=1000)),
        load_default=list,
        validate=validate.Length(max=30),
    )
    supports = fields.List(
        fields.Nested(SupportInSchema), load_default=list, validate=validate.Length(max=50)
    )
    started_without_money = fields.Boolean(load_default=False)


class SupportOutSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    description = fields.String()
    provider = fields.String()
    annual_pence = fields.Integer(allow_none=True)
    type = fields.String(allow_none=True)
    hours_per_month = fields.Integer(allow_none=True)


class OutcomeItemSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)


class ReviewOutcomeOutSchema(Schema):
    outcome_id = fields.Integer(required=True)
    text = fields.String()
    status = fields.String(required=True)
    comment = fields.String()


class ReviewOutSchema(Schema):
    id = fields.Integer(required=True)
    plan_version = fields.Integer(required=True)
    due_on = fields.Date()
    reviewed_on = fields.Date()
    next_review_on = fields.Date()
    on_time = fields.Boolean()
    by_the_person = fields.Boolean()
    outcomes = fields.List(fields.Nested(ReviewOutcomeOutSchema))
    wellbeing = fields.Dict(keys=fields.String(), values=fields.Integer())
    paid_delivery = fields.String(allow_none=True)
    give_and_get_delivery = fields.String(allow_none=True)
    delivery_comment = fields.String()
    changes = fields.String()
    planned_minutes = fields.Integer()
    delivered_minutes = fields.Integer()
    what_worked = fields.String()
    what_did_not = fields.String()
    quote_permission = fields.Boolean()


class PlanSchema(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer()
    outcome_items = fields.List(fields.Nested(OutcomeItemSchema))
    reviews = fields.List(fields.Nested(ReviewOutSchema))
    wellbeing_at_sign_off = fields.Dict(keys=fields.String(), values=fields.Integer())
    member_id = fields.Integer(required=True)
    organisation_id = fields.Integer()
    status = fields.String(required=True)
    budget_pence = fields.Integer()
    management = fields.String()
    split_pence = fields.Dict(keys=fields.String(), values=fields.Integer())
    outcomes = fields.List(fields.String())
    supports = fields.List(fields.Nested(SupportOutSchema))
    started_without_money = fields.Boolean()
    signed_off_at = UtcDateTime(allow_none=True)
    signed_off_on = fields.Date(allow_none=True)
    review_due_on = fields.Date(allow_none=True)
    last_reviewed_on = fields.Date(allow_none=True)
    paid_annual_pence = fields.Integer()
    give_and_get_hours_per_month = fields.Integer()
    delivered_minutes = fields.Dict(keys=fields.String(), values=fields.Integer())
    referral_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class SignOffSchema(Schema):
    wants_peer_support = ExplicitBoolean(required=True)
    willing_to_support_others = ExplicitBoolean(required=True)
    condition_codes = Codes(load_default=list)
    support_types = Choices(SUPPORT_TYPES, load_default=list)
    modes = Choices(MODES, load_default=list)
    health_data_consent = ConsentFlag(load_default=None, allow_none=True)
    preferences = fields.Nested(lambda: PreferencesSchema(), load_default=dict)
    wellbeing = WellbeingAnswers()


def _plan_body(plan: SupportPlan) -> dict:
    view = plans.plan_view_of(db.session, api_user(), plan, now=utcnow())
    body = {
        name: getattr(plan, name) for name in PlanSchema._declared_fields if hasattr(plan, name)
    }
    body["status"] = view.status
    body["review_due_on"] = plan.next_review_on
    body.update(view.totals)
    body["delivered_minutes"] = view.delivered
    body["referral_id"] = view.referral_id
    body["outcome_items"] = [{"id": o.id, "text": o.text} for o in plan.outcome_items]
    body["reviews"] = [_review_body(r) for r in view.reviews]
    body["wellbeing_at_sign_off"] = view.wellbeing_at_sign_off
    return body


def _review_body(review: plans.ReviewView) -> dict:
    body = {name: getattr(review, name) for name in ReviewOutSchema._declared_fields}
    body["outcomes"] = [vars(o) for o in review.outcomes]
    return body


def _plan_details(data: dict) -> plans.PlanDetails:
    supports = [plans.SupportLine(**line) for line in data.pop("supports")]
    data["split_pence"] = data.get("split_pence") or {}  # null: the split is not yet known
    return plans.PlanDetails(supports=supports, **data)


@blp.route("/plans", methods=["POST"])
@write
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
def create_plan(data):
    """A draft support plan: money and give-and-get side by side."""
    plan = plans.create_plan(
        db.session, actor=api_user(), details=_plan_details(data), now=utcnow()
    )
    return _plan_body(plan)


@blp.route("/plans", methods=["GET"])
@write
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PlanSchema))
def list_plans(args):
    """Coordinators: the organisation's plans; members: their own. Each plan shown is audited."""
    page = paginate(plans.plans_query(api_user()), args)
    plans.record_plans_listed(db.session, actor=api_user(), shown=page["items"], now=utcnow())
    page["items"] = [_plan_body(p) for p in page["items"]]
    return page


@blp.route("/plans/<id:plan_id>", methods=["GET"])
@write
@blp.response(200, PlanSchema)
def get_plan(plan_id):
    return _plan_body(plans.get_plan_for(db.session, api_user(), plan_id, now=utcnow()))


@blp.route("/plans/<id:plan_id>/sign-off", methods=["POST"])
@write
@blp.arguments(SignOffSchema)
@blp.response(200, PlanSchema)
def sign_off(data, plan_id):
    """Sign off: sets the review date; refers for peer support; offers a draft peer profile."""
    preferences = data.pop("preferences") or {}
    languages = preferences.get("languages") or []
    gender = preferences.get("peer_gender")
    answers = plans.SignOff(
        consent_given=data.pop("health_data_consent"),
        wellbeing=data.pop("wellbeing") or {},
        languages=[str(x) for x in languages] if isinstance(languages, list) else [],
        peer_gender=str(gender) if gender else None,
        **data,
    )
    plan, referral = plans.sign_off(
        db.session,
        actor=api_user(),
        plan_id=plan_id,
        answers=answers,
        now=utcnow(),
        first_review_months=current_app.config["PLAN_FIRST_REVIEW_MONTHS"],
    )
    return _plan_body(plan)


@blp.route("/plans/<id:plan_id>/review", methods=["POST"])
@write
@blp.response(200, PlanSchema)
def review_plan(plan_id):
    """Record that the plan was reviewed: the next review falls 12 months on (configurable)."""
    return _plan_body(
        plans.record_review(
            db.session,
            actor=api_user(),
            plan_id=plan_id,
            now=utcnow(),
            interval_months=current_app.config["PLAN_REVIEW_INTERVAL_MONTHS"],
        )
    )


# --- versions and reviews ----------------------------------------------------------------------


class VersionCreateSchema(PlanCreateSchema):
    class Meta:
        exclude = ("member_id",)

    reason = fields.String(required=True, validate=validate.Length(max=plans.MAX_REASON))


class VersionCreatedSchema(Schema):
    version = fields.Integer(required=True)
    changes = fields.List(fields.String())


class VersionSchema(PlanSchema):
    current = fields.Boolean()
    reason = fields.String()
    changes = fields.List(fields.String())
    created_by = fields.String()


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))


def _version_body(plan: SupportPlan, version: plans.VersionView) -> dict:
    return {
        "id": plan.id,
        "member_id": plan.member_id,
        "organisation_id": plan.organisation_id,
        "status": plan.status,
        "version": version.number,
        "current": version.current,
        "budget_pence": version.budget_pence,
        "management": version.management,
        "split_pence": version.split_pence,
        "started_without_money": version.started_without_money,
        "outcomes": version.outcomes,
        "outcome_items": [{"id": o.id, "text": o.text} for o in version.outcome_items],
        "supports": version.supports,
        **version.totals,
        "signed_off_at": version.signed_off_at,
        "reason": version.reason,
        "changes": version.changes,
        "created_at": version.created_at,
        "created_by": version.created_by_name,
    }


@blp.route("/plans/<id:plan_id>/versions", methods=["GET"])
@write
@blp.response(200, VersionListSchema)
def list_versions(plan_id):
    """Every version of the plan, newest first, each whole as ``GET /plans/{id}`` shows it."""
    plan = plans.get_plan_for(db.session, api_user(), plan_id, now=utcnow())
    return {"items": [_version_body(plan, v) for v in plans.version_history(db.session, plan)]}


@blp.route("/plans/<id:plan_id>/versions", methods=["POST"])
@write
@blp.arguments(VersionCreateSchema)
@blp.response(201, VersionCreatedSchema)
def create_version(data, plan_id):
    """A change to a signed-off plan, agreed with the NHS team: a new version, current at once;
    who recorded it and why are kept, and nothing is edited in place."""
    data["member_id"] = 0  # the plan's own person
    version = plans.revise_plan(
        db.session, actor=api_user(), plan_id=plan_id, details=_plan_details(data), now=utcnow()
    )
    return {"version": version.number, "changes": version.change_lines}


class OutcomeAnswerSchema(Schema):
    outcome_id = Id(required=True)
    status = fields.String(required=True, validate=validate.Length(max=40))
    comment = fields.String(load_default="", validate=validate.Length(max=reviews.MAX_TEXT))


class ReviewCreateSchema(Schema):
    outcomes = fields.List(
        fields.Nested(OutcomeAnswerSchema), load_default=list, validate=validate.Length(max=30)
    )
    wellbeing = WellbeingAnswers()
    what_worked = fields.String(load_default="", validate=validate.Length(max=reviews.MAX_TEXT))
    what_did_not = fields.String(load_default="", validate=validate.Length(max=reviews.MAX_TEXT))
    quote_permission = ExplicitBoolean(load_default=False)
    next_review_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "After today and within 13 months; 12 months on when left out."},
    )
    due_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Optional: the due date being reviewed, as the client saw it."},
    )
    paid_delivery = fields.String(load_default=None, allow_none=True)
    give_and_get_delivery = fields.String(load_default=None, allow_none=True)
    delivery_comment = fields.String(
        load_default="", validate=validate.Length(max=reviews.MAX_TEXT)
    )
    changes = fields.String(load_default="", validate=validate.Length(max=reviews.MAX_TEXT))


class ReviewCreatedSchema(Schema):
    id = fields.Integer(required=True)
    plan_version = fields.Integer(required=True)
    due_on = fields.Date()
    next_review_on = fields.Date(required=True)


@blp.route("/plans/<id:plan_id>/reviews", methods=["POST"])
@write
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewCreatedSchema)
def create_review(data, plan_id):
    """Review a signed-off plan at its due date: by the person, or a coordinator for them."""
    answers = reviews.ReviewAnswers(
        outcomes=[reviews.OutcomeAnswer(**o) for o in data.pop("outcomes")], **data
    )
    review = reviews.record_review(
        db.session,
        actor=api_user(),
        plan_id=plan_id,
        answers=answers,
        now=utcnow(),
        interval_months=current_app.config["PLAN_REVIEW_INTERVAL_MONTHS"],
    )
    return review


class WellbeingQuestionSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)


@blp.route("/wellbeing-questions", methods=["GET"])
@blp.response(200, WellbeingQuestionSchema(many=True))
def wellbeing_questions():
    """The questions asked at sign-off and at every review, each answered 1 to 4."""
    return [{"code": code, "text": text} for code, text in wellbeing.QUESTIONS]


# --- referrals --------------------------------------------------------------------------------


class PreferencesSchema(Schema):
    languages = Languages(load_default=list)
    peer_gender = fields.String(allow_none=True, validate=validate.Length(max=40))


class ReferralCreateSchema(Schema):
    member_id = Id(required=True)
    condition_codes = Codes(load_default=list)
    health_data_consent = ConsentFlag(load_default=None, allow_none=True)
    postcode = fields.String(allow_none=True, validate=validate.Length(max=20))
    support_types = Choices(SUPPORT_TYPES, required=True)
    modes = Choices(MODES, required=True)
    preferences = fields.Nested(PreferencesSchema, load_default=dict)
    is_carer = fields.Boolean(load_default=False)


class ReferralSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    status = fields.String(required=True)
    source = fields.String()
    plan_id = fields.Integer(allow_none=True)
    postcode = fields.String(allow_none=True)
    condition_codes = fields.List(fields.String())
    support_types = fields.List(fields.String())
    modes = fields.List(fields.String())
    preferences = fields.Dict()
    is_carer = fields.Boolean()
    waiting_since = UtcDateTime()
    days_waiting = fields.Integer()
    created_at = UtcDateTime()


class ReferralListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))


def _referral_body(referral: Referral) -> dict:
    view = referrals.referral_view_of(db.session, api_user(), referral, now=utcnow())
    body = {
        name: getattr(referral, name)
        for name in ReferralSchema._declared_fields
        if hasattr(referral, name)
    }
    body["condition_codes"] = [c.code for c in view.conditions]
    body["preferences"] = {"languages": referral.languages, "peer_gender": referral.peer_gender}
    body["days_waiting"] = view.days_waiting
    return body


@blp.route("/referrals", methods=["POST"])
@write
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema)
def create_referral(data):
    """A coordinator or a partner system refers someone for peer support."""
    preferences = data.pop("preferences") or {}
    referral = referrals.create_referral(
        db.session,
        actor=api_user(),
        request=referrals.ReferralRequest(
            consent_given=data.pop("health_data_consent"),
            languages=preferences.get("languages", []),
            peer_gender=preferences.get("peer_gender"),
            **data,
        ),
        now=utcnow(),
    )
    return _referral_body(referral)


@blp.route("/referrals", methods=["GET"])
@write
@blp.arguments(ReferralListArgs, location="query")
@blp.response(200, page_of(ReferralSchema))
def list_referrals(args):
    """The queue: longest waiting first. Listing shows conditions, so each person's view is audited."""
    actor, now = api_user(), utcnow()
    page = paginate(referrals.referrals_query(db.session, actor, status=args.get("status")), args)
    referrals.record_referrals_listed(db.session, actor=actor, shown=page["items"], now=now)
    page["items"] = [_referral_body(referral) for referral in page["items"]]
    return page


@blp.route("/referrals/<id:referral_id>", methods=["GET"])
@write
@blp.response(200, ReferralSchema)
def get_referral(referral_id):
    return _referral_body(
        referrals.get_referral_for(db.session, api_user(), referral_id, now=utcnow())
    )


@blp.route("/referrals/<id:referral_id>/close", methods=["POST"])
@write
@blp.response(200, ReferralSchema)
def close_referral(referral_id):
    return _referral_body(
        referrals.close_referral(
            db.session, actor=api_user(), referral_id=referral_id, now=utcnow()
        )
    )


# --- audit ------------------------------------------------------------------------------------


class AuditSchema(Schema):
    at = UtcDateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.Integer(allow_none=True)
    member_id = fields.Integer(allow_none=True)
    # Set when a coordinator (actor_id) acted for this member.
    acting_for_id = fields.Integer(allow_none=True)


class AuditArgs(PageArgs):
    member_id = Id(strict=False)


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(200, page_of(AuditSchema))
def list_audit(args):
    """Who viewed or changed a person's health data, plan and peer checks (coordinators, admins)."""
    statement = audit_trail_query(db.session, api_user(), args.get("member_id"))
    return paginate(statement, args)
