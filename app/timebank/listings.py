"""Listings (offers and requests) and the member directory, where members choose what shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..auth.models import User
from ..auth.permissions import in_reach
from ..clock import london_date
from ..errors import Forbidden, NotFound, ValidationFailed
from ..postcodes import district
from . import partnerships
from .categories import CATEGORIES
from .models import DirectoryEntry, Listing
from .permissions import can_change_listing


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where it is shown"
    """Marks a message for the catalogue: pages show it with ``translated()``; the API's JSON
    keeps it in English beside its stable code."""
    return text


LISTING_DAYS = 183  # a listing lasts about six months unless renewed
MAX_TITLE = 120
MAX_TEXT = 2000


@dataclass
class NewListing:
    kind: str
    title: str
    category: str
    description: str = ""
    availability: str = ""


def _validate(new: NewListing) -> NewListing:
    errors: dict[str, str] = {}
    title = (new.title or "").strip()
    if new.kind not in ("offer", "request"):
        errors["kind"] = N_("Choose whether you are offering or asking for help.")
    if not title:
        errors["title"] = N_("Enter a short title, like 'I can help with gardening'.")
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title must be {MAX_TITLE} characters or fewer."
    if new.category not in CATEGORIES:
        errors["category"] = N_("Choose a category from the list.")
    if len(new.description or "") > MAX_TEXT:
        errors["description"] = f"The description must be {MAX_TEXT:,} characters or fewer."
    if len(new.availability or "") > 200:
        errors["availability"] = N_("Availability must be 200 characters or fewer.")
    if errors:
        raise ValidationFailed(N_("Check the listing."), fields=errors)
    return NewListing(
        kind=new.kind,
        title=title,
        category=new.category,
        description=(new.description or "").strip(),
        availability=(new.availability or "").strip(),
    )


def create_listing(session: Session, *, actor: User, new: NewListing, now: datetime) -> Listing:
    new = _validate(new)
    listing = Listing(
        organisation_id=actor.organisation_id,
        user_id=actor.id,
        kind=new.kind,
        title=new.title,
        description=new.description,
        category=new.category,
        availability=new.availability,
        created_at=now,
        expires_on=london_date(now) + timedelta(days=LISTING_DAYS),
    )
    session.add(listing)
    session.flush()
    return listing


def visible_organisations(session: Session, actor: User) -> list[int]:
    """The actor's organisation and those in active partnership with it: whose listings and
    directory the actor may browse (a partner's members show by name, with their organisation)."""
    return [
        actor.organisation_id,
        *partnerships.partner_organisation_ids(session, actor.organisation_id),
    ]


def get_listing_for(session: Session, actor: User, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or not (
        in_reach(actor, listing.organisation_id)
        or listing.organisation_id in visible_organisations(session, actor)
    ):
        raise NotFound(N_("We could not find that listing."))
    return listing


def _own_or_coordinated(actor: User, listing: Listing) -> None:
    if not can_change_listing(actor, listing):
        raise Forbidden(N_("Only the person who listed it, or a coordinator, can change it."))


def withdraw_listing(session: Session, *, actor: User, listing_id: int, now: datetime) -> Listing:
    listing = get_listing_for(session, actor, listing_id)
    _own_or_coordinated(actor, listing)
    listing.withdrawn_at = listing.withdrawn_at or now
    return listing


def renew_listing(session: Session, *, actor: User, listing_id: int, now: datetime) -> Listing:
    listing = get_listing_for(session, actor, listing_id)
    _own_or_coordinated(actor, listing)
    listing.withdrawn_at = None
    listing.expires_on = london_date(now) + timedelta(days=LISTING_DAYS)
    return listing


def search_listings(
    session: Session,
    *,
    actor: User,
    now: datetime,
    kind: str | None = None,
    category: str | None = None,
    keyword: str | None = None,
):
    """A query of live listings in the actor's organisation and its active partners', newest
    first."""
    statement = (
        select(Listing)
        .join(User, Listing.user_id == User.id)
        .where(
            Listing.organisation_id.in_(visible_organisations(session, actor)),
            Listing.withdrawn_at.is_(None),
            Listing.expires_on >= london_date(now),
            User.active.is_(True),
        )
        .options(joinedload(Listing.user), joinedload(Listing.organisation))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    if kind in ("offer", "request"):
        statement = statement.where(Listing.kind == kind)
    if category:
        statement = statement.where(Listing.category == category)
    if keyword and keyword.strip():
        # Escape LIKE's wildcards so "50%" finds "50%", not everything starting with "50".
        text = keyword.strip().lower()
        for special in ("\\", "%", "_"):
            text = text.replace(special, "\\" + special)
        pattern = f"%{text}%"
        statement = statement.where(
            or_(
                func.lower(Listing.title).like(pattern, escape="\\"),
                func.lower(Listing.description).like(pattern, escape="\\"),
            )
        )
    return statement


def listings_of(session: Session, user: User) -> list[Listing]:
    return list(
        session.scalars(
            select(Listing).where(Listing.user_id == user.id).order_by(Listing.id.desc())
        )
    )


# --- directory ----------------------------------------------------------------------------------


def directory_entry(session: Session, user: User) -> DirectoryEntry:
    return session.get(DirectoryEntry, user.id) or DirectoryEntry(
        user_id=user.id, listed=False, about="", show_email=False, show_district=False
    )


def update_directory_entry(
    session: Session,
    *,
    actor: User,
    listed: bool,
    about: str,
    show_email: bool,
    show_district: bool,
    now: datetime,
) -> DirectoryEntry:
    about = (about or "").strip()
    if len(about) > MAX_TEXT:
        raise ValidationFailed(
            N_("That is too long."), fields={"about": f"Use {MAX_TEXT:,} characters or fewer."}
        )
    entry = session.get(DirectoryEntry, actor.id)
    if entry is None:
        entry = DirectoryEntry(user_id=actor.id)
        session.add(entry)
    entry.listed = bool(listed)
    entry.about = about
    entry.show_email = bool(show_email) and bool(actor.email)
    entry.show_district = bool(show_district) and bool(actor.postcode)
    entry.updated_at = now
    session.flush()
    return entry


@dataclass
class DirectoryCard:
    user_id: int
    name: str
    about: str
    email: str | None
    district: str | None
    offers: list[str]
    # Set for a member of a partner organisation: their name, organisation and offers show;
    # what they chose to show their own organisation (about, email, area) does not.
    organisation_name: str | None = None


def directory(session: Session, *, actor: User, now: datetime) -> list[DirectoryCard]:
    """Members of the actor's organisation who chose to be listed, showing only what they chose;
    then those of its active partners, by name, organisation and offers only."""
    entries = session.scalars(
        select(DirectoryEntry)
        .join(User, DirectoryEntry.user_id == User.id)
        .where(
            DirectoryEntry.listed.is_(True),
            User.organisation_id.in_(visible_organisations(session, actor)),
            User.active.is_(True),
        )
        .options(joinedload(DirectoryEntry.user).joinedload(User.organisation))
        .order_by(User.organisation_id != actor.organisation_id, User.name)
    ).all()
    offers: dict[int, list[str]] = {}
    for listing in session.scalars(
        search_listings(session, actor=actor, now=now, kind="offer").where(
            Listing.user_id.in_([e.user_id for e in entries])
        )
    ):
        offers.setdefault(listing.user_id, []).append(listing.title)
    cards = []
    for entry in entries:
        own = entry.user.organisation_id == actor.organisation_id
        cards.append(
            DirectoryCard(
                user_id=entry.user_id,
                name=entry.user.name,
                about=entry.about if own else "",
                email=entry.user.email if own and entry.show_email else None,
                district=district(entry.user.postcode)
                if own and entry.show_district and entry.user.postcode
                else None,
                offers=offers.get(entry.user_id, []),
                organisation_name=None if own else entry.user.organisation.name,
            )
        )
    return cards


def findable_partner_members(session: Session, actor: User, now: datetime) -> list[User]:
    """Members of active partner organisations who chose to be found (listed in the directory,
    or with a live listing): whom the actor may pick as the other side of an exchange across.
    Nobody else in a partner organisation is named to the actor."""
    partners = partnerships.partner_organisation_ids(session, actor.organisation_id)
    if not partners:
        return []
    listed = select(DirectoryEntry.user_id).where(DirectoryEntry.listed.is_(True))
    with_listing = select(Listing.user_id).where(
        Listing.withdrawn_at.is_(None), Listing.expires_on >= london_date(now)
    )
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id.in_(partners),
                User.active.is_(True),
                or_(User.id.in_(listed), User.id.in_(with_listing)),
            )
            .options(joinedload(User.organisation))
            .order_by(User.name, User.id)
        )
    )
