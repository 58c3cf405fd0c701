"""factory-boy factories for every model, bound to the test session by conftest.

Rows the application only makes through a service are made through that service here too:
accounts are opened by ``open_member_account`` / ``open_organisation_accounts``, exchanges are
recorded (and confirmed) by ``app.timebank.exchanges``, and ledger transactions and legs only
ever come from a real posting — never invented. ``tests/integration/test_factories.py`` checks
that every mapped model has a factory here and that each one builds a valid row.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from faker import Faker
from sqlalchemy import select

from app.api.models import IdempotencyRecord
from app.audit import AuditEvent
from app.auth import services as auth
from app.auth.models import (
    ActingArrangement,
    ApiToken,
    Organisation,
    SignInAttempt,
    User,
    UserToken,
)
from app.clock import london_date, utcnow
from app.jobs.models import ReminderSent
from app.mail import OutboxEmail
from app.matching.models import DeclinedPair, Match, MatchCheckIn, PostcodeCentroid
from app.names import CONDITION, NameTranslation
from app.notifications.models import Notification, NotificationPreference
from app.peers.models import (
    Condition,
    HealthDataConsent,
    MemberCondition,
    MemberVoice,
    PeerLanguage,
    PeerMode,
    PeerProfile,
    PeerSupportType,
    PlanOutcome,
    PlanReview,
    PlanSupport,
    PlanVersion,
    Referral,
    ReviewOutcome,
    SupportPlan,
    VoiceTag,
    VoiceTheme,
    WellbeingAnswer,
)
from app.peers.plans import FIRST_REVIEW_MONTHS, add_months, version_row_of
from app.privacy.models import Erasure
from app.reports import services as reports
from app.reports.models import ReportSnapshot
from app.timebank import exchanges as ex
from app.timebank import partnerships
from app.timebank import services as timebank
from app.timebank.models import (
    Account,
    DirectoryEntry,
    Exchange,
    ImportedRecord,
    LedgerTransaction,
    Leg,
    Listing,
    Partnership,
)

_FAKE = Faker("en_GB")

TEST_PASSWORD = "correct horse battery"
_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = auth.hash_password(TEST_PASSWORD)
    return _PASSWORD_HASH


def _today():
    return london_date(utcnow())


def _days_ago(days: int):
    return factory.LazyFunction(lambda: _today() - timedelta(days=days))


def _in_organisation_of(name: str) -> factory.SelfAttribute:
    """For a SubFactory: the organisation of the sibling declaration ``name``."""
    return factory.SelfAttribute(f"..{name}.organisation")


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"


def _session():
    return BaseFactory._meta.sqlalchemy_session


# --- organisations and people -------------------------------------------------------------------


class OrganisationFactory(BaseFactory):
    """An organisation with its organisation account and community chest, opened by the
    timebank's service (``accounts=False`` leaves them unopened)."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")

    @factory.post_generation
    def accounts(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            timebank.open_organisation_accounts(_session(), obj)
            _session().commit()


class UserFactory(BaseFactory):
    """A member with an hours account (``account=False`` leaves it unopened)."""

    class Meta:
        model = User

    organisation = factory.SubFactory(OrganisationFactory)
    # Faker's British names include "O'Brien", which a page shows escaped (O&#39;Brien): tests
    # that look for a name in a page would then fail at random. Drop the apostrophe.
    name = factory.LazyFunction(lambda: _FAKE.name().replace("'", ""))
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password_hash = factory.LazyFunction(_password_hash)
    role = "member"
    postcode = "LS6 2AB"

    @factory.post_generation
    def account(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            timebank.open_member_account(_session(), obj)
            _session().commit()


MemberFactory = UserFactory


class CoordinatorFactory(UserFactory):
    role = "coordinator"


class AdminFactory(UserFactory):
    role = "admin"


class UserTokenFactory(BaseFactory):
    """A one-time link; pass ``raw=`` to know the token in the link."""

    class Meta:
        model = UserToken

    class Params:
        raw = factory.Sequence(lambda n: f"test-user-token-{n}")

    user = factory.SubFactory(UserFactory)
    purpose = "invitation"
    token_hash = factory.LazyAttribute(lambda o: auth.hash_token(o.raw))
    created_at = factory.LazyFunction(utcnow)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=14))


class ApiTokenFactory(BaseFactory):
    """An API token; pass ``raw=`` to send it as ``Authorization: Bearer <raw>``."""

    class Meta:
        model = ApiToken

    class Params:
        raw = factory.Sequence(lambda n: f"gg_test-api-token-{n}")

    user = factory.SubFactory(UserFactory)
    token_hash = factory.LazyAttribute(lambda o: auth.hash_token(o.raw))
    name = "Test token"
    created_at = factory.LazyFunction(utcnow)


class SignInAttemptFactory(BaseFactory):
    class Meta:
        model = SignInAttempt

    email = factory.Sequence(lambda n: f"attempt{n}@example.org")
    address = "192.0.2.1"
    succeeded = False
    at = factory.LazyFunction(utcnow)


class OutboxEmailFactory(BaseFactory):
    class Meta:
        model = OutboxEmail

    to_address = factory.Sequence(lambda n: f"outbox{n}@example.org")
    subject = "You are invited to Give & Get"
    body = "Follow the link to set your password."
    created_at = factory.LazyFunction(utcnow)


# --- the timebank -------------------------------------------------------------------------------


class AccountFactory(BaseFactory):
    """An account opened by the timebank's service: a new member's (the default), or with
    ``kind="organisation"`` or ``kind="chest"`` one of a new organisation's pair (both open)."""

    class Meta:
        model = Account

    kind = "member"
    organisation = factory.SubFactory(OrganisationFactory, accounts=False)
    user = factory.Maybe(
        factory.LazyAttribute(lambda o: o.kind == "member"),
        yes_declaration=factory.SubFactory(
            UserFactory, organisation=factory.SelfAttribute("..organisation"), account=False
        ),
        no_declaration=None,
    )

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        if kwargs["kind"] == "member":
            account = timebank.open_member_account(session, kwargs["user"])
        else:
            timebank.open_organisation_accounts(session, kwargs["organisation"])
            account = timebank.organisation_account(
                session, kwargs["organisation"].id, kwargs["kind"]
            )
        session.commit()
        return account


class ListingFactory(BaseFactory):
    class Meta:
        model = Listing

    user = factory.SubFactory(UserFactory)
    organisation_id = factory.LazyAttribute(lambda o: o.user.organisation_id)
    kind = "offer"
    title = factory.Sequence(lambda n: f"I can cook a meal ({n})")
    description = "Vegetarian, and I can bring it round."
    category = "cooking"
    availability = "Weekday evenings"
    created_at = factory.LazyFunction(utcnow)
    expires_on = factory.LazyFunction(lambda: _today() + timedelta(days=90))


class DirectoryEntryFactory(BaseFactory):
    class Meta:
        model = DirectoryEntry

    user = factory.SubFactory(UserFactory)
    listed = True
    about = "Retired joiner; happy to help with small repairs."
    show_email = False
    show_district = True
    updated_at = factory.LazyFunction(utcnow)


class ExchangeFactory(BaseFactory):
    """A pending exchange recorded by the provider through ``record_exchange`` (so it is
    validated and audited like a real one); the receiver is asked to confirm."""

    class Meta:
        model = Exchange

    provider = factory.SubFactory(UserFactory)
    receiver = factory.SubFactory(UserFactory, organisation=_in_organisation_of("provider"))
    recorded_by = factory.SelfAttribute("provider")
    minutes = 60
    category = "cooking"
    occurred_on = factory.LazyFunction(_today)
    description = "Cooked a meal"

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        exchange = ex.record_exchange(
            session,
            actor=kwargs["recorded_by"],
            new=ex.NewExchange(
                provider=timebank.member_account(session, kwargs["provider"]),
                receiver=timebank.member_account(session, kwargs["receiver"]),
                minutes=kwargs["minutes"],
                category=kwargs["category"],
                occurred_on=kwargs["occurred_on"],
                description=kwargs["description"],
            ),
            now=utcnow(),
        )
        session.commit()
        return exchange


PendingExchangeFactory = ExchangeFactory


class ConfirmedExchangeFactory(ExchangeFactory):
    """Recorded by the provider, then confirmed by the receiver through ``confirm_exchange``:
    the ledger posts it, so legs, balances and audit rows are the real ones."""

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        exchange = super()._save(model_class, session, args, kwargs)
        ex.confirm_exchange(
            session, actor=kwargs["receiver"], exchange_id=exchange.id, now=utcnow()
        )
        session.commit()
        return exchange


class PartnershipFactory(BaseFactory):
    """A partnership proposed by a coordinator of one organisation and (``status="active"``,
    the default) accepted by a coordinator of the other, through the partnership service."""

    class Meta:
        model = Partnership

    organisation = factory.SubFactory(OrganisationFactory)
    partner_organisation = factory.SubFactory(OrganisationFactory)
    limit_minutes = 600
    status = "active"

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        proposer = CoordinatorFactory(organisation=kwargs["organisation"])
        partnership = partnerships.propose_partnership(
            session,
            actor=proposer,
            partner_organisation_id=kwargs["partner_organisation"].id,
            limit_minutes=kwargs["limit_minutes"],
            now=utcnow(),
        )
        if kwargs["status"] in ("active", "ended"):
            accepter = CoordinatorFactory(organisation=kwargs["partner_organisation"])
            partnerships.accept_partnership(
                session, actor=accepter, partnership_id=partnership.id, now=utcnow()
            )
        if kwargs["status"] == "ended":
            partnerships.end_partnership(
                session, actor=proposer, partnership_id=partnership.id, now=utcnow()
            )
        session.commit()
        return partnership


class ImportedRecordFactory(BaseFactory):
    """A member moved in from another timebank, keyed by the source's member_uid."""

    class Meta:
        model = ImportedRecord

    user = factory.SubFactory(UserFactory)
    organisation_id = factory.LazyAttribute(lambda o: o.user.organisation_id)
    source = "timeoverflow"
    source_key = factory.Sequence(lambda n: str(n + 1))
    imported_at = factory.LazyFunction(utcnow)


class LedgerTransactionFactory(BaseFactory):
    """The posting of a confirmed exchange (the ledger service wrote it)."""

    class Meta:
        model = LedgerTransaction

    exchange = factory.SubFactory(ConfirmedExchangeFactory)

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        return session.scalar(
            select(LedgerTransaction).where(
                LedgerTransaction.exchange_id == kwargs["exchange"].id,
                LedgerTransaction.kind == "exchange",
            )
        )


class LegFactory(BaseFactory):
    """One leg of a real posting: the provider's credit (``side="receiver"`` for the debit)."""

    class Meta:
        model = Leg

    transaction = factory.SubFactory(LedgerTransactionFactory)
    side = "provider"

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        transaction = kwargs["transaction"]
        credit = kwargs["side"] == "provider"
        return next(leg for leg in transaction.legs if (leg.amount_minutes > 0) == credit)


# --- conditions and consent ---------------------------------------------------------------------


class ConditionFactory(BaseFactory):
    class Meta:
        model = Condition

    code = factory.Sequence(lambda n: f"test_condition_{n}")
    name = factory.Sequence(lambda n: f"Test condition {n}")
    group = "Test conditions"
    created_at = factory.LazyFunction(utcnow)


class HealthDataConsentFactory(BaseFactory):
    """Live consent for peer support, recorded by a coordinator of the person's organisation."""

    class Meta:
        model = HealthDataConsent
        exclude = ("member",)

    member = factory.SubFactory(UserFactory)
    member_id = factory.SelfAttribute("member.id")
    purpose = "peer_support"
    recorded_by = factory.SubFactory(CoordinatorFactory, organisation=_in_organisation_of("member"))
    recorded_at = factory.LazyFunction(utcnow)


class MemberConditionFactory(BaseFactory):
    """A condition a person lives with, under a live consent of their own."""

    class Meta:
        model = MemberCondition
        exclude = ("member", "consent")

    member = factory.SubFactory(UserFactory)
    consent = factory.SubFactory(HealthDataConsentFactory, member=factory.SelfAttribute("..member"))
    member_id = factory.SelfAttribute("member.id")
    consent_id = factory.SelfAttribute("consent.id")
    condition = factory.SubFactory(ConditionFactory)
    relationship_kind = "own"
    created_at = factory.LazyFunction(utcnow)


# --- peers, plans, referrals --------------------------------------------------------------------


class PeerProfileFactory(BaseFactory):
    """A draft peer profile (not yet approved) a coordinator entered."""

    class Meta:
        model = PeerProfile
        exclude = ("approver",)

    class Params:
        from_sign_off = factory.Trait(
            support_types=[],
            modes=[],
            languages=[],
            source="sign_off",
            notes="Offered at sign-off to support someone else later.",
        )

    member = factory.SubFactory(UserFactory)
    organisation_id = factory.SelfAttribute("member.organisation_id")
    support_types = factory.LazyFunction(lambda: ["talk"])
    modes = factory.LazyFunction(lambda: ["phone"])
    languages = factory.LazyFunction(lambda: ["English"])
    capacity = 1
    travel_km = 5
    source = "coordinator"
    notes = ""
    created_at = factory.LazyFunction(utcnow)
    approver = None


DraftPeerProfileFactory = PeerProfileFactory


class ApprovedPeerProfileFactory(PeerProfileFactory):
    """An approved peer who accompanies people in person, so with a DBS check on file."""

    support_types = factory.LazyFunction(lambda: ["talk", "accompany"])
    modes = factory.LazyFunction(lambda: ["in_person", "phone"])
    references_checked_on = _days_ago(40)
    dbs_checked_on = _days_ago(30)
    training_completed_on = _days_ago(20)
    approver = factory.SubFactory(CoordinatorFactory, organisation=_in_organisation_of("member"))
    approved_by_id = factory.SelfAttribute("approver.id")
    approved_at = factory.LazyFunction(utcnow)


def _default_supports() -> list[PlanSupport]:
    return [
        PlanSupport(
            kind="paid",
            description="Personal assistant, 6 hours a week",
            provider="Own PA",
            annual_pence=900_000,
        ),
        PlanSupport(
            kind="give_and_get",
            type="timebank",
            description="Lifts to the allotment",
            hours_per_month=8,
        ),
        PlanSupport(
            kind="give_and_get",
            type="peer",
            description="Talking to someone who has been there",
            hours_per_month=2,
        ),
    ]


class SupportPlanFactory(BaseFactory):
    """A draft plan with a mixed budget whose split adds up, one paid and two give-and-get
    supports (``supports=[]`` for none)."""

    class Meta:
        model = SupportPlan
        exclude = ("coordinator",)

    member = factory.SubFactory(UserFactory)
    organisation_id = factory.SelfAttribute("member.organisation_id")
    coordinator = factory.SubFactory(CoordinatorFactory, organisation=_in_organisation_of("member"))
    created_by_id = factory.SelfAttribute("coordinator.id")
    budget_pence = 1_250_000
    management = "mixed"
    split_pence = factory.LazyFunction(lambda: {"notional": 1_000_000, "direct_payment": 250_000})
    outcomes = factory.LazyFunction(lambda: ["Get to the allotment twice a week"])
    status = "draft"
    created_at = factory.LazyFunction(utcnow)
    supports = factory.LazyFunction(_default_supports)

    @factory.post_generation
    def version_row(obj, create, extracted, **kwargs):
        """Version 1's row, as ``create_plan`` writes it (signed off when the plan is)."""
        if not create:
            return
        session = _session()
        session.add(
            version_row_of(
                obj,
                created_by_id=obj.created_by_id,
                created_at=obj.created_at,
                signed_off_at=obj.signed_off_at,
                signed_off_by_id=obj.signed_off_by_id,
            )
        )
        session.commit()


DraftSupportPlanFactory = SupportPlanFactory


class SignedOffSupportPlanFactory(SupportPlanFactory):
    """Signed off today by the coordinator, first review due in FIRST_REVIEW_MONTHS."""

    status = "signed_off"
    signed_off_at = factory.LazyFunction(utcnow)
    signed_off_on = factory.LazyAttribute(lambda o: london_date(o.signed_off_at))
    signed_off_by_id = factory.SelfAttribute("coordinator.id")
    next_review_on = factory.LazyAttribute(
        lambda o: add_months(o.signed_off_on, FIRST_REVIEW_MONTHS)
    )


class PlanSupportFactory(BaseFactory):
    """A give-and-get support (the ``paid`` trait for one paid from the budget)."""

    class Meta:
        model = PlanSupport

    class Params:
        paid = factory.Trait(
            kind="paid",
            type=None,
            hours_per_month=None,
            annual_pence=120_000,
            description="Gym membership",
        )

    plan = factory.SubFactory(SupportPlanFactory, supports=[])
    kind = "give_and_get"
    description = "Company on walks"
    provider = ""
    type = "community"
    hours_per_month = 4


class PlanVersionFactory(BaseFactory):
    """A later version of a signed-off plan, agreed with a reason (supports and outcomes are the
    plan's rows of that number)."""

    plan = factory.SubFactory(SignedOffSupportPlanFactory)
    plan_id = factory.SelfAttribute("plan.id")
    number = 2
    budget_pence = factory.SelfAttribute("plan.budget_pence")
    management = factory.SelfAttribute("plan.management")
    reason = "Agreed with the NHS team at the review"
    changes = factory.LazyFunction(lambda: ["Budget changed"])
    created_by_id = factory.SelfAttribute("plan.created_by_id")
    created_at = factory.LazyFunction(utcnow)

    class Meta:
        model = PlanVersion
        exclude = ("plan",)


class PlanOutcomeFactory(BaseFactory):
    class Meta:
        model = PlanOutcome
        exclude = ("plan",)

    plan = factory.SubFactory(SignedOffSupportPlanFactory, outcomes=[])
    plan_id = factory.SelfAttribute("plan.id")
    version = 1
    position = factory.Sequence(int)
    text = "See my grandchildren every week"


class PlanReviewFactory(BaseFactory):
    """A review of a signed-off plan's version 1 at its due date, done by its coordinator."""

    class Meta:
        model = PlanReview
        exclude = ("plan",)

    plan = factory.SubFactory(SignedOffSupportPlanFactory)
    plan_id = factory.SelfAttribute("plan.id")
    organisation_id = factory.SelfAttribute("plan.organisation_id")
    member_id = factory.SelfAttribute("plan.member_id")
    plan_version = 1
    due_on = factory.SelfAttribute("plan.next_review_on")
    reviewed_on = factory.LazyFunction(_today)
    next_review_on = factory.LazyAttribute(lambda o: add_months(o.reviewed_on, 12))
    recorded_by_id = factory.SelfAttribute("plan.created_by_id")
    created_at = factory.LazyFunction(utcnow)


class ReviewOutcomeFactory(BaseFactory):
    class Meta:
        model = ReviewOutcome
        exclude = ("review",)

    review = factory.SubFactory(PlanReviewFactory)
    review_id = factory.SelfAttribute("review.id")
    outcome_id = factory.LazyAttribute(
        lambda o: PlanOutcomeFactory(plan=_session().get(SupportPlan, o.review.plan_id)).id
    )
    status = "achieved"
    comment = "I go every Saturday now"


class WellbeingAnswerFactory(BaseFactory):
    """An answer at sign-off."""

    class Meta:
        model = WellbeingAnswer
        exclude = ("plan",)

    plan = factory.SubFactory(SignedOffSupportPlanFactory)
    plan_id = factory.SelfAttribute("plan.id")
    member_id = factory.SelfAttribute("plan.member_id")
    organisation_id = factory.SelfAttribute("plan.organisation_id")
    occasion = "sign_off"
    question_code = "in_control"
    score = 2
    answered_on = factory.LazyFunction(_today)


class MemberVoiceFactory(BaseFactory):
    """What someone said at a review, with permission to quote it."""

    class Meta:
        model = MemberVoice
        exclude = ("review",)

    review = factory.SubFactory(PlanReviewFactory)
    review_id = factory.SelfAttribute("review.id")
    organisation_id = factory.SelfAttribute("review.organisation_id")
    member_id = factory.SelfAttribute("review.member_id")
    source = "review"
    what_worked = "Having someone who gets it"
    what_did_not = "Waiting for the taxi money"
    quote_permission = True
    said_on = factory.LazyFunction(_today)


class VoiceThemeFactory(BaseFactory):
    class Meta:
        model = VoiceTheme
        exclude = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)
    organisation_id = factory.SelfAttribute("organisation.id")
    name = factory.Sequence(lambda n: f"Theme {n}")


class VoiceTagFactory(BaseFactory):
    class Meta:
        model = VoiceTag
        exclude = ("voice",)

    voice = factory.SubFactory(MemberVoiceFactory)
    voice_id = factory.SelfAttribute("voice.id")
    theme_id = factory.LazyAttribute(
        lambda o: (
            VoiceThemeFactory(organisation=_session().get(Organisation, o.voice.organisation_id)).id
        )
    )
    tagged_by_id = factory.SelfAttribute("voice.member_id")


class ReferralFactory(BaseFactory):
    """Someone waiting for a peer, referred by a coordinator of their organisation."""

    class Meta:
        model = Referral
        exclude = ("coordinator",)

    member = factory.SubFactory(UserFactory)
    organisation_id = factory.SelfAttribute("member.organisation_id")
    coordinator = factory.SubFactory(CoordinatorFactory, organisation=_in_organisation_of("member"))
    created_by_id = factory.SelfAttribute("coordinator.id")
    source = "coordinator"
    status = "waiting"
    postcode = factory.SelfAttribute("member.postcode")
    support_types = factory.LazyFunction(lambda: ["talk"])
    modes = factory.LazyFunction(lambda: ["phone"])
    languages = factory.LazyFunction(list)
    waiting_since = factory.LazyFunction(utcnow)
    created_at = factory.SelfAttribute("waiting_since")


class PeerSupportTypeFactory(BaseFactory):
    """A kind of support offered, on a peer that offers nothing else yet."""

    class Meta:
        model = PeerSupportType

    peer_id = factory.LazyFunction(lambda: PeerProfileFactory(support_types=[]).id)
    code = "practical"


class PeerModeFactory(BaseFactory):
    class Meta:
        model = PeerMode

    peer_id = factory.LazyFunction(lambda: PeerProfileFactory(modes=[]).id)
    code = "video"


class PeerLanguageFactory(BaseFactory):
    class Meta:
        model = PeerLanguage

    peer_id = factory.LazyFunction(lambda: PeerProfileFactory(languages=[]).id)
    language = "welsh"


# --- matches ------------------------------------------------------------------------------------


class MatchFactory(BaseFactory):
    """A proposal: a waiting referral and an approved peer of the same organisation, made by the
    referral's coordinator (the referral is marked proposed, as the workflow does)."""

    class Meta:
        model = Match
        exclude = ("referral", "peer")

    referral = factory.SubFactory(ReferralFactory, status="proposed")
    peer = factory.SubFactory(
        ApprovedPeerProfileFactory,
        member=factory.SubFactory(
            UserFactory, organisation=factory.SelfAttribute("...referral.member.organisation")
        ),
    )
    referral_id = factory.SelfAttribute("referral.id")
    peer_profile_id = factory.SelfAttribute("peer.id")
    organisation_id = factory.SelfAttribute("referral.organisation_id")
    status = "proposed"
    proposed_by_id = factory.SelfAttribute("referral.created_by_id")
    proposed_at = factory.LazyFunction(utcnow)


class MatchCheckInFactory(BaseFactory):
    class Meta:
        model = MatchCheckIn

    match = factory.SubFactory(
        MatchFactory, status="introduced", introduced_at=factory.LazyFunction(utcnow)
    )
    kind = "2_weeks"
    note = "Talking every week; going well."
    by_id = factory.SelfAttribute("match.proposed_by_id")
    at = factory.LazyFunction(utcnow)


class DeclinedPairFactory(BaseFactory):
    class Meta:
        model = DeclinedPair
        exclude = ("match",)

    match = factory.SubFactory(
        MatchFactory,
        status="declined",
        declined_at=factory.LazyFunction(utcnow),
        decline_reason="Not the right time for me.",
    )
    referral_id = factory.SelfAttribute("match.referral_id")
    peer_profile_id = factory.SelfAttribute("match.peer_profile_id")
    match_id = factory.SelfAttribute("match.id")
    declined_at = factory.LazyFunction(utcnow)


# --- the API and the audit trail ----------------------------------------------------------------


class IdempotencyRecordFactory(BaseFactory):
    class Meta:
        model = IdempotencyRecord
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    key = factory.Sequence(lambda n: f"idempotency-key-{n}")
    request_hash = "0" * 64
    response_status = 201
    response_body = '{"id": 1}'
    created_at = factory.LazyFunction(utcnow)


class PostcodeCentroidFactory(BaseFactory):
    """A unit postcode in Leeds, spaced a few metres apart on the National Grid."""

    class Meta:
        model = PostcodeCentroid

    postcode = factory.Sequence(
        lambda n: (
            f"LS{1 + n // 900 % 29} {n % 9 + 1}{'ABDEFGHJLNPQRSTUWXYZ'[n // 9 % 20]}{'ABDEFGHJLNPQRSTUWXYZ'[n // 180 % 20]}"
        )
    )
    kind = "unit"
    easting = factory.Sequence(lambda n: 428_000 + n * 10)
    northing = factory.Sequence(lambda n: 434_000 + n * 10)


class AuditEventFactory(BaseFactory):
    """A coordinator viewed a member's plan."""

    class Meta:
        model = AuditEvent
        exclude = ("actor", "member")

    actor = factory.SubFactory(CoordinatorFactory)
    member = factory.SubFactory(UserFactory, organisation=_in_organisation_of("actor"))
    at = factory.LazyFunction(utcnow)
    actor_id = factory.SelfAttribute("actor.id")
    organisation_id = factory.SelfAttribute("actor.organisation_id")
    member_id = factory.SelfAttribute("member.id")
    action = "plan.viewed"
    object_type = "support_plan"
    object_id = None


# --- the inbox and the scheduled jobs -----------------------------------------------------------


class NotificationFactory(BaseFactory):
    """An unread reminder in a member's inbox."""

    class Meta:
        model = Notification
        exclude = ("recipient",)

    recipient = factory.SubFactory(UserFactory)
    recipient_id = factory.SelfAttribute("recipient.id")
    kind = "exchange_pending"
    text = factory.Sequence(lambda n: f"An exchange is waiting for you to confirm it ({n}).")
    link = "/exchanges"
    created_at = factory.LazyFunction(utcnow)


class NotificationPreferenceFactory(BaseFactory):
    """A member who opted in to the weekly digest, by email too."""

    class Meta:
        model = NotificationPreference
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    kind = "weekly_digest"
    subscribed = True
    email = True
    updated_at = factory.LazyFunction(utcnow)


class ReminderSentFactory(BaseFactory):
    """A listing-expiry reminder a job already sent."""

    class Meta:
        model = ReminderSent
        exclude = ("recipient",)

    recipient = factory.SubFactory(UserFactory)
    recipient_id = factory.SelfAttribute("recipient.id")
    kind = "listing_expiring"
    object_id = factory.Sequence(lambda n: n + 1)
    due_marker = factory.LazyFunction(lambda: _today().isoformat())
    sent_at = factory.LazyFunction(utcnow)


# --- reports ------------------------------------------------------------------------------------


class ReportSnapshotFactory(BaseFactory):
    """A month's contribution report kept by ``take_monthly_snapshot`` (which keeps both levels
    of disclosure; this returns the one asked for). Each organisation's first snapshot is its
    January 2026."""

    class Meta:
        model = ReportSnapshot
        exclude = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)
    organisation_id = factory.SelfAttribute("organisation.id")
    disclosure = "published"

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        kept = reports.take_monthly_snapshot(
            session, kwargs["organisation_id"], "2026-01", now=utcnow()
        )
        session.commit()
        return next(s for s in kept if s.disclosure == kwargs["disclosure"])


class ActingArrangementFactory(BaseFactory):
    """A member asked their coordinator, today, to act for them for the next month."""

    class Meta:
        model = ActingArrangement
        exclude = ("today",)

    coordinator = factory.SubFactory(CoordinatorFactory)
    member = factory.SubFactory(UserFactory, organisation=_in_organisation_of("coordinator"))
    organisation_id = factory.SelfAttribute("member.organisation_id")
    recorded_by_id = factory.SelfAttribute("coordinator.id")
    today = factory.LazyFunction(lambda: london_date(utcnow()))
    asked_on = factory.SelfAttribute("today")
    until = factory.LazyAttribute(lambda o: o.today + timedelta(days=30))
    reason = "They have no email and asked us to record their exchanges."


class NameTranslationFactory(BaseFactory):
    """A condition's name in Urdu (the condition itself made too)."""

    class Meta:
        model = NameTranslation

    kind = CONDITION
    code = factory.LazyFunction(lambda: ConditionFactory().code)
    locale = "ur"
    name = factory.Sequence(lambda n: f"آزمائشی کیفیت {n}")


class ErasureFactory(BaseFactory):
    """A member erased by their coordinator, through ``erase_person`` (never a bare row: an
    erasure without its anonymising would be a lie)."""

    class Meta:
        model = Erasure

    member = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(CoordinatorFactory, organisation=_in_organisation_of("member"))
    reason = "They asked us to delete their data."

    @classmethod
    def _save(cls, model_class, session, args, kwargs):
        from app.privacy.services import erase_person

        erasure = erase_person(
            session,
            actor=kwargs["actor"],
            member_id=kwargs["member"].id,
            reason=kwargs["reason"],
            now=utcnow(),
        )
        session.commit()
        return erasure


ALL_FACTORIES = [
    OrganisationFactory,
    UserFactory,
    CoordinatorFactory,
    AdminFactory,
    UserTokenFactory,
    ApiTokenFactory,
    SignInAttemptFactory,
    OutboxEmailFactory,
    AccountFactory,
    ListingFactory,
    DirectoryEntryFactory,
    ExchangeFactory,
    ConfirmedExchangeFactory,
    PartnershipFactory,
    ImportedRecordFactory,
    LedgerTransactionFactory,
    LegFactory,
    ConditionFactory,
    HealthDataConsentFactory,
    MemberConditionFactory,
    PeerProfileFactory,
    ApprovedPeerProfileFactory,
    SupportPlanFactory,
    SignedOffSupportPlanFactory,
    PlanSupportFactory,
    PlanVersionFactory,
    PlanOutcomeFactory,
    PlanReviewFactory,
    ReviewOutcomeFactory,
    WellbeingAnswerFactory,
    MemberVoiceFactory,
    VoiceThemeFactory,
    VoiceTagFactory,
    ReferralFactory,
    IdempotencyRecordFactory,
    AuditEventFactory,
    PostcodeCentroidFactory,
    PeerSupportTypeFactory,
    PeerModeFactory,
    PeerLanguageFactory,
    MatchFactory,
    MatchCheckInFactory,
    DeclinedPairFactory,
    NotificationFactory,
    NotificationPreferenceFactory,
    ReminderSentFactory,
    ReportSnapshotFactory,
    ActingArrangementFactory,
    ErasureFactory,
    NameTranslationFactory,
]


def bind(session) -> None:
    BaseFactory._meta.sqlalchemy_session = session
    for factory_class in ALL_FACTORIES:
        factory_class._meta.sqlalchemy_session = session


def account_of(user):
    return timebank.member_account(_session(), user)
