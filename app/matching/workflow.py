"""The matching workflow: propose → accept → introduce → close (or decline), check-ins, the
peer-support time logged on a match, and the batch for the whole waiting queue.

Services take the session, the actor and ``now``; they add and flush, and the caller commits.
The referral follows the match: waiting → proposed (a live proposal) → matched (introduced) →
closed; a decline puts it back to waiting with its original ``waiting_since`` and records the
pair so that it is never proposed again.

Two coordinators proposing the last place of the same peer at once: the referral's row and then
the peer's row are locked (``FOR UPDATE``, always in that order) before the live matches are
counted, so the second waits for the first to commit and then sees the peer at capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..language import speaker
from ..mail import queue_email
from ..peers import voice
from ..peers.models import PeerProfile, Referral
from ..postcodes import district
from ..timebank import exchanges
from ..timebank.models import Exchange
from ..timebank.services import member_account, organisation_account
from ..wording import N_
from . import assignment, candidates, engine
from . import permissions as can
from .models import LIVE_MATCH_STATUSES, DeclinedPair, Match, MatchCheckIn

MAX_TEXT = 2000
CHECK_IN_AFTER = {"2_weeks": timedelta(days=14), "3_months": timedelta(days=91)}
STATUS_WORDS = {
    "proposed": "proposed",
    "accepted": "accepted",
    "introduced": "introduced",
    "closed": "closed",
    "declined": "declined",
}


# --- loading and checking -------------------------------------------------------------------------


def _lock_match(session: Session, match_id: int) -> Match | None:
    return session.scalar(
        select(Match)
        .where(Match.id == match_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def parties(match: Match) -> tuple[int, int]:
    """(the peer's member id, the person's member id)."""
    return match.peer.member_id, match.referral.member_id


def get_match_for(session: Session, actor: User, match_id: int, *, lock: bool = False) -> Match:
    match = _lock_match(session, match_id) if lock else session.get(Match, match_id)
    if match is None or not can.can_see_match(actor, match, *parties(match)):
        raise NotFound(N_("We could not find that match."))
    return match


def _require(match: Match, *statuses: str, doing: str) -> None:
    if match.status not in statuses:
        raise Conflict(
            f"This match is {STATUS_WORDS[match.status]}, so it cannot be {doing} now.",
            code="invalid_transition",
        )


def _text(value: str | None, name: str, *, required: bool = False, label: str = "text") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"Enter the {label}.", fields={name: f"Enter the {label}."})
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            f"The {label} must be {MAX_TEXT:,} characters or fewer.",
            fields={name: f"Use {MAX_TEXT:,} characters or fewer."},
        )
    return value


def _audit(session: Session, actor: User, action: str, match: Match, now: datetime) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="peer_match",
        object_id=match.id,
        member=match.referral.member,
        now=now,
    )


def _link(base_url: str, match: Match) -> str:
    return f"{base_url.rstrip('/')}/matches/{match.id}"


# --- propose ------------------------------------------------------------------------------------


def _lock_referral(session: Session, referral_id: int) -> Referral | None:
    return session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _lock_peer(session: Session, peer_id: int, organisation_id: int) -> PeerProfile | None:
    return session.scalar(
        select(PeerProfile)
        .where(PeerProfile.id == peer_id, PeerProfile.organisation_id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def propose_match(
    session: Session,
    *,
    actor: User,
    referral_id: int,
    peer_id: int,
    now: datetime,
    base_url: str = "",
) -> Match:
    """A coordinator proposes a peer for a waiting referral. A broken hard rule is a 409 with
    the rule's code, and nothing changes."""
    referral = _lock_referral(session, referral_id)
    if referral is None or not can.can_match(actor, referral.organisation_id):
        raise NotFound(N_("We could not find that referral."))
    peer = _lock_peer(session, peer_id, referral.organisation_id)
    if peer is None:
        raise NotFound(N_("We could not find that peer."))
    if referral.status != "waiting":
        raise Conflict(
            N_(
                "This referral is not waiting for a peer: it already has a proposal or a match, "
                "or it is closed."
            ),
            code="referral_not_waiting",
        )
    facts = candidates.referral_facts(session, referral, now)
    peer_facts = candidates.peer_facts(session, referral.organisation_id, peer.id)
    assert peer_facts is not None  # locked just now
    broken = engine.exclusions(facts, peer_facts)
    if broken:
        raise Conflict(
            broken[0].message,
            code=broken[0].code,
            fields={"peer_id": " ".join(e.message for e in broken)},
        )
    scored = engine.score(facts, peer_facts)
    match = Match(
        referral_id=referral.id,
        peer_profile_id=peer.id,
        organisation_id=referral.organisation_id,
        status="proposed",
        score=scored.score,
        proposed_by_id=actor.id,
        proposed_at=now,
    )
    session.add(match)
    referral.status = "proposed"
    session.flush()
    _audit(session, actor, "match.proposed", match, now)
    if peer.member.email:
        _ = speaker(peer.member.locale).gettext  # in the language the peer chose
        queue_email(
            session,
            to=peer.member.email,
            subject=_("Someone would like your support"),
            body=_(
                "Hello %(name)s,\n\nA coordinator at %(organisation)s thinks you could support "
                "someone as a peer. Sign in to see what they would like, and to accept or "
                "decline:\n%(link)s\n\n"
                "Their name and contact details are shared only if you accept and they agree.",
                name=peer.member.name,
                organisation=peer.member.organisation.name,
                link=_link(base_url, match),
            ),
        )
    return match


# --- accept, decline, introduce, close ---------------------------------------------------------------


def accept_match(session: Session, *, actor: User, match_id: int, now: datetime) -> Match:
    match = get_match_for(session, actor, match_id, lock=True)
    peer_member_id, _ = parties(match)
    if not can.can_answer_proposal(actor, match, peer_member_id):
        raise Forbidden(N_("The peer accepts a proposal, or a coordinator for them."))
    _require(match, "proposed", doing="accepted")
    match.status = "accepted"
    match.accepted_at = now
    match.accepted_by_id = actor.id
    _audit(session, actor, "match.accepted", match, now)
    return match


def decline_match(
    session: Session, *, actor: User, match_id: int, reason: str, now: datetime
) -> Match:
    """The peer (or the person, once the peer accepted, or a coordinator) says no. The referral
    goes back to the queue at its original place; the pair is never proposed again."""
    match = get_match_for(session, actor, match_id, lock=True)
    if not can.can_decline(actor, match, *parties(match)):
        raise Forbidden(N_("The peer declines a proposal, or a coordinator for them."))
    _require(match, "proposed", "accepted", doing="declined")
    reason = _text(reason, "reason", required=True, label="reason")
    match.status = "declined"
    match.declined_at = now
    match.declined_by_id = actor.id
    match.decline_reason = reason
    referral = match.referral
    referral.status = "waiting"  # waiting_since is untouched: the original place in the queue
    session.flush()
    session.add(
        DeclinedPair(
            referral_id=referral.id,
            peer_profile_id=match.peer_profile_id,
            match_id=match.id,
            declined_at=now,
        )
    )
    session.flush()
    _audit(session, actor, "match.declined", match, now)
    return match


def introduce_match(
    session: Session, *, actor: User, match_id: int, now: datetime, base_url: str = ""
) -> Match:
    """The person agrees (or a coordinator for them): contact details are shared both ways, and
    from now on the peer may see the person's conditions (each view audited)."""
    match = get_match_for(session, actor, match_id, lock=True)
    _, person_member_id = parties(match)
    if not can.can_introduce(actor, match, person_member_id):
        raise Forbidden(N_("The person agrees to the introduction, or a coordinator for them."))
    _require(match, "accepted", doing="introduced")
    match.status = "introduced"
    match.introduced_at = now
    match.introduced_by_id = actor.id
    match.referral.status = "matched"
    _audit(session, actor, "match.introduced", match, now)
    _audit(session, actor, "match.conditions_shared", match, now)
    peer, person = match.peer.member, match.referral.member
    link = _link(base_url, match)
    if person.email:
        _ = speaker(person.locale).gettext  # each email in its recipient's language
        values = {"name": person.name, "peer": peer.name, "email": peer.email, "link": link}
        queue_email(
            session,
            to=person.email,
            subject=_("Meet your peer, %(peer)s", peer=peer.name),
            body=(
                _(
                    "Hello %(name)s,\n\n%(peer)s will be your peer. You can email them at "
                    "%(email)s.\n\nThe details are here: %(link)s",
                    **values,
                )
                if peer.email
                else _(
                    "Hello %(name)s,\n\n%(peer)s will be your peer. \n\n"
                    "The details are here: %(link)s",
                    **values,
                )
            ),
        )
    if peer.email:
        _ = speaker(peer.locale).gettext
        values = {"name": peer.name, "person": person.name, "email": person.email, "link": link}
        queue_email(
            session,
            to=peer.email,
            subject=_("Meet %(person)s", person=person.name),
            body=(
                _(
                    "Hello %(name)s,\n\n%(person)s would like your support. You can email them "
                    "at %(email)s.\n\nThe details are here: %(link)s",
                    **values,
                )
                if person.email
                else _(
                    "Hello %(name)s,\n\n%(person)s would like your support. They have no "
                    "email: your coordinator will put you in touch.\n\n"
                    "The details are here: %(link)s",
                    **values,
                )
            ),
        )
    return match


def close_match(
    session: Session,
    *,
    actor: User,
    match_id: int,
    outcome: str,
    feedback: str,
    now: datetime,
    what_worked: str = "",
    what_did_not: str = "",
    quote_permission: bool = False,
) -> Match:
    """Either side, or a coordinator, closes an introduced match with an outcome and their
    feedback (a coordinator's is recorded as the person's, whom they act for). What worked and
    what did not are the members' voice: kept for the commissioners' report, quoted (never with
    a name) only with permission."""
    match = get_match_for(session, actor, match_id, lock=True)
    peer_member_id, _ = parties(match)
    _require(match, "introduced", doing="closed")
    outcome = _text(outcome, "outcome", required=True, label="outcome")
    feedback = _text(feedback, "feedback", label="feedback")
    match.status = "closed"
    match.closed_at = now
    match.closed_by_id = actor.id
    match.outcome = outcome
    if actor.id == peer_member_id:
        match.peer_feedback = feedback or None
    else:
        match.person_feedback = feedback or None
    match.referral.status = "closed"
    match.referral.closed_at = now
    speaker = (
        session.get(User, peer_member_id) if actor.id == peer_member_id else match.referral.member
    )
    voice.record_voice(
        session,
        member=speaker,
        source="match",
        what_worked=what_worked,
        what_did_not=what_did_not,
        quote_permission=quote_permission,
        today=london_date(now),
        now=now,
        match_id=match.id,
    )
    _audit(session, actor, "match.closed", match, now)
    return match


def add_feedback(
    session: Session, *, actor: User, match_id: int, feedback: str, now: datetime
) -> Match:
    """The other side's feedback on a closed match (each side says it once)."""
    match = get_match_for(session, actor, match_id, lock=True)
    peer_member_id, person_member_id = parties(match)
    _require(match, "closed", doing="given feedback")
    feedback = _text(feedback, "feedback", required=True, label="feedback")
    side = "peer_feedback" if actor.id == peer_member_id else "person_feedback"
    if getattr(match, side):
        raise Conflict(N_("Feedback from this side is already recorded."), code="feedback_given")
    setattr(match, side, feedback)
    _audit(session, actor, "match.feedback", match, now)
    return match


# --- check-ins ----------------------------------------------------------------------------------


def check_in_due(match: Match, now: datetime) -> tuple[str, date] | None:
    """The next scheduled check-in not yet recorded, and the day it falls due."""
    if match.introduced_at is None or match.status != "introduced":
        return None
    done = {c.kind for c in match.check_ins}
    for kind, after in CHECK_IN_AFTER.items():
        if kind not in done:
            return kind, london_date(match.introduced_at + after)
    return None


def record_check_in(
    session: Session,
    *,
    actor: User,
    match_id: int,
    note: str,
    now: datetime,
    kind: str | None = None,
) -> MatchCheckIn:
    """A check-in on an introduced match. Without a kind it is the scheduled one falling due
    (2 weeks, then 3 months, counted from the introduction), else ``ad_hoc``."""
    match = get_match_for(session, actor, match_id, lock=True)
    _require(match, "introduced", doing="checked in on")
    note = _text(note, "note", required=True, label="note")
    done = {c.kind for c in match.check_ins}
    if kind is None:
        due = check_in_due(match, now)
        kind = (
            due[0]
            if due and now + timedelta(days=3) >= match.introduced_at + CHECK_IN_AFTER[due[0]]
            else "ad_hoc"
        )
    elif kind not in ("2_weeks", "3_months", "ad_hoc"):
        raise ValidationFailed(
            N_("Choose when this check-in is for."), fields={"kind": N_("Unknown.")}
        )
    elif kind != "ad_hoc" and kind in done:
        raise Conflict(N_("That check-in is already recorded."), code="check_in_recorded")
    check_in = MatchCheckIn(match_id=match.id, kind=kind, note=note, by_id=actor.id, at=now)
    session.add(check_in)
    session.flush()
    _audit(session, actor, "match.checked_in", match, now)
    return check_in


# --- peer-support time ----------------------------------------------------------------------------


def log_support(
    session: Session,
    *,
    actor: User,
    match_id: int,
    minutes: int,
    occurred_on: date,
    description: str,
    now: datetime,
) -> Exchange:
    """Peer-support time on an introduced match: an exchange from the peer to the organisation
    (the person is never charged), linked to the match. The peer's record waits for the person
    (or a coordinator) to confirm; a coordinator's is confirmed at once."""
    match = get_match_for(session, actor, match_id, lock=True)
    peer_member_id, _ = parties(match)
    if not can.can_log_support(actor, match, peer_member_id):
        raise Forbidden(N_("The peer records the time they gave, or a coordinator."))
    _require(match, "introduced", doing="given time on")
    if occurred_on is not None and occurred_on < london_date(match.introduced_at):
        raise ValidationFailed(
            N_("Peer support on this match started on the day of the introduction."),
            fields={"occurred_on": N_("The date must be on or after the introduction.")},
        )
    exchange = exchanges.record_exchange(
        session,
        actor=actor,
        new=exchanges.NewExchange(
            provider=member_account(session, match.peer.member),
            receiver=organisation_account(session, match.organisation_id),
            minutes=minutes,
            category="peer_support",
            occurred_on=occurred_on,
            description=description or "Peer support",
            beneficiary=match.referral.member,
            match_id=match.id,
        ),
        now=now,
    )
    _audit(session, actor, "match.support_logged", match, now)
    return exchange


def support_exchanges(session: Session, match: Match) -> list[Exchange]:
    return list(
        session.scalars(select(Exchange).where(Exchange.match_id == match.id).order_by(Exchange.id))
    )


# --- what each side sees --------------------------------------------------------------------------


@dataclass
class MatchView:
    """What one viewer may see of a match, for both the page and the API."""

    match: Match
    as_peer: bool
    as_person: bool
    coordinator: bool
    sees_person: bool
    referral: dict[str, Any]
    person: dict[str, Any] | None
    peer: dict[str, Any] | None
    condition_names: list[str]
    allowed: list[str] = field(default_factory=list)
    check_in_due: tuple[str, date] | None = None

    def body(self) -> dict[str, Any]:
        """The API's shape: until the introduction the peer sees only id, status, referral."""
        body: dict[str, Any] = {
            "id": self.match.id,
            "status": self.match.status,
            "referral": self.referral,
        }
        if self.coordinator or self.as_person:
            body.update(
                referral_id=self.match.referral_id,
                peer_id=self.match.peer_profile_id,
                proposed_at=self.match.proposed_at,
                accepted_at=self.match.accepted_at,
                introduced_at=self.match.introduced_at,
                closed_at=self.match.closed_at,
                declined_at=self.match.declined_at,
            )
        if self.coordinator:
            body.update(
                decline_reason=self.match.decline_reason,
                outcome=self.match.outcome,
                peer_feedback=self.match.peer_feedback,
                person_feedback=self.match.person_feedback,
            )
        if self.person is not None:
            body["person"] = self.person
        if self.peer is not None:
            body["peer"] = self.peer
        return body


def _referral_summary(
    session: Session, referral: Referral, now: datetime
) -> tuple[dict[str, Any], list[str]]:
    facts = candidates.referral_facts(session, referral, now)
    codes = sorted(facts.condition_codes)
    names = candidates.condition_names(session, codes)
    postcode = facts.postcode
    return (
        {
            "condition_codes": codes,
            "postcode_district": district(postcode) if postcode else None,
            "support_types": list(referral.support_types or []),
            "modes": list(referral.modes or []),
            "preferences": {
                "languages": list(referral.languages or []),
                "peer_gender": referral.peer_gender,
            },
        },
        [names.get(code, code) for code in codes],
    )


def _contact(person: User) -> dict[str, Any]:
    return {"name": person.name, "email": person.email}


def view_match(session: Session, actor: User, match: Match, now: datetime) -> MatchView:
    """Build the viewer's view (no audit: see ``get_match_view`` for the audited read)."""
    peer_member_id, person_member_id = parties(match)
    coordinator = can.can_match(actor, match.organisation_id)
    as_peer = actor.id == peer_member_id
    as_person = actor.id == person_member_id
    sees_person = coordinator or as_person or can.sees_person(actor, match, peer_member_id)
    introduced = match.status in ("introduced", "closed")
    referral, names = _referral_summary(session, match.referral, now)
    show_person = coordinator or (as_peer and introduced)
    show_peer = coordinator or (as_person and introduced)
    allowed = []
    if match.status == "proposed" and can.can_answer_proposal(actor, match, peer_member_id):
        allowed += ["accept", "decline"]
    if match.status == "accepted":
        if can.can_introduce(actor, match, person_member_id):
            allowed.append("introduce")
        if can.can_decline(actor, match, peer_member_id, person_member_id):
            allowed.append("decline")
    if match.status == "introduced":
        allowed += ["check_in", "close"]
        if can.can_log_support(actor, match, peer_member_id):
            allowed.append("log_support")
    if match.status == "closed":
        side = "peer_feedback" if as_peer else "person_feedback"
        if (as_peer or as_person) and not getattr(match, side):
            allowed.append("feedback")
    return MatchView(
        match=match,
        as_peer=as_peer,
        as_person=as_person,
        coordinator=coordinator,
        sees_person=sees_person,
        referral=referral,
        person=_contact(match.referral.member) if show_person else None,
        peer=_contact(match.peer.member) if show_peer else None,
        condition_names=names,
        allowed=allowed,
        check_in_due=check_in_due(match, now),
    )


def get_match_view(session: Session, actor: User, match_id: int, *, now: datetime) -> MatchView:
    """The audited read of one match (it carries the person's conditions)."""
    match = get_match_for(session, actor, match_id)
    _audit(session, actor, "match.viewed", match, now)
    return view_match(session, actor, match, now)


def matches_query(actor: User, *, status: str | None = None, peer_id: int | None = None):
    """The caller's matches: a coordinator's organisation's, else those they take part in."""
    statement = select(Match).join(Referral, Referral.id == Match.referral_id)
    statement = statement.join(PeerProfile, PeerProfile.id == Match.peer_profile_id)
    if can.can_match(actor, actor.organisation_id):
        statement = statement.where(
            or_(
                Match.organisation_id == actor.organisation_id,
                PeerProfile.member_id == actor.id,
                Referral.member_id == actor.id,
            )
        )
    else:
        statement = statement.where(
            or_(PeerProfile.member_id == actor.id, Referral.member_id == actor.id)
        )
    if status:
        statement = statement.where(Match.status == status)
    if peer_id:
        statement = statement.where(Match.peer_profile_id == peer_id)
    return statement.order_by(Match.id.desc())


def record_matches_listed(
    session: Session, *, actor: User, shown: list[Match], now: datetime
) -> None:
    audit.record_list_view(
        session,
        actor=actor,
        action="match.listed",
        object_type="peer_match",
        shown=[(m.id, m.referral.member_id) for m in shown],
        now=now,
    )


def live_match_for_referral(session: Session, referral_id: int) -> Match | None:
    return session.scalar(
        select(Match).where(Match.referral_id == referral_id, Match.status.in_(LIVE_MATCH_STATUSES))
    )


# --- the batch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPlan:
    """The held proposal: the best assignment of the waiting queue (and greedy's, to compare)."""

    result: assignment.BatchResult
    greedy: assignment.BatchResult
    considered: int  # waiting referrals looked at


def plan_batch(session: Session, actor: User, *, now: datetime) -> BatchPlan:
    """The optimum assignment of the organisation's waiting referrals to its peers' spare places,
    over each referral's top candidates (every hard rule holds on every edge)."""
    if not can.can_match(actor, actor.organisation_id):
        raise Forbidden(N_("Only coordinators can match the queue."))
    organisation_id = actor.organisation_id
    referrals = candidates.waiting_referrals(session, organisation_id, now)
    pool = candidates.batch_pool(session, organisation_id)
    edges: list[assignment.Candidate] = []
    for facts in referrals:
        for key, peer in pool.best(facts, candidates.BATCH_CANDIDATES):
            edges.append(assignment.Candidate(facts.id, peer.id, -key[0]))  # key[0] is -score
    spare = {peer.id: max(0, peer.capacity - peer.live_matches) for peer in pool.peers.values()}
    waited = {facts.id: facts.waited_days for facts in referrals}
    return BatchPlan(
        result=assignment.assign(edges, spare, waited),
        greedy=assignment.greedy(edges, spare, waited),
        considered=len(referrals),
    )


def confirm_batch(
    session: Session,
    *,
    actor: User,
    pairs: list[tuple[int, int]],
    now: datetime,
    base_url: str = "",
) -> list[Match]:
    """Create the proposals the coordinator reviewed. Each is checked again under its locks:
    if the queue changed since the review, the whole confirmation is refused (409)."""
    return [
        propose_match(
            session,
            actor=actor,
            referral_id=referral_id,
            peer_id=peer_id,
            now=now,
            base_url=base_url,
        )
        for referral_id, peer_id in sorted(pairs)
    ]


def run_batch(
    session: Session, actor: User, dry_run: bool, *, now: datetime, base_url: str = ""
) -> BatchPlan:
    """Plan the batch; unless it is a dry run, create its proposals."""
    planned = plan_batch(session, actor, now=now)
    if not dry_run:
        confirm_batch(
            session,
            actor=actor,
            pairs=[(a.referral_id, a.peer_id) for a in planned.result.assignments],
            now=now,
            base_url=base_url,
        )
    return planned
