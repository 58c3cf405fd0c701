"""Conditions and consent, peer profiles, support plans and their supports, referrals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db
from ..wording import from_data

SUPPORT_TYPES = ("talk", "support_planning", "accompany", "practical")
MODES = ("in_person", "phone", "video")
MANAGEMENT = ("notional", "third_party", "direct_payment", "mixed")
GIVE_AND_GET_TYPES = ("timebank", "peer", "community", "family")
REFERRAL_STATUSES = ("waiting", "proposed", "matched", "closed")
CONDITION_RELATIONSHIPS = ("own", "carer")
REVIEW_OUTCOME_STATUSES = ("achieved", "partly", "not_yet", "no_longer_wanted")
DELIVERY_ANSWERS = ("as_planned", "partly", "not_delivered")
WELLBEING_OCCASIONS = ("sign_off", "review")
VOICE_SOURCES = ("review", "match")


class Condition(db.Model):
    """A long-term condition or disability in plain English, with a stable code and a group."""

    __tablename__ = "condition"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    group: Mapped[str] = mapped_column(String(60), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthDataConsent(db.Model):
    """Explicit consent to hold a person's conditions for peer support: who recorded it, when,
    for what, and when it was withdrawn."""

    __tablename__ = "health_data_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40), default="peer_support")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])


class MemberCondition(db.Model):
    """A condition a person lives with, or knows as a family carer. Exists only under live consent:
    withdrawing consent deletes these rows."""

    __tablename__ = "member_condition"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    condition_code: Mapped[str] = mapped_column(ForeignKey("condition.code"), index=True)
    relationship_kind: Mapped[str] = mapped_column(String(10), default="own")
    consent_id: Mapped[int] = mapped_column(ForeignKey("health_data_consent.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    condition: Mapped[Condition] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "condition_code", "relationship_kind"),
        CheckConstraint(
            f"relationship_kind IN {CONDITION_RELATIONSHIPS!r}", name="relationship_known"
        ),
        # The capped candidate list finds a referral's condition group's members by code: an
        # index-only scan.
        Index("ix_member_condition_code_member", "condition_code", "member_id"),
    )


class PeerSupportType(db.Model):
    """A kind of support a peer offers: one row each, so candidate queries can use an index."""

    __tablename__ = "peer_support_type"

    peer_id: Mapped[int] = mapped_column(
        ForeignKey("peer_profile.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint(f"code IN {SUPPORT_TYPES!r}", name="code_known"),
        Index("ix_peer_support_type_code_peer", "code", "peer_id"),
    )


class PeerMode(db.Model):
    """A way a peer meets (in person, phone, video)."""

    __tablename__ = "peer_mode"

    peer_id: Mapped[int] = mapped_column(
        ForeignKey("peer_profile.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint(f"code IN {MODES!r}", name="code_known"),
        Index("ix_peer_mode_code_peer", "code", "peer_id"),
    )


class PeerLanguage(db.Model):
    """A language a peer speaks, stored lower-case so that "Punjabi" and "punjabi" are one."""

    __tablename__ = "peer_language"

    peer_id: Mapped[int] = mapped_column(
        ForeignKey("peer_profile.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_peer_language_language_peer", "language", "peer_id"),)


def _replace_links(rows: list, make, column: str, values) -> None:
    """Make ``rows`` hold exactly ``values`` in order: rows already there are kept (so no row is
    deleted and inserted again under the same key), the rest are added or dropped."""
    wanted = list(dict.fromkeys(values or []))
    existing = {getattr(row, column): row for row in rows}
    kept = []
    for position, value in enumerate(wanted):
        row = existing.get(value) or make(value)
        row.position = position
        kept.append(row)
    rows[:] = kept


class PeerProfile(db.Model):
    """A member who supports others, approved by a coordinator. Draft until approved.

    Support types, modes and languages live in link tables (indexed for the candidate queries);
    ``support_types``, ``modes`` and ``languages`` read and write them as plain lists.
    """

    __tablename__ = "peer_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    gender: Mapped[str | None] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(default=1)
    travel_km: Mapped[int] = mapped_column(default=5)
    references_checked_on: Mapped[date | None]
    dbs_checked_on: Mapped[date | None]
    training_completed_on: Mapped[date | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paused: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(20), default="coordinator")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The member's unit postcode centroid (National Grid metres), None when it has none: a copy
    # for the candidate query's indexed bounding box, kept in step by the matching layer
    # (``app.matching.models``: a flush hook, and a refresh after every bulk centroid load).
    # Never set it here; facts and hard rules read the centroid itself.
    grid_easting: Mapped[int | None] = mapped_column(deferred=True)
    grid_northing: Mapped[int | None] = mapped_column(deferred=True)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    support_type_rows: Mapped[list[PeerSupportType]] = relationship(
        cascade="all, delete-orphan",
        order_by=PeerSupportType.position,
        lazy="selectin",
        passive_deletes=True,
    )
    mode_rows: Mapped[list[PeerMode]] = relationship(
        cascade="all, delete-orphan",
        order_by=PeerMode.position,
        lazy="selectin",
        passive_deletes=True,
    )
    language_rows: Mapped[list[PeerLanguage]] = relationship(
        cascade="all, delete-orphan",
        order_by=PeerLanguage.position,
        lazy="selectin",
        passive_deletes=True,
    )

    __table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 20", name="capacity_range"),
        CheckConstraint("travel_km BETWEEN 0 AND 500", name="travel_range"),
        # The peers a candidate query starts from: approved, not paused, in one organisation.
        Index(
            "ix_peer_profile_matchable",
            "organisation_id",
            sqlite_where=text("approved_at IS NOT NULL AND NOT paused"),
            postgresql_where=text("approved_at IS NOT NULL AND NOT paused"),
        ),
        # The candidate query's bounding box: a range on easting, northing checked in the index.
        Index(
            "ix_peer_profile_grid",
            "organisation_id",
            "grid_easting",
            "grid_northing",
            sqlite_where=text("approved_at IS NOT NULL AND NOT paused"),
            postgresql_where=text("approved_at IS NOT NULL AND NOT paused"),
        ),
    )

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def support_types(self) -> list[str]:
        return [row.code for row in self.support_type_rows]

    @support_types.setter
    def support_types(self, values: list[str]) -> None:
        _replace_links(self.support_type_rows, lambda v: PeerSupportType(code=v), "code", values)

    @property
    def modes(self) -> list[str]:
        return [row.code for row in self.mode_rows]

    @modes.setter
    def modes(self, values: list[str]) -> None:
        _replace_links(self.mode_rows, lambda v: PeerMode(code=v), "code", values)

    @property
    def languages(self) -> list[str]:
        """As people write them ("Punjabi", "British Sign Language"); stored lower-case."""
        return [row.language.title() for row in self.language_rows]

    @languages.setter
    def languages(self, values: list[str]) -> None:
        folded = [v.strip().lower() for v in values or [] if v and v.strip()]
        _replace_links(self.language_rows, lambda v: PeerLanguage(language=v), "language", folded)


class SupportPlan(db.Model):
    """One person's plan: what matters to them, their budget and how it is managed, and the
    supports that meet their outcomes, paid and give-and-get.

    A plan has versions (``PlanVersion``): a draft is written in place as version 1; once signed
    off a plan is never edited in place, and a change makes a new version. The columns here,
    ``supports`` and ``outcome_items`` are the current version's (``version``); each version's
    own copy is its ``PlanVersion`` row with the supports and outcomes of that number.
    """

    __tablename__ = "support_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    budget_pence: Mapped[int] = mapped_column(default=0)
    management: Mapped[str] = mapped_column(String(20), default="notional")
    # For a mixed budget: how much of it each way, summing to the budget.
    split_pence: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    started_without_money: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_off_on: Mapped[date | None]
    next_review_on: Mapped[date | None] = mapped_column(index=True)
    last_reviewed_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    supports: Mapped[list[PlanSupport]] = relationship(
        primaryjoin="and_(SupportPlan.id == foreign(PlanSupport.plan_id), "
        "SupportPlan.version == foreign(PlanSupport.version))",
        order_by="PlanSupport.id",
        cascade="all, delete-orphan",
        overlaps="plan",
    )
    outcome_items: Mapped[list[PlanOutcome]] = relationship(
        primaryjoin="and_(SupportPlan.id == foreign(PlanOutcome.plan_id), "
        "SupportPlan.version == foreign(PlanOutcome.version))",
        order_by="PlanOutcome.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
        CheckConstraint(f"management IN {MANAGEMENT!r}", name="management_known"),
        CheckConstraint("status IN ('draft', 'signed_off')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def outcomes(self) -> list[str]:
        """The current version's outcomes as the person wrote them, in order."""
        return [item.text for item in self.outcome_items]

    @outcomes.setter
    def outcomes(self, values: list[str]) -> None:
        """Write the current version's outcomes (a draft, or a new version being made)."""
        existing = {item.text: item for item in self.outcome_items}
        kept = []
        for position, value in enumerate(dict.fromkeys(values or [])):
            item = existing.get(value) or PlanOutcome(text=value)
            item.position = position
            item.version = self.version or 1
            kept.append(item)
        self.outcome_items[:] = kept


class PlanVersion(db.Model):
    """One version of a plan as it was agreed: its money, who made it, when and why, and what
    changed from the one before. Its supports and outcomes are the plan's rows of this number.
    Version 1 is the plan as written and signed off; a later version is agreed with the NHS team
    and current from the moment it is recorded."""

    __tablename__ = "plan_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"), index=True)
    number: Mapped[int]
    budget_pence: Mapped[int] = mapped_column(default=0)
    management: Mapped[str] = mapped_column(String(20), default="notional")
    split_pence: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    started_without_money: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    # One line a change, each a plain message or a stored sentence (``app.wording.as_data``).
    changes: Mapped[list[str | dict]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    supports: Mapped[list[PlanSupport]] = relationship(
        primaryjoin="and_(PlanVersion.plan_id == foreign(PlanSupport.plan_id), "
        "PlanVersion.number == foreign(PlanSupport.version))",
        order_by="PlanSupport.id",
        viewonly=True,
    )
    outcome_items: Mapped[list[PlanOutcome]] = relationship(
        primaryjoin="and_(PlanVersion.plan_id == foreign(PlanOutcome.plan_id), "
        "PlanVersion.number == foreign(PlanOutcome.version))",
        order_by="PlanOutcome.position",
        viewonly=True,
    )

    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(f"management IN {MANAGEMENT!r}", name="management_known"),
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
    )

    @property
    def outcomes(self) -> list[str]:
        return [item.text for item in self.outcome_items]

    @property
    def change_lines(self) -> list[str]:
        """What changed, one line a change: English as a string, wordable in any language."""
        return [from_data(change) for change in self.changes or []]


class PlanOutcome(db.Model):
    """An outcome in a version of a plan, in the person's own words. Reviews rate these rows, so
    an outcome of an earlier version keeps its reviews when the plan changes."""

    __tablename__ = "plan_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"))
    version: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_plan_outcome_plan_version", "plan_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class PlanSupport(db.Model):
    """A support in a version of a plan: paid from the budget (annual pence), or give-and-get
    (hours a month)."""

    __tablename__ = "plan_support"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(200), default="")
    annual_pence: Mapped[int | None]
    type: Mapped[str | None] = mapped_column(String(20))
    hours_per_month: Mapped[int | None]

    plan: Mapped[SupportPlan] = relationship(overlaps="supports")

    __table_args__ = (
        CheckConstraint("kind IN ('paid', 'give_and_get')", name="kind_known"),
        CheckConstraint(
            "(kind = 'paid' AND annual_pence IS NOT NULL AND annual_pence >= 0) OR "
            "(kind = 'give_and_get' AND hours_per_month IS NOT NULL AND hours_per_month >= 0 "
            f"AND type IN {GIVE_AND_GET_TYPES!r})",
            name="fields_for_kind",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class PlanReview(db.Model):
    """A review of a version of a plan, for the review date it was due: how each outcome went,
    whether the supports were delivered as planned (with the ledger's figures shown beside
    them), what changes, and the next review date. Done by the person themselves online, or by
    a coordinator with or for them. One review per due date."""

    __tablename__ = "plan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    plan_version: Mapped[int]
    due_on: Mapped[date]
    reviewed_on: Mapped[date]
    next_review_on: Mapped[date]
    paid_delivery: Mapped[str | None] = mapped_column(String(20))
    give_and_get_delivery: Mapped[str | None] = mapped_column(String(20))
    delivery_comment: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    # What the ledger showed beside the answers, so the review reads as it was made.
    planned_minutes: Mapped[int] = mapped_column(default=0)
    delivered_minutes: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    by_the_person: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    outcomes: Mapped[list[ReviewOutcome]] = relationship(
        order_by="ReviewOutcome.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("plan_id", "due_on"),
        CheckConstraint("next_review_on > reviewed_on", name="next_after_review"),
        CheckConstraint(
            f"paid_delivery IS NULL OR paid_delivery IN {DELIVERY_ANSWERS!r}",
            name="paid_delivery_known",
        ),
        CheckConstraint(
            f"give_and_get_delivery IS NULL OR give_and_get_delivery IN {DELIVERY_ANSWERS!r}",
            name="give_and_get_delivery_known",
        ),
    )


class ReviewOutcome(db.Model):
    """How one outcome went, at one review, with a sentence in the person's words."""

    __tablename__ = "review_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("plan_review.id"), index=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("plan_outcome.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")

    outcome: Mapped[PlanOutcome] = relationship()

    __table_args__ = (
        UniqueConstraint("review_id", "outcome_id"),
        CheckConstraint(f"status IN {REVIEW_OUTCOME_STATUSES!r}", name="status_known"),
    )


class WellbeingAnswer(db.Model):
    """One answer to one wellbeing question, at sign-off or at a review, on a 4-point scale."""

    __tablename__ = "wellbeing_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    occasion: Mapped[str] = mapped_column(String(10))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("plan_review.id"), index=True)
    question_code: Mapped[str] = mapped_column(String(40))
    score: Mapped[int]
    answered_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 4", name="score_on_scale"),
        CheckConstraint(f"occasion IN {WELLBEING_OCCASIONS!r}", name="occasion_known"),
        CheckConstraint(
            "(occasion = 'review') = (review_id IS NOT NULL)", name="review_for_review"
        ),
    )


class MemberVoice(db.Model):
    """What a person said worked and did not, at a review or when a match closed, and whether
    their words (never their name) may be quoted to commissioners."""

    __tablename__ = "member_voice"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("plan_review.id"), unique=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("peer_match.id"))
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_did_not: Mapped[str] = mapped_column(Text, default="")
    quote_permission: Mapped[bool] = mapped_column(default=False)
    said_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    tags: Mapped[list[VoiceTag]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(f"source IN {VOICE_SOURCES!r}", name="source_known"),
        CheckConstraint(
            "(source = 'review' AND review_id IS NOT NULL) OR "
            "(source = 'match' AND match_id IS NOT NULL)",
            name="source_linked",
        ),
    )


class VoiceTheme(db.Model):
    """A theme from the short list an organisation keeps, to tag what members said with."""

    __tablename__ = "voice_theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)


class VoiceTag(db.Model):
    """A coordinator's tag of something a member said with one of the organisation's themes."""

    __tablename__ = "voice_tag"

    voice_id: Mapped[int] = mapped_column(
        ForeignKey("member_voice.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("voice_theme.id"), primary_key=True)
    tagged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    tagged_at: Mapped[datetime] = mapped_column(default=utcnow)

    theme: Mapped[VoiceTheme] = relationship()


class Referral(db.Model):
    """A person waiting for a peer. A declined proposal returns it to the queue with its original
    waiting time (``waiting_since`` never changes)."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plan.id"))
    source: Mapped[str] = mapped_column(String(20), default="coordinator")
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    postcode: Mapped[str | None] = mapped_column(String(8))
    support_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    peer_gender: Mapped[str | None] = mapped_column(String(40))
    is_carer: Mapped[bool] = mapped_column(default=False)
    waiting_since: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    member: Mapped[User] = relationship(foreign_keys=[member_id])

    __table_args__ = (
        CheckConstraint(f"status IN {REFERRAL_STATUSES!r}", name="status_known"),
        Index("ix_referral_queue", "organisation_id", "status", "waiting_since"),
    )
