"""Privacy rights (issue 15): the export holds everything about a person; erasure removes what
identifies them and keeps the ledger and every report total exactly as they were."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth import services as auth
from app.auth.models import ApiToken, User
from app.clock import utcnow
from app.demo import COORDINATOR, load_demo
from app.errors import Forbidden, NotFound, ValidationFailed
from app.mail import OutboxEmail
from app.notifications.models import Notification
from app.peers.models import HealthDataConsent, MemberCondition, Referral, SupportPlan
from app.privacy import services as privacy
from app.privacy.models import Erasure
from app.reports.contribution import Period, compute_contribution
from app.reports.disclosure import disclose
from app.timebank.models import Account, Listing
from tests.factories import AdminFactory, CoordinatorFactory, ErasureFactory, UserFactory
from tests.ledger_checks import assert_ledger_invariants

FARHAN = "farhan@example.org"  # the demo's budget holder: conditions, a signed-off plan, a referral
AMINA = "amina@example.org"  # the demo's busiest timebank member


@pytest.fixture()
def demo(session):
    people = load_demo()
    session.commit()
    by_email = {p.email: p for p in session.scalars(select(User)) if p.email}
    return by_email, people[COORDINATOR[1]]


def test_the_export_holds_every_section_with_the_consent_record(session, demo):
    people, coordinator = demo
    farhan = people[FARHAN]
    export = privacy.export_person(session, actor=coordinator, member_id=farhan.id, now=utcnow())
    body = export.as_json()
    assert body["account"]["name"] == farhan.name and body["account"]["email"] == FARHAN
    assert body["conditions"], "the demo records Farhan's conditions"
    assert body["consents"] and body["consents"][0]["withdrawn_at"] is None
    assert body["plans"] and body["plan_supports"] and body["referrals"]
    assert body["hours"]["balance_minutes"] == session.scalar(
        select(Account.balance_minutes).where(Account.user_id == farhan.id)
    )
    amina = privacy.export_person(
        session, actor=coordinator, member_id=people[AMINA].id, now=utcnow()
    ).as_json()
    assert amina["exchanges"] and amina["statement"] and amina["listings"]
    assert amina["statement"][-1]["balance_after_minutes"] == amina["hours"]["balance_minutes"]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.member_id == farhan.id)
    ).all()
    assert "member.exported" in actions
    # The export's own audit row is part of what it shows.
    assert any(row["action"] == "member.exported" for row in body["audit"])


def test_who_may_export_and_erase_is_decided_by_the_permissions(session, demo):
    people, coordinator = demo
    farhan, amina = people[FARHAN], people[AMINA]
    now = utcnow()
    assert privacy.export_person(session, actor=farhan, member_id=farhan.id, now=now)
    with pytest.raises(NotFound):  # another member: not even that the person exists
        privacy.export_person(session, actor=amina, member_id=farhan.id, now=now)
    with pytest.raises(NotFound):
        privacy.export_person(session, actor=CoordinatorFactory(), member_id=farhan.id, now=now)
    with pytest.raises(Forbidden):  # an administrator elsewhere: health data is not theirs
        privacy.export_person(session, actor=AdminFactory(), member_id=farhan.id, now=now)
    with pytest.raises(Forbidden):
        privacy.erase_person(session, actor=farhan, member_id=farhan.id, reason="x", now=now)
    with pytest.raises(Forbidden):
        privacy.erase_person(
            session, actor=coordinator, member_id=coordinator.id, reason="x", now=now
        )
    with pytest.raises(NotFound):
        privacy.erase_person(
            session, actor=CoordinatorFactory(), member_id=farhan.id, reason="x", now=now
        )
    with pytest.raises(ValidationFailed) as refused:
        privacy.erase_person(session, actor=coordinator, member_id=farhan.id, reason=" ", now=now)
    assert "reason" in refused.value.fields
    assert session.scalar(select(func.count()).select_from(Erasure)) == 0


def _every_report(session, organisation):
    period = Period(date(2000, 1, 1), date(2004, 12, 30))
    today = utcnow().date()
    periods = [period, Period(date(today.year - 4, 1, 1), date(today.year, 12, 31))]
    reports = []
    for p in periods:
        exact = compute_contribution(session, organisation, p).as_dict()
        for disclosure in ("coordinator", "published"):
            reports.append(disclose(exact, disclosure))
    return reports


def _totals(report):
    """Every figure of a report except which district a person lives in (an erased person's
    postcode is gone, so their row moves to "Not known"; the sum over districts stays)."""
    kept = {k: v for k, v in report.items() if k != "by_locality"}
    localities = report.get("by_locality") or []
    sums = {}
    for row in localities:
        for key, value in row.items():
            if isinstance(value, int) and not isinstance(value, bool):
                sums[key] = sums.get(key, 0) + value
    return kept, sums


def test_erasure_keeps_the_ledger_and_every_report_total(session, demo):
    people, coordinator = demo
    organisation = coordinator.organisation
    before_reports = [_totals(r) for r in _every_report(session, organisation)]
    balances = dict(session.execute(select(Account.id, Account.balance_minutes)).all())
    for email in (FARHAN, AMINA):
        privacy.erase_person(
            session,
            actor=coordinator,
            member_id=people[email].id,
            reason="They asked us to delete their data.",
            now=utcnow(),
        )
    session.commit()
    session.expire_all()
    assert dict(session.execute(select(Account.id, Account.balance_minutes)).all()) == balances
    assert_ledger_invariants(session)
    after_reports = [_totals(r) for r in _every_report(session, organisation)]
    assert after_reports == before_reports
    assert any(kept["exchanges"] for kept, _ in after_reports), "the reports counted something"


def test_erasure_removes_what_identifies_the_person(session, demo):
    people, coordinator = demo
    farhan = people[FARHAN]
    name, farhan_id = farhan.name, farhan.id
    auth.issue_api_token(session, farhan, utcnow())
    session.commit()
    privacy.erase_person(
        session, actor=coordinator, member_id=farhan_id, reason="Asked to.", now=utcnow()
    )
    session.commit()
    session.expire_all()
    person = session.get(User, farhan_id)
    assert (person.email, person.postcode, person.password_hash, person.active) == (
        None,
        None,
        None,
        False,
    )
    assert name not in person.name
    assert not session.scalars(
        select(MemberCondition).where(MemberCondition.member_id == farhan_id)
    ).all()
    consents = session.scalars(
        select(HealthDataConsent).where(HealthDataConsent.member_id == farhan_id)
    ).all()
    assert consents and all(c.withdrawn_at is not None for c in consents)
    for plan in session.scalars(select(SupportPlan).where(SupportPlan.member_id == farhan_id)):
        # The outcome rows stay (reviews rate them, reports count them); their words do not.
        assert all(text == "" for text in plan.outcomes)
        assert all(s.description == "" for s in plan.supports)
    assert all(
        r.postcode is None
        for r in session.scalars(select(Referral).where(Referral.member_id == farhan_id))
    )
    assert all(
        listing.description == "" and listing.withdrawn_at is not None
        for listing in session.scalars(select(Listing).where(Listing.user_id == farhan_id))
    )
    assert not session.scalars(select(Notification).where(Notification.text.contains(name))).all()
    assert not session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == FARHAN)).all()
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == farhan_id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "member.erased"))
    erasure = session.get(Erasure, event.object_id)
    assert (event.actor_id, event.member_id) == (coordinator.id, farhan_id)
    assert (erasure.erased_by_id, erasure.reason) == (coordinator.id, "Asked to.")


def test_erasing_twice_changes_nothing_more(session):
    erasure = ErasureFactory()
    first = (erasure.id, erasure.erased_at)
    coordinator = session.get(User, erasure.erased_by_id)
    again = privacy.erase_person(
        session, actor=coordinator, member_id=erasure.member_id, reason="Twice", now=utcnow()
    )
    session.commit()
    assert (again.id, again.erased_at, again.reason) == (*first, erasure.reason)
    assert session.scalar(select(func.count()).select_from(Erasure)) == 1
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "member.erased")
        )
        == 1
    )


def test_erasure_runs_every_registered_purge_in_its_unit_of_work(session, monkeypatch):
    forgotten = []
    monkeypatch.setitem(
        auth.PERSON_FORGOTTEN, "test", lambda _session, person: forgotten.append(person.id)
    )
    person = UserFactory()
    coordinator = CoordinatorFactory(organisation=person.organisation)
    privacy.erase_person(
        session, actor=coordinator, member_id=person.id, reason="Asked to.", now=utcnow()
    )
    assert forgotten == [person.id]


def test_erasure_purges_the_stored_api_answers_about_the_person(app, session):
    # The idempotency store registers its purge with forget_person (create_app); erasure runs it.
    from app.api.models import IdempotencyRecord
    from tests.factories import IdempotencyRecordFactory

    coordinator = CoordinatorFactory()
    person = UserFactory(organisation=coordinator.organisation, name="Rosa Stored")
    about = IdempotencyRecordFactory(
        user=coordinator, member_id=person.id, response_body='{"id": 7, "name": "Rosa Stored"}'
    )
    unrelated = IdempotencyRecordFactory(user=coordinator, response_body='{"id": 8, "x": "kept"}')
    session.commit()
    privacy.erase_person(
        session, actor=coordinator, member_id=person.id, reason="They asked", now=utcnow()
    )
    session.commit()
    purged = session.get(IdempotencyRecord, about.id)
    assert "Rosa Stored" not in purged.response_body and purged.purged_at is not None
    assert session.get(IdempotencyRecord, unrelated.id).response_body == '{"id": 8, "x": "kept"}'


def test_erasure_removes_their_words_from_every_plan_version_review_and_voice(app, session):
    from app.peers.models import MemberVoice, PlanOutcome, ReviewOutcome
    from tests.factories import MemberVoiceFactory, PlanReviewFactory, ReviewOutcomeFactory

    review = PlanReviewFactory()
    plan = session.get(SupportPlan, review.plan_id)
    coordinator = session.get(User, plan.created_by_id)
    outcome = session.scalars(select(PlanOutcome).where(PlanOutcome.plan_id == plan.id)).first()
    if outcome is None:
        outcome = PlanOutcome(plan_id=plan.id, version=1, position=0, text="Walk to the shops")
        session.add(outcome)
        session.flush()
    rated = ReviewOutcomeFactory(review=review, outcome_id=outcome.id, comment="I walk daily now")
    voice = MemberVoiceFactory(review=review, what_worked="My peer Rosa listened")
    session.commit()
    privacy.erase_person(
        session, actor=coordinator, member_id=plan.member_id, reason="They asked", now=utcnow()
    )
    session.commit()
    session.expire_all()
    assert session.get(PlanOutcome, outcome.id).text == ""
    assert session.get(ReviewOutcome, rated.id).comment == ""
    kept = session.get(MemberVoice, voice.id)
    assert kept.what_worked == "" and kept.quote_permission is False
