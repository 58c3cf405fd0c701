"""Identity services: creating people, sign-in throttling, one-time links, API tokens."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import User
from app.clock import utcnow
from app.errors import Conflict, Forbidden, NotFound, Throttled, ValidationFailed
from app.mail import OutboxEmail
from app.timebank.models import Account
from tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    CoordinatorFactory,
    OrganisationFactory,
    UserFactory,
)

BASE = "http://example.test"
POLICY = auth.ThrottlePolicy(
    window_minutes=15, max_failures_per_account=5, max_failures_per_address=20
)


def new(**kwargs):
    kwargs.setdefault("name", "Pat Jones")
    return auth.NewMember(**kwargs)


def test_creating_an_organisation_opens_its_account_and_chest(session):
    admin = AdminFactory()
    organisation = auth.create_organisation(session, actor=admin, name="Harehills Timebank")
    kinds = session.scalars(
        select(Account.kind).where(Account.organisation_id == organisation.id)
    ).all()
    assert sorted(kinds) == ["chest", "organisation"]


def test_only_admins_create_organisations(session):
    with pytest.raises(Forbidden):
        auth.create_organisation(session, actor=CoordinatorFactory(), name="Another")


def test_organisation_names_are_unique_ignoring_case(session):
    auth.create_organisation(session, actor=None, name="Chapel Allerton Church")
    with pytest.raises(Conflict) as caught:
        auth.create_organisation(session, actor=None, name="chapel allerton church")
    assert caught.value.code == "name_taken"


def test_coordinator_adds_member_with_account_and_invitation(session):
    coordinator = CoordinatorFactory()
    user = auth.create_member(
        session,
        actor=coordinator,
        new=new(email="Pat@Example.org", postcode="ls62ab"),
        now=utcnow(),
        base_url=BASE,
    )
    assert user.email == "pat@example.org"
    assert user.postcode == "LS6 2AB"
    assert user.organisation_id == coordinator.organisation_id
    assert session.scalar(select(Account).where(Account.user_id == user.id)).balance_minutes == 0
    email = session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "pat@example.org"))
    assert f"{BASE}/invitations/" in email.body


def test_member_without_email_is_recorded_for(session):
    user = auth.create_member(
        session, actor=CoordinatorFactory(), new=new(), now=utcnow(), base_url=BASE
    )
    assert user.email is None and user.password_hash is None


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"postcode": "nowhere"}, "postcode"),
        ({"password": "short"}, "password"),
        ({"role": "superuser"}, "role"),
    ],
)
def test_bad_member_details_are_refused_with_the_field(session, fields, bad_field):
    coordinator = CoordinatorFactory()
    before = session.scalar(select(User.id).order_by(User.id.desc()))
    with pytest.raises(ValidationFailed) as caught:
        auth.create_member(
            session, actor=coordinator, new=new(**fields), now=utcnow(), base_url=BASE
        )
    assert bad_field in caught.value.fields
    assert session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_duplicate_email_is_a_conflict(session):
    existing = UserFactory()
    with pytest.raises(Conflict) as caught:
        auth.create_member(
            session,
            actor=CoordinatorFactory(),
            new=new(email=existing.email.upper()),
            now=utcnow(),
            base_url=BASE,
        )
    assert caught.value.code == "email_taken"


def test_coordinator_cannot_create_an_admin_or_add_to_another_organisation(session):
    coordinator = CoordinatorFactory()
    with pytest.raises(Forbidden):
        auth.create_member(
            session, actor=coordinator, new=new(role="admin"), now=utcnow(), base_url=BASE
        )
    other = OrganisationFactory()
    with pytest.raises(Forbidden):
        auth.create_member(
            session,
            actor=coordinator,
            new=new(organisation_id=other.id),
            now=utcnow(),
            base_url=BASE,
        )


def test_members_cannot_create_members(session):
    with pytest.raises(Forbidden):
        auth.create_member(session, actor=UserFactory(), new=new(), now=utcnow(), base_url=BASE)


def test_authenticate_accepts_the_right_password_only(session):
    user = UserFactory()
    now = utcnow()
    assert (
        auth.authenticate(
            session,
            email=user.email.upper(),
            password=TEST_PASSWORD,
            address="1.2.3.4",
            now=now,
            policy=POLICY,
        )
        == user
    )
    assert (
        auth.authenticate(
            session, email=user.email, password="wrong", address="1.2.3.4", now=now, policy=POLICY
        )
        is None
    )


def test_sign_in_locks_after_five_failures_then_recovers(session):
    user = UserFactory()
    now = utcnow()
    for _ in range(5):
        auth.authenticate(
            session, email=user.email, password="nope", address="1.1.1.1", now=now, policy=POLICY
        )
    with pytest.raises(Throttled) as caught:
        auth.authenticate(
            session,
            email=user.email,
            password=TEST_PASSWORD,
            address="2.2.2.2",
            now=now,
            policy=POLICY,
        )
    assert 0 < caught.value.retry_after_seconds <= 15 * 60
    later = now + timedelta(minutes=16)
    assert (
        auth.authenticate(
            session,
            email=user.email,
            password=TEST_PASSWORD,
            address="2.2.2.2",
            now=later,
            policy=POLICY,
        )
        == user
    )


def test_one_address_guessing_many_accounts_is_throttled(session):
    now = utcnow()
    for n in range(20):
        auth.authenticate(
            session,
            email=f"guess{n}@example.org",
            password="x",
            address="9.9.9.9",
            now=now,
            policy=POLICY,
        )
    with pytest.raises(Throttled):
        auth.authenticate(
            session,
            email="another@example.org",
            password="x",
            address="9.9.9.9",
            now=now,
            policy=POLICY,
        )


def test_successful_sign_ins_are_not_throttled(session):
    user = UserFactory()
    now = utcnow()
    for _ in range(60):
        assert (
            auth.authenticate(
                session,
                email=user.email,
                password=TEST_PASSWORD,
                address="3.3.3.3",
                now=now,
                policy=POLICY,
            )
            == user
        )


def test_invitation_link_sets_password_once(session):
    user = auth.create_member(
        session,
        actor=CoordinatorFactory(),
        new=new(email="newbie@example.org"),
        now=utcnow(),
        base_url=BASE,
    )
    body = session.scalar(
        select(OutboxEmail.body).where(OutboxEmail.to_address == "newbie@example.org")
    )
    raw = body.split("/invitations/")[1].split()[0]
    auth.set_password_with_token(
        session, raw_token=raw, purpose="invitation", password="a long new password", now=utcnow()
    )
    assert auth.password_matches(user, "a long new password")
    with pytest.raises(NotFound):
        auth.set_password_with_token(
            session, raw_token=raw, purpose="invitation", password="another long one", now=utcnow()
        )


def test_invitation_link_expires(session):
    user = UserFactory(password_hash=None)
    now = utcnow()
    raw = auth.invite(session, user=user, now=now, base_url=BASE, days=14)
    with pytest.raises(NotFound):
        auth.find_user_token(session, raw, "invitation", now + timedelta(days=15))
    with pytest.raises(NotFound):
        auth.find_user_token(session, raw, "password_reset", now)


def test_password_reset_emails_known_addresses_only(session):
    user = UserFactory()
    auth.request_password_reset(session, email=user.email, now=utcnow(), base_url=BASE)
    auth.request_password_reset(session, email="nobody@example.org", now=utcnow(), base_url=BASE)
    recipients = session.scalars(select(OutboxEmail.to_address)).all()
    assert user.email in recipients and "nobody@example.org" not in recipients


def test_api_tokens_are_stored_hashed_and_revocable(session):
    user = UserFactory()
    raw = auth.issue_api_token(session, user, utcnow())
    token = auth.api_token_by_raw(session, raw)
    assert token.token_hash != raw and raw not in token.token_hash
    assert auth.user_for_api_token(session, raw, utcnow()) == user
    auth.revoke_api_token(session, actor=user, token_id=token.id, now=utcnow())
    assert auth.user_for_api_token(session, raw, utcnow()) is None


def test_inactive_people_cannot_use_tokens_or_sign_in(session):
    user = UserFactory()
    raw = auth.issue_api_token(session, user, utcnow())
    user.active = False
    assert auth.user_for_api_token(session, raw, utcnow()) is None
    assert (
        auth.authenticate(
            session,
            email=user.email,
            password=TEST_PASSWORD,
            address="4.4.4.4",
            now=utcnow(),
            policy=POLICY,
        )
        is None
    )
