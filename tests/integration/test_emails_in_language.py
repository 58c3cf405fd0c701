"""Every email in its recipient's stored language, whoever's request (or no request: the
scheduler) sent it: an Urdu-speaking member's subject and body are Urdu, an English one's are
English exactly as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import has_request_context
from sqlalchemy import select

from app.auth import services as auth
from app.clock import london_date
from app.jobs import runs
from app.mail import OutboxEmail
from app.matching import workflow
from app.notifications.models import Notification
from tests.factories import (
    CoordinatorFactory,
    ListingFactory,
    MatchFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)
from tests.integration.conftest import NOW
from tests.matching_network import network, place

TODAY = london_date(NOW)
URDU_LETTERS = range(0x0600, 0x06FF + 1)


def email_to(session, address: str) -> OutboxEmail:
    """The latest email queued for ``address``."""
    return session.scalars(
        select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id.desc())
    ).first()


def is_urdu(text: str) -> bool:
    """Mostly Arabic-script letters (names, links and numbers aside)."""
    letters = [ch for ch in text if ch.isalpha()]
    urdu = [ch for ch in letters if ord(ch) in URDU_LETTERS]
    return len(urdu) > len(letters) / 2


def test_an_invitation_is_in_the_invited_persons_language(session):
    urdu = UserFactory(locale="ur", email="nadia@example.org", password_hash=None)
    english = UserFactory(locale="en_GB", email="ben@example.org", password_hash=None)
    auth.invite(session, user=urdu, now=NOW, base_url="https://gg.example", days=14)
    auth.invite(session, user=english, now=NOW, base_url="https://gg.example", days=14)

    ur = email_to(session, urdu.email)
    assert ur.subject == (
        f"آپ کو Give and Get پر {urdu.organisation.name} میں شامل ہونے کی دعوت دی گئی ہے"
    )
    assert ur.body.startswith(f"ہیلو {urdu.name}،") and is_urdu(ur.body)
    assert "https://gg.example/invitations/" in ur.body and "14 دن" in ur.body

    en = email_to(session, english.email)
    assert en.subject == f"You are invited to {english.organisation.name} on Give and Get"
    assert en.body.startswith(f"Hello {english.name},\n\n{english.organisation.name} has added")
    assert en.body.endswith("\n\nThe link works for 14 days.\n")


def test_a_password_reset_is_in_the_account_holders_language(session):
    urdu = UserFactory(locale="ur", email="saima@example.org")
    english = UserFactory(locale=None, email="tom@example.org")  # never chose: English
    for person in (urdu, english):
        auth.request_password_reset(
            session, email=person.email, now=NOW, base_url="https://gg.example"
        )
    ur = email_to(session, urdu.email)
    assert ur.subject == "اپنا Give and Get پاس ورڈ نیا بنائیں"
    assert is_urdu(ur.body) and "https://gg.example/password/reset/" in ur.body
    en = email_to(session, english.email)
    assert en.subject == "Reset your Give and Get password"
    assert "If it was you, choose a new password here:\nhttps://gg.example/password/reset/" in (
        en.body
    )


@pytest.fixture()
def net(session):
    n = network()
    place("LS6 2AB", 0)
    place("LS6 3AA", 1.8)
    return n


def test_match_emails_are_each_in_their_recipients_language(session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    peer.member.locale = "ur"
    referral.member.locale = "en_GB"
    net.coordinator.locale = "en_GB"  # the sender's language never decides the email's

    match = workflow.propose_match(
        session, actor=net.coordinator, referral_id=referral.id, peer_id=peer.id, now=NOW
    )
    proposal = email_to(session, peer.member.email)
    assert proposal.subject == "کوئی آپ کی مدد چاہتا ہے" and is_urdu(proposal.body)

    workflow.accept_match(session, actor=peer.member, match_id=match.id, now=NOW)
    workflow.introduce_match(session, actor=referral.member, match_id=match.id, now=NOW)
    to_peer = email_to(session, peer.member.email)
    assert to_peer.subject == f"{referral.member.name} سے ملیے" and is_urdu(to_peer.body)
    to_person = email_to(session, referral.member.email)
    assert to_person.subject == f"Meet your peer, {peer.member.name}"
    assert to_person.body.startswith(f"Hello {referral.member.name},\n\n{peer.member.name} will")


def test_scheduled_reminders_speak_each_recipients_language_without_a_request(session):
    """The scheduler has no request: the recipient's stored locale decides the words, in the
    inbox and in the email (with its footer), and the date is Babel's Urdu date."""
    assert not has_request_context()
    member = UserFactory(locale="ur", email="amina@example.org")
    coordinator = CoordinatorFactory(organisation=member.organisation, locale="en_GB")
    due = TODAY + timedelta(days=10)
    SignedOffSupportPlanFactory(member=member, next_review_on=due)

    assert runs.run_plan_reviews(session, NOW) >= 2  # the member and every coordinator

    theirs = email_to(session, member.email)
    day_in_urdu = runs.format_day(due, "ur")
    assert day_in_urdu != runs.format_day(due)  # the month's name is Urdu
    assert theirs.subject == f"آپ کے سپورٹ پلان کا جائزہ {day_in_urdu} کو ہونا ہے۔"
    assert "آپ یہ اپنے Give and Get ان باکس میں دیکھ سکتے ہیں" in theirs.body
    inbox = session.scalars(select(Notification.text).where(Notification.recipient_id == member.id))
    assert list(inbox) == [theirs.subject]

    coordinators = email_to(session, coordinator.email)
    assert coordinators.subject == (
        f"{member.name}’s support plan review is due on {runs.format_day(due)}."
    )
    assert "You can see this in your Give and Get inbox, and choose which messages" in (
        coordinators.body
    )


def test_listing_and_check_in_reminders_in_urdu(session):
    listing = ListingFactory(expires_on=TODAY + timedelta(days=5), user__locale="ur")
    assert runs.run_listing_expiry_reminders(session, NOW) == 1
    email = email_to(session, listing.user.email)
    assert email.subject.startswith(f"آپ کے اندراج “{listing.title}” کی مدت")

    introduced = NOW - timedelta(days=15)
    match = MatchFactory(status="introduced", accepted_at=introduced, introduced_at=introduced)
    match.peer.member.locale = "ur"
    assert runs.run_match_check_ins(session, NOW) == 2
    to_peer = email_to(session, match.peer.member.email)
    assert "2 ہفتے والا حال احوال" in to_peer.subject
    assert match.referral.member.name in to_peer.subject
    to_person = email_to(session, match.referral.member.email)
    assert to_person.subject.startswith("Your 2-week check-in on peer support with")
