"""The members' voice: what a person said worked and did not (at a review, or when a match
closed), whether their words may be quoted to commissioners (never their name), and the themes
coordinators tag it with, from a short list the organisation keeps."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..auth.models import User
from ..errors import Forbidden, NotFound, ValidationFailed
from .models import MemberVoice, VoiceTag, VoiceTheme
from .permissions import can_tag_voice


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


MAX_WORDS = 2000
MAX_THEMES = 30
DEFAULT_THEMES = (
    N_("Feeling listened to"),
    N_("Peer support"),
    N_("Getting out and about"),
    N_("Money and the budget"),
    N_("Waiting and delays"),
    N_("Information and advice"),
)


def check_words(what_worked: str | None, what_did_not: str | None) -> dict[str, str]:
    errors = {}
    for name, value in (("what_worked", what_worked), ("what_did_not", what_did_not)):
        if value is not None and len(value) > MAX_WORDS:
            errors[name] = N_("Write up to 2,000 characters.")
    return errors


def record_voice(
    session: Session,
    *,
    member: User,
    source: str,
    what_worked: str | None,
    what_did_not: str | None,
    quote_permission: bool,
    today: date,
    now: datetime,
    review_id: int | None = None,
    match_id: int | None = None,
) -> MemberVoice | None:
    """Keep what the person said, when they said anything (an empty answer is no voice)."""
    worked, did_not = (what_worked or "").strip(), (what_did_not or "").strip()
    errors = check_words(worked, did_not)
    if errors:
        raise ValidationFailed(N_("Check what was said."), fields=errors)
    if not worked and not did_not:
        return None
    voice = MemberVoice(
        organisation_id=member.organisation_id,
        member_id=member.id,
        source=source,
        review_id=review_id,
        match_id=match_id,
        what_worked=worked,
        what_did_not=did_not,
        quote_permission=bool(quote_permission),
        said_on=today,
        created_at=now,
    )
    session.add(voice)
    return voice


def themes_of(session: Session, organisation_id: int) -> list[VoiceTheme]:
    return list(
        session.scalars(
            select(VoiceTheme)
            .where(VoiceTheme.organisation_id == organisation_id, ~VoiceTheme.retired)
            .order_by(VoiceTheme.name)
        )
    )


def add_theme(session: Session, *, actor: User, name: str, now: datetime) -> VoiceTheme:
    if not can_tag_voice(actor, actor.organisation_id):
        raise Forbidden(N_("Only coordinators keep the list of themes."))
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise ValidationFailed(
            N_("Check the theme."), fields={"name": N_("Name the theme in up to 80 characters.")}
        )
    existing = session.scalar(
        select(VoiceTheme).where(
            VoiceTheme.organisation_id == actor.organisation_id, VoiceTheme.name == name
        )
    )
    if existing is not None:
        existing.retired = False
        return existing
    if len(themes_of(session, actor.organisation_id)) >= MAX_THEMES:
        raise ValidationFailed(
            N_("The list is full."),
            fields={"name": f"Keep the list short: up to {MAX_THEMES} themes."},
        )
    theme = VoiceTheme(organisation_id=actor.organisation_id, name=name, created_at=now)
    session.add(theme)
    session.flush()
    return theme


def voices_for(session: Session, actor: User) -> list[MemberVoice]:
    """What members of the coordinator's organisation said, newest first (names stay here)."""
    if not can_tag_voice(actor, actor.organisation_id):
        raise Forbidden(N_("Only coordinators see what members said."))
    return list(
        session.scalars(
            select(MemberVoice)
            .where(MemberVoice.organisation_id == actor.organisation_id)
            .options(selectinload(MemberVoice.tags), selectinload(MemberVoice.member))
            .order_by(MemberVoice.said_on.desc(), MemberVoice.id.desc())
            .limit(200)
        )
    )


def tag_voice(
    session: Session, *, actor: User, voice_id: int, theme_ids: list[int], now: datetime
) -> MemberVoice:
    """Set the themes of one thing a member said (the chosen ones, from the organisation's)."""
    voice = session.get(MemberVoice, voice_id)
    if voice is None or not can_tag_voice(actor, voice.organisation_id):
        raise NotFound(N_("We could not find that."))
    allowed = {t.id for t in themes_of(session, voice.organisation_id)}
    wanted = list(dict.fromkeys(theme_ids or []))
    if any(t not in allowed for t in wanted):
        raise ValidationFailed(
            N_("Check the themes."), fields={"themes": N_("Choose from the list.")}
        )
    existing = {tag.theme_id: tag for tag in voice.tags}
    voice.tags[:] = [
        existing.get(t) or VoiceTag(theme_id=t, tagged_by_id=actor.id, tagged_at=now)
        for t in wanted
    ]
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="voice.tagged",
        object_type="member_voice",
        object_id=voice.id,
        member=voice.member,
        now=now,
    )
    return voice


def add_suggested_themes(session: Session, *, actor: User, now: datetime) -> list[VoiceTheme]:
    """Start the organisation's list with the suggested themes (each can be added to later)."""
    return [add_theme(session, actor=actor, name=name, now=now) for name in DEFAULT_THEMES]


def retire_theme(session: Session, *, actor: User, theme_id: int) -> VoiceTheme:
    """Take a theme off the list: what was tagged with it keeps the tag in reports."""
    theme = session.get(VoiceTheme, theme_id)
    if theme is None or not can_tag_voice(actor, theme.organisation_id):
        raise NotFound(N_("We could not find that theme."))
    theme.retired = True
    return theme
