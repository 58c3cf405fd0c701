"""Each scheduled job called with a chosen now: what it sends, that running it twice sends
nothing more, and that catching up after days down sends each reminder once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth.models import Organisation
from app.clock import london_date, utcnow
from app.jobs import runs
from app.jobs.models import ReminderSent
from app.mail import OutboxEmail
from app.notifications import services as inbox
from app.notifications.models import Notification
from app.reports.disclosure import DISCLOSURES
from app.reports.models import ReportSnapshot
from app.timebank import exchanges as ex
from app.timebank.services import member_account, organisation_account
from tests.factories import (
    CoordinatorFactory,
    ExchangeFactory,
    ListingFactory,
    MatchCheckInFactory,
    MatchFactory,
    NotificationPreferenceFactory,
    OrganisationFactory,
    ReferralFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)
from tests.integration.test_ledger import assert_ledger_consistent

NOW = utcnow().replace(second=0, microsecond=0)
TODAY = london_date(NOW)


def texts(session, person) -> list[str]:
    return list(
        session.scalars(
            select(Notification.text)
            .where(Notification.recipient_id == person.id)
            .order_by(Notification.id)
        )
    )


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def organisation(session):
    return OrganisationFactory()


@pytest.fixture()
def coordinator(organisation):
    return CoordinatorFactory(organisation=organisation)


# --- plan reviews -----------------------------------------------------------------------------


def test_review_due_within_14_days_reaches_the_person_and_coordinator_once(
    session, organisation, coordinator
):
    plan = SignedOffSupportPlanFactory(member__organisation=organisation, coordinator=coordinator)
    plan.next_review_on = TODAY + timedelta(days=10)
    session.commit()
    assert runs.run_plan_reviews(session, NOW) == 2
    assert runs.run_plan_reviews(session, NOW) == 0
    assert runs.run_plan_reviews(session, NOW + timedelta(days=3)) == 0
    [mine] = texts(session, plan.member)
    assert mine.startswith("Your support plan review is due on")
    [theirs] = texts(session, coordinator)
    assert theirs.startswith(f"{plan.member.name}’s support plan review is due")


def test_review_not_yet_within_14_days_sends_nothing(session, coordinator):
    plan = SignedOffSupportPlanFactory(
        member__organisation=coordinator.organisation, coordinator=coordinator
    )
    plan.next_review_on = TODAY + timedelta(days=15)
    session.commit()
    assert runs.run_plan_reviews(session, NOW) == 0


def test_overdue_review_gets_its_own_reminder_once_and_a_new_date_starts_again(
    session, coordinator
):
    plan = SignedOffSupportPlanFactory(
        member__organisation=coordinator.organisation, coordinator=coordinator
    )
    plan.next_review_on = TODAY + timedelta(days=1)
    session.commit()
    runs.run_plan_reviews(session, NOW)
    assert runs.run_plan_reviews(session, NOW + timedelta(days=2)) == 2  # now overdue
    assert runs.run_plan_reviews(session, NOW + timedelta(days=9)) == 0
    assert "overdue" in texts(session, plan.member)[-1]
    plan.next_review_on = TODAY + timedelta(days=365)  # reviewed: the next one is a year off
    session.commit()
    assert runs.run_plan_reviews(session, NOW + timedelta(days=360)) == 2


def test_catching_up_after_a_week_down_sends_only_whats_due_now_once(session, coordinator):
    plan = SignedOffSupportPlanFactory(
        member__organisation=coordinator.organisation, coordinator=coordinator
    )
    plan.next_review_on = TODAY - timedelta(days=3)  # fell due while the scheduler was down
    session.commit()
    assert runs.run_plan_reviews(session, NOW) == 2
    assert runs.run_plan_reviews(session, NOW) == 0
    [only] = texts(session, plan.member)
    assert "overdue" in only


# --- referrals --------------------------------------------------------------------------------


def test_referral_waiting_too_long_is_escalated_to_coordinators_once(
    session, organisation, coordinator
):
    second = CoordinatorFactory(organisation=organisation)
    referral = ReferralFactory(
        member__organisation=organisation,
        coordinator=coordinator,
        waiting_since=NOW - timedelta(days=15),
    )
    ReferralFactory(
        member__organisation=organisation,
        coordinator=coordinator,
        waiting_since=NOW - timedelta(days=3),
    )
    assert runs.run_referral_escalations(session, NOW) == 2
    assert runs.run_referral_escalations(session, NOW + timedelta(days=7)) == 0
    assert texts(session, second) == [
        f"{referral.member.name} has waited 15 days for a peer "
        f"(since {runs.format_day(london_date(referral.waiting_since))})."
    ]
    assert texts(session, referral.member) == []  # it goes to the coordinators


def test_referral_escalation_days_come_from_settings(session, coordinator):
    ReferralFactory(
        member__organisation=coordinator.organisation,
        coordinator=coordinator,
        waiting_since=NOW - timedelta(days=15),
    )
    later = runs.JobSettings(referral_escalation_days=20)
    assert runs.run_referral_escalations(session, NOW, later) == 0
    assert runs.run_referral_escalations(session, NOW + timedelta(days=6), later) == 1


# --- pending exchanges ------------------------------------------------------------------------


def _pending(session, days_old: int, **kwargs):
    exchange = ExchangeFactory(**kwargs)
    exchange.created_at = NOW - timedelta(days=days_old)
    session.commit()
    return exchange


def test_exchange_pending_more_than_a_week_reminds_the_member_who_must_confirm(
    session, organisation
):
    organisation.auto_confirm_days = None
    old = _pending(session, 8, provider__organisation=organisation)
    _pending(session, 6, provider__organisation=organisation)
    assert runs.run_pending_exchange_reminders(session, NOW) == 1
    assert runs.run_pending_exchange_reminders(session, NOW + timedelta(days=2)) == 1  # the other
    assert runs.run_pending_exchange_reminders(session, NOW + timedelta(days=9)) == 0
    [text] = texts(session, old.receiver_account.user)
    assert "waiting for you to confirm" in text
    assert texts(session, old.provider_account.user) == []


def test_exchange_waiting_for_the_organisation_reminds_its_coordinators(
    session, organisation, coordinator
):
    member = UserFactory(organisation=organisation)
    exchange = ex.record_exchange(
        session,
        actor=member,
        new=ex.NewExchange(
            provider=member_account(session, member),
            receiver=organisation_account(session, organisation.id),
            minutes=30,
            category="cooking",
            occurred_on=TODAY - timedelta(days=9),
        ),
        now=NOW - timedelta(days=9),
    )
    session.commit()
    assert runs.run_pending_exchange_reminders(session, NOW) == 1
    assert texts(session, coordinator)[0].startswith("30 minutes from")
    assert exchange.awaiting_account_id == organisation_account(session, organisation.id).id


# --- automatic confirmation -------------------------------------------------------------------


def test_undisputed_exchange_is_confirmed_after_the_days_with_a_notice_the_day_before(
    session, organisation
):
    organisation.auto_confirm_days = 14
    exchange = _pending(session, 13, provider__organisation=organisation, minutes=90)
    receiver = exchange.receiver_account.user
    assert runs.run_auto_confirmations(session, NOW - timedelta(hours=1)) == 0
    assert texts(session, receiver) == []  # not yet the day before
    assert runs.run_auto_confirmations(session, NOW) == 0
    [notice] = texts(session, receiver)
    assert "will be confirmed automatically" in notice and "unless you" in notice
    assert exchange.status == "pending"
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=1)) == 1
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=2)) == 0
    session.expire_all()
    assert exchange.status == "confirmed" and exchange.settled_by_id is None
    assert member_account(session, receiver).balance_minutes == -90
    assert "confirmed automatically" in texts(session, exchange.provider_account.user)[-1]
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "exchange",
            AuditEvent.object_id == exchange.id,
            AuditEvent.action == "exchange.confirmed_by_scheduler",
        )
    ).all()
    assert len(events) == 2 and all(event.actor_id is None for event in events)
    assert_ledger_consistent(session)


def test_catching_up_never_confirms_without_a_days_notice(session, organisation):
    organisation.auto_confirm_days = 14
    exchange = _pending(session, 30, provider__organisation=organisation)
    assert runs.run_auto_confirmations(session, NOW) == 0  # the notice first
    assert runs.run_auto_confirmations(session, NOW + timedelta(hours=23)) == 0
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=1)) == 1
    assert exchange.status == "confirmed"


def test_disputed_exchange_is_never_confirmed_automatically(session, organisation):
    organisation.auto_confirm_days = 14
    exchange = _pending(session, 13, provider__organisation=organisation)
    runs.run_auto_confirmations(session, NOW)  # the notice
    ex.dispute_exchange(
        session, actor=exchange.receiver_account.user, exchange_id=exchange.id, now=NOW
    )
    session.commit()
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=30)) == 0
    assert exchange.status == "pending" and exchange.disputed_at == NOW


def test_organisation_with_automatic_confirmation_off_waits_for_a_person(session, organisation):
    organisation.auto_confirm_days = None
    exchange = _pending(session, 60, provider__organisation=organisation)
    assert runs.run_auto_confirmations(session, NOW) == 0
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=2)) == 0
    assert exchange.status == "pending"
    assert count(session, ReminderSent) == 0


def test_balance_limit_leaves_it_pending_and_tells_both_sides_once(session, organisation):
    organisation.auto_confirm_days = 14
    organisation.min_balance_minutes = -60
    exchange = _pending(session, 14, provider__organisation=organisation, minutes=120)
    runs.run_auto_confirmations(session, NOW - timedelta(days=1))  # the notice
    assert runs.run_auto_confirmations(session, NOW) == 0
    assert runs.run_auto_confirmations(session, NOW + timedelta(days=1)) == 0
    session.expire_all()
    assert exchange.status == "pending"
    for person in (exchange.provider_account.user, exchange.receiver_account.user):
        held = [t for t in texts(session, person) if "could not be confirmed" in t]
        assert len(held) == 1, texts(session, person)
    assert member_account(session, exchange.receiver_account.user).balance_minutes == 0
    assert_ledger_consistent(session)


# --- listings ---------------------------------------------------------------------------------


def test_listing_expiring_within_a_week_reminds_its_owner_once_per_expiry(session):
    listing = ListingFactory(expires_on=TODAY + timedelta(days=5))
    ListingFactory(expires_on=TODAY + timedelta(days=30))
    ListingFactory(expires_on=TODAY + timedelta(days=3), withdrawn_at=NOW)
    assert runs.run_listing_expiry_reminders(session, NOW) == 1
    assert runs.run_listing_expiry_reminders(session, NOW + timedelta(days=1)) == 0
    listing.expires_on = TODAY + timedelta(days=190)  # renewed
    session.commit()
    assert runs.run_listing_expiry_reminders(session, NOW + timedelta(days=185)) == 1
    assert len(texts(session, listing.user)) == 2


# --- the weekly digest ------------------------------------------------------------------------


def test_weekly_digest_lists_new_offers_and_requests_near_the_member_once_a_week(
    session, organisation
):
    reader = UserFactory(organisation=organisation, postcode="LS6 2AB")
    NotificationPreferenceFactory(user=reader)
    UserFactory(organisation=organisation, postcode="LS6 3CD")  # not opted in: nothing
    near = UserFactory(organisation=organisation, postcode="LS6 1AA")
    far = UserFactory(organisation=organisation, postcode="LS7 1AA")
    ListingFactory(user=near, title="Lifts to the shops", created_at=NOW - timedelta(days=2))
    ListingFactory(user=near, kind="request", title="Help with a form", created_at=NOW)
    ListingFactory(user=near, title="Old news", created_at=NOW - timedelta(days=20))
    ListingFactory(user=far, title="Far away", created_at=NOW - timedelta(days=1))
    ListingFactory(user=reader, title="My own", created_at=NOW - timedelta(days=1))
    ListingFactory(title="Another organisation", created_at=NOW - timedelta(days=1))
    assert runs.run_weekly_digest(session, NOW) == 1
    assert runs.run_weekly_digest(session, NOW + timedelta(minutes=5)) == 0
    [digest] = texts(session, reader)
    assert digest.startswith("New this week in LS6: 1 offer and 1 request.")
    assert "Lifts to the shops" in digest and "Help with a form" in digest
    for absent in ("Old news", "Far away", "My own", "Another organisation"):
        assert absent not in digest
    assert session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == reader.email))
    next_week = NOW + timedelta(days=7)
    ListingFactory(user=near, title="Next week's", created_at=next_week - timedelta(hours=1))
    assert runs.run_weekly_digest(session, next_week) == 1


def test_no_digest_when_nothing_is_new(session):
    NotificationPreferenceFactory()
    assert runs.run_weekly_digest(session, NOW) == 0


# --- email and the whole run ------------------------------------------------------------------


def test_email_follows_each_persons_choice_and_people_without_email_get_the_inbox(
    session, organisation
):
    organisation.auto_confirm_days = None
    wants = _pending(session, 8, provider__organisation=organisation)
    declines = _pending(session, 8, provider__organisation=organisation)
    no_email = _pending(session, 8, provider__organisation=organisation)
    no_email.receiver_account.user.email = None
    inbox.set_preferences(
        session,
        actor=declines.receiver_account.user,
        email_kinds=set(),
        subscribed_kinds=set(),
        now=NOW,
    )
    session.commit()
    assert runs.run_pending_exchange_reminders(session, NOW) == 3
    addresses = set(session.scalars(select(OutboxEmail.to_address)))
    assert addresses == {wants.receiver_account.user.email}
    assert len(texts(session, no_email.receiver_account.user)) == 1
    assert len(texts(session, declines.receiver_account.user)) == 1


def test_run_due_twice_sends_what_running_it_once_sends(session, organisation, coordinator):
    organisation.auto_confirm_days = 14
    plan = SignedOffSupportPlanFactory(member__organisation=organisation, coordinator=coordinator)
    plan.next_review_on = TODAY
    ReferralFactory(
        member__organisation=organisation,
        coordinator=coordinator,
        waiting_since=NOW - timedelta(days=40),
    )
    _pending(session, 20, provider__organisation=organisation)
    ListingFactory(user__organisation=organisation, expires_on=TODAY + timedelta(days=2))
    _introduced_match(15)
    session.commit()
    first = runs.run_due(session, NOW)
    notifications, reminders = count(session, Notification), count(session, ReminderSent)
    assert first.pop("report_snapshots") == 2 * count(session, Organisation)  # both levels
    assert first == {
        "plan_reviews": 2,
        "referral_escalations": 1,
        "pending_exchange_reminders": 1,
        "auto_confirmations": 0,
        "listing_expiry_reminders": 1,
        "weekly_digest": 0,
        "match_check_ins": 2,
        "idempotency_expiry": 0,  # registered by the API (create_app): stored answers expire
    }
    assert set(runs.run_due(session, NOW).values()) == {0}
    assert (count(session, Notification), count(session, ReminderSent)) == (
        notifications,
        reminders,
    )


def test_a_reminder_claimed_by_another_copy_is_not_sent_again(session):
    person = UserFactory()
    assert runs.claim(session, kind="k", object_id=1, recipient_id=person.id, marker="m", now=NOW)
    assert not runs.claim(
        session, kind="k", object_id=1, recipient_id=person.id, marker="m", now=NOW
    )
    session.commit()
    assert count(session, ReminderSent) == 1


# --- match check-ins --------------------------------------------------------------------------


def _introduced_match(days_ago: int):
    introduced = NOW - timedelta(days=days_ago)
    return MatchFactory(status="introduced", accepted_at=introduced, introduced_at=introduced)


def test_the_two_week_check_in_reaches_both_people_once(session):
    match = _introduced_match(15)
    person, peer = match.referral.member, match.peer.member
    assert runs.run_match_check_ins(session, NOW) == 2
    assert runs.run_match_check_ins(session, NOW + timedelta(days=3)) == 0  # run again: nothing
    assert ["2-week check-in" in text for text in texts(session, person)] == [True]
    assert [peer.name in text for text in texts(session, person)] == [True]
    assert [person.name in text for text in texts(session, peer)] == [True]


def test_no_check_in_is_asked_for_before_two_weeks_or_once_recorded(session):
    early = _introduced_match(13)
    recorded = _introduced_match(20)
    MatchCheckInFactory(match=recorded, kind="2_weeks", by_id=recorded.referral.created_by_id)
    assert runs.run_match_check_ins(session, NOW) == 0
    assert texts(session, early.referral.member) == []


def test_catching_up_after_months_down_asks_only_for_the_three_month_check_in(session):
    match = _introduced_match(100)
    assert runs.run_match_check_ins(session, NOW) == 2
    [text] = texts(session, match.referral.member)
    assert "3-month check-in" in text
    assert runs.run_due(session, NOW)["match_check_ins"] == 0


# --- report snapshots -------------------------------------------------------------------------


def test_last_months_report_is_kept_once_for_every_organisation(session, organisation):
    other = OrganisationFactory()
    made = runs.run_report_snapshots(session, NOW)
    kept = session.scalars(select(ReportSnapshot)).all()
    assert made == len(kept) == 2 * count(session, Organisation)
    assert {organisation.id, other.id} <= {s.organisation_id for s in kept}
    assert {s.disclosure for s in kept} == set(DISCLOSURES)
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert {s.period_start for s in kept} == {last_month}
    assert runs.run_report_snapshots(session, NOW) == 0  # run again: nothing new
    assert runs.run_report_snapshots(session, NOW + timedelta(days=3)) == 0  # same month
