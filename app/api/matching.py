"""Matching: candidates with reasons, "Why not?", the match workflow, check-ins, peer-support
time and the batch (contract: shared/API.md, section Matching)."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from ..clock import utcnow
from ..extensions import db
from ..matching import candidates, workflow
from ..matching.models import MATCH_STATUSES
from ..timebank.durations import MAX_MINUTES, MIN_MINUTES
from .common import Id, PageArgs, UtcDateTime, api_user, page_of, paginate, write
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_matching", __name__, description="Matching referrals to peers")

MAX_TEXT = workflow.MAX_TEXT


# --- schemas ----------------------------------------------------------------------------------


class CandidateArgs(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 100))


class CandidateSchema(Schema):
    peer_id = fields.Integer(required=True)
    score = fields.Float(required=True)
    distance_km = fields.Float(allow_none=True, required=True)
    reasons = fields.List(fields.String(), required=True)


class CandidateListSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema), required=True)


class ExclusionSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class WhyNotSchema(Schema):
    peer_id = fields.Integer(required=True)
    eligible = fields.Boolean(required=True)
    score = fields.Float()
    distance_km = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    excluded_by = fields.List(fields.Nested(ExclusionSchema))


class ProposeSchema(Schema):
    referral_id = Id(required=True)
    peer_id = Id(required=True)


class MatchMoveSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class CloseSchema(Schema):
    outcome = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    feedback = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    what_worked = fields.String(load_default="", validate=validate.Length(max=2000))
    what_did_not = fields.String(load_default="", validate=validate.Length(max=2000))
    quote_permission = fields.Boolean(load_default=False)


class MatchPreferencesSchema(Schema):
    languages = fields.List(fields.String())
    peer_gender = fields.String(allow_none=True)


class ReferralSummarySchema(Schema):
    condition_codes = fields.List(fields.String(), required=True)
    postcode_district = fields.String(allow_none=True, required=True)
    support_types = fields.List(fields.String(), required=True)
    modes = fields.List(fields.String(), required=True)
    preferences = fields.Nested(MatchPreferencesSchema, required=True)


class MatchContactSchema(Schema):
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)


class MatchSchema(Schema):
    """Fields beyond id, status and referral appear only for those who may see them."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    referral = fields.Nested(ReferralSummarySchema, required=True)
    referral_id = fields.Integer()
    peer_id = fields.Integer()
    proposed_at = UtcDateTime()
    accepted_at = UtcDateTime(allow_none=True)
    introduced_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    declined_at = UtcDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    peer_feedback = fields.String(allow_none=True)
    person_feedback = fields.String(allow_none=True)
    person = fields.Nested(MatchContactSchema)
    peer = fields.Nested(MatchContactSchema)


class MatchListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(MATCH_STATUSES))
    peer_id = Id(strict=False)


class CheckInInSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class CheckInSchema(Schema):
    id = fields.Integer(required=True)
    match_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    note = fields.String(required=True)
    by_id = fields.Integer(required=True)
    at = UtcDateTime(required=True)


class MatchSupportInSchema(Schema):
    minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(MIN_MINUTES, MAX_MINUTES)
    )
    occurred_on = fields.Date(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


class MatchSupportSchema(Schema):
    exchange_id = fields.Integer(required=True)
    status = fields.String(required=True)


class BatchInSchema(Schema):
    dry_run = fields.Boolean(load_default=True)


class AssignmentSchema(Schema):
    referral_id = fields.Integer(required=True)
    peer_id = fields.Integer(required=True)
    score = fields.Float(required=True)


class BatchSchema(Schema):
    assignments = fields.List(fields.Nested(AssignmentSchema), required=True)
    total_score = fields.Float(required=True)


# --- candidates -------------------------------------------------------------------------------


def _candidate(scored) -> dict:
    return {
        "peer_id": scored.peer_id,
        "score": scored.score,
        "distance_km": scored.distance_km,
        "reasons": scored.reasons,
    }


@blp.route("/referrals/<id:referral_id>/candidates", methods=["GET"])
@write
@blp.arguments(CandidateArgs, location="query")
@blp.response(200, CandidateListSchema)
def list_candidates(args, referral_id):
    """The best peers for the referral, best first, with reasons (coordinators)."""
    actor, now = api_user(), utcnow()
    found = candidates.candidates_for(db.session, actor, referral_id, args["limit"], now=now)
    candidates.record_candidates_listed(
        db.session,
        actor=actor,
        referral_id=referral_id,
        peer_ids=[s.peer_id for s in found],
        now=now,
    )
    return {"items": [_candidate(s) for s in found]}


@blp.route("/referrals/<id:referral_id>/candidates/<id:peer_id>", methods=["GET"])
@write
@blp.response(200, WhyNotSchema)
def why_not(referral_id, peer_id):
    """Why a peer is, or is not, a candidate: every rule that excludes them, in plain English."""
    actor, now = api_user(), utcnow()
    answer = candidates.why_not(db.session, actor, referral_id, peer_id, now=now)
    candidates.record_candidates_listed(
        db.session, actor=actor, referral_id=referral_id, peer_ids=[peer_id], now=now
    )
    if not answer.eligible:
        return {
            "peer_id": answer.peer_id,
            "eligible": False,
            "excluded_by": [{"code": e.code, "message": e.message} for e in answer.excluded_by],
        }
    return {**_candidate(answer.scored), "eligible": True}


# --- the workflow -----------------------------------------------------------------------------


def _moved(match) -> dict:
    return {"id": match.id, "status": match.status}


def _base_url() -> str:
    return current_app.config.get("BASE_URL", "")


@blp.route("/matches", methods=["POST"])
@write
@blp.arguments(ProposeSchema)
@blp.response(201, MatchMoveSchema)
def propose(data):
    """A coordinator proposes a peer; 409 with the hard rule's code when one is broken."""
    return _moved(
        workflow.propose_match(
            db.session,
            actor=api_user(),
            referral_id=data["referral_id"],
            peer_id=data["peer_id"],
            now=utcnow(),
            base_url=_base_url(),
        )
    )


@blp.route("/matches", methods=["GET"])
@write
@blp.arguments(MatchListArgs, location="query")
@blp.response(200, page_of(MatchSchema))
def list_matches(args):
    """The caller's matches: a peer's own, a person's own, a coordinator's organisation's."""
    actor, now = api_user(), utcnow()
    statement = workflow.matches_query(
        actor, status=args.get("status"), peer_id=args.get("peer_id")
    )
    page = paginate(statement, args)
    workflow.record_matches_listed(db.session, actor=actor, shown=page["items"], now=now)
    page["items"] = [workflow.view_match(db.session, actor, m, now).body() for m in page["items"]]
    return page


@blp.route("/matches/<id:match_id>", methods=["GET"])
@write
@blp.response(200, MatchSchema)
def get_match(match_id):
    """Before the introduction the peer sees only the condition, district, support wanted and
    preferences; from it on, the person's name and email (and the person sees the peer's)."""
    return workflow.get_match_view(db.session, api_user(), match_id, now=utcnow()).body()


@blp.route("/matches/<id:match_id>/accept", methods=["POST"])
@write
@blp.response(200, MatchMoveSchema)
def accept(match_id):
    return _moved(
        workflow.accept_match(db.session, actor=api_user(), match_id=match_id, now=utcnow())
    )


@blp.route("/matches/<id:match_id>/decline", methods=["POST"])
@write
@blp.arguments(DeclineSchema)
@blp.response(200, MatchMoveSchema)
def decline(data, match_id):
    """The referral goes back to the queue with its original waiting time."""
    return _moved(
        workflow.decline_match(
            db.session, actor=api_user(), match_id=match_id, reason=data["reason"], now=utcnow()
        )
    )


@blp.route("/matches/<id:match_id>/introduce", methods=["POST"])
@write
@blp.response(200, MatchMoveSchema)
def introduce(match_id):
    """The person agrees (or a coordinator for them): contact details are shared both ways."""
    return _moved(
        workflow.introduce_match(
            db.session, actor=api_user(), match_id=match_id, now=utcnow(), base_url=_base_url()
        )
    )


@blp.route("/matches/<id:match_id>/close", methods=["POST"])
@write
@blp.arguments(CloseSchema)
@blp.response(200, MatchMoveSchema)
def close(data, match_id):
    return _moved(
        workflow.close_match(
            db.session,
            actor=api_user(),
            match_id=match_id,
            outcome=data["outcome"],
            feedback=data["feedback"],
            what_worked=data["what_worked"],
            what_did_not=data["what_did_not"],
            quote_permission=data["quote_permission"],
            now=utcnow(),
        )
    )


@blp.route("/matches/<id:match_id>/check-ins", methods=["POST"])
@write
@blp.arguments(CheckInInSchema)
@blp.response(201, CheckInSchema)
def check_in(data, match_id):
    return workflow.record_check_in(
        db.session, actor=api_user(), match_id=match_id, note=data["note"], now=utcnow()
    )


@blp.route("/matches/<id:match_id>/support", methods=["POST"])
@write
@blp.arguments(MatchSupportInSchema)
@blp.response(201, MatchSupportSchema)
def log_support(data, match_id):
    """Peer-support time: the peer earns it from the organisation; the person is never charged."""
    exchange = workflow.log_support(
        db.session,
        actor=api_user(),
        match_id=match_id,
        minutes=data["minutes"],
        occurred_on=data["occurred_on"],
        description=data["description"],
        now=utcnow(),
    )
    return {"exchange_id": exchange.id, "status": exchange.status}


@blp.route("/matching/batch", methods=["POST"])
@write
@blp.arguments(BatchInSchema)
@blp.response(200, BatchSchema)
def batch(data):
    """The best assignment of the whole waiting queue; unless a dry run, its proposals are made."""
    planned = workflow.run_batch(
        db.session, api_user(), data["dry_run"], now=utcnow(), base_url=_base_url()
    )
    return {
        "assignments": [
            {"referral_id": a.referral_id, "peer_id": a.peer_id, "score": a.score}
            for a in planned.result.assignments
        ],
        "total_score": planned.result.total_score,
    }
