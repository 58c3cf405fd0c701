"""Partnerships between organisations on one deployment, and the clearing accounts that keep
each organisation's books whole when their members exchange across.

A coordinator proposes a partnership with a limit on the net minutes that may flow either way;
a coordinator of the other organisation accepts it, which opens a clearing account for the
partner in each organisation's books (once: an ended partnership's accounts and history stay);
either side may end it, after which no new exchange across may be recorded or confirmed.

A cross exchange (provider in A, receiver in B) posts four legs in one transaction: the provider
+m and A's clearing account for B −m in A's books; B's clearing account for A +m and the
receiver −m in B's books. So A's clearing balance for B is minus the net minutes A's members gave
to B's members, and a database trigger proves every organisation's legs sum to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import Organisation, User
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from .durations import describe_minutes
from .ledger import worded
from .models import Account, Partnership
from .permissions import (
    can_accept_partnership,
    can_end_partnership,
    can_propose_partnership,
    can_see_partnership,
    partnership_actions,
)


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where it is shown"
    """Marks a message for the catalogue: pages show it with ``translated()``; the API's JSON
    keeps it in English beside its stable code."""
    return text


MAX_LIMIT_MINUTES = 1_000_000


class PartnershipLimit(Conflict):
    code = "partnership_limit"


@dataclass(frozen=True)
class PartnershipView:
    """A partnership seen from one organisation's side: the page and the API render this."""

    partnership: Partnership
    partner_organisation_id: int
    partner_name: str
    net_minutes: int
    allowed_actions: frozenset[str]
    proposed_by_us: bool

    @property
    def id(self) -> int:
        return self.partnership.id

    @property
    def status(self) -> str:
        return self.partnership.status

    @property
    def limit_minutes(self) -> int:
        return self.partnership.limit_minutes


def _between(first: int, second: int):
    return or_(
        and_(Partnership.organisation_id == first, Partnership.partner_organisation_id == second),
        and_(Partnership.organisation_id == second, Partnership.partner_organisation_id == first),
    )


def active_partnership(
    session: Session, first: int, second: int, *, lock: bool = False
) -> Partnership | None:
    """The active partnership between two organisations, if any (at most one is live)."""
    statement = select(Partnership).where(_between(first, second), Partnership.status == "active")
    if lock:
        # Shared: confirmations across queue behind an ending, not behind each other.
        statement = statement.with_for_update(read=True).execution_options(populate_existing=True)
    return session.scalar(statement)


def partner_organisation_ids(session: Session, organisation_id: int) -> list[int]:
    """The organisations actively in partnership with this one."""
    rows = session.execute(
        select(Partnership.organisation_id, Partnership.partner_organisation_id).where(
            Partnership.status == "active",
            or_(
                Partnership.organisation_id == organisation_id,
                Partnership.partner_organisation_id == organisation_id,
            ),
        )
    ).all()
    return sorted({b if a == organisation_id else a for a, b in rows})


def clearing_account(session: Session, organisation_id: int, partner_id: int) -> Account | None:
    return session.scalar(
        select(Account).where(
            Account.kind == "clearing",
            Account.organisation_id == organisation_id,
            Account.partner_organisation_id == partner_id,
        )
    )


def clearing_account_ids(session: Session, first: int, second: int) -> tuple[int, int]:
    """(first's clearing account for second, second's for first): opened on acceptance."""
    ours, theirs = (
        clearing_account(session, first, second),
        clearing_account(session, second, first),
    )
    if ours is None or theirs is None:
        raise Conflict(
            N_("These organisations are not in partnership."), code="no_partnership"
        )  # pragma: no cover - acceptance opens both before any exchange can be recorded
    return ours.id, theirs.id


def net_minutes(session: Session, organisation_id: int, partner_id: int) -> int:
    """Minutes this organisation's members gave to the partner's members minus what they
    received from them, in confirmed exchanges, reversals netted: minus the clearing balance."""
    account = clearing_account(session, organisation_id, partner_id)
    return -account.balance_minutes if account is not None else 0


def check_partnership_limit(partnership: Partnership, before: int, after: int) -> None:
    """``before``/``after``: the provider side's clearing balance. A move that takes the net
    flow past ±limit is refused; a move back towards zero is always allowed."""
    limit = partnership.limit_minutes
    if abs(after) > limit and abs(after) > abs(before):
        raise worded(
            PartnershipLimit,
            N_(
                "This would take the net time between the two organisations to %(net)s, past "
                "the partnership's limit of %(limit)s. Nothing has been moved."
            ),
            {"net": describe_minutes(abs(after)), "limit": describe_minutes(limit)},
            fields={"minutes": N_("This is more time than the partnership allows.")},
        )


def _view(session: Session, actor: User, partnership: Partnership) -> PartnershipView:
    ours = actor.organisation_id
    if ours == partnership.organisation_id:
        other = partnership.partner_organisation
    elif ours == partnership.partner_organisation_id:
        other = partnership.organisation
    else:  # an administrator looking from outside: the proposer's side
        ours, other = partnership.organisation_id, partnership.partner_organisation
    return PartnershipView(
        partnership=partnership,
        partner_organisation_id=other.id,
        partner_name=other.name,
        net_minutes=net_minutes(session, ours, other.id),
        allowed_actions=partnership_actions(actor, partnership),
        proposed_by_us=ours == partnership.organisation_id,
    )


def partnerships_for(session: Session, actor: User) -> list[PartnershipView]:
    """The actor's organisation's partnerships, live ones first, newest first."""
    rows = session.scalars(
        select(Partnership)
        .where(
            or_(
                Partnership.organisation_id == actor.organisation_id,
                Partnership.partner_organisation_id == actor.organisation_id,
            )
        )
        .order_by(Partnership.status == "ended", Partnership.id.desc())
    )
    return [_view(session, actor, partnership) for partnership in rows]


def get_partnership_for(
    session: Session, actor: User, partnership_id: int, *, lock: bool = False
) -> Partnership:
    statement = select(Partnership).where(Partnership.id == partnership_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    partnership = session.scalar(statement)
    if partnership is None or not can_see_partnership(actor, partnership):
        raise NotFound(N_("We could not find that partnership."))
    return partnership


def view_of(session: Session, actor: User, partnership: Partnership) -> PartnershipView:
    return _view(session, actor, partnership)


def organisations_to_partner(session: Session, actor: User) -> list[Organisation]:
    """Other organisations on the deployment with no live partnership with the actor's."""
    live = session.execute(
        select(Partnership.organisation_id, Partnership.partner_organisation_id).where(
            Partnership.status != "ended",
            or_(
                Partnership.organisation_id == actor.organisation_id,
                Partnership.partner_organisation_id == actor.organisation_id,
            ),
        )
    ).all()
    taken = {actor.organisation_id} | {side for row in live for side in row}
    return [
        organisation
        for organisation in session.scalars(select(Organisation).order_by(Organisation.name))
        if organisation.id not in taken
    ]


def _audit(session: Session, actor: User, action: str, partnership: Partnership, now) -> None:
    for organisation_id in (partnership.organisation_id, partnership.partner_organisation_id):
        audit.record(
            session,
            actor=actor,
            action=action,
            object_type="partnership",
            object_id=partnership.id,
            organisation_id=organisation_id,
            now=now,
        )


def propose_partnership(
    session: Session,
    *,
    actor: User,
    partner_organisation_id: int,
    limit_minutes: int,
    now: datetime,
) -> Partnership:
    if not can_propose_partnership(actor):
        raise Forbidden(N_("Only a coordinator can propose a partnership."))
    problems: dict[str, str] = {}
    partner = session.get(Organisation, partner_organisation_id)
    if partner is None or partner.id == actor.organisation_id:
        problems["partner_organisation_id"] = N_("Choose another organisation on this service.")
    if (
        isinstance(limit_minutes, bool)
        or not isinstance(limit_minutes, int)
        or not 1 <= limit_minutes <= MAX_LIMIT_MINUTES
    ):
        problems["limit_minutes"] = (
            f"Enter a limit between 1 minute and {MAX_LIMIT_MINUTES:,} minutes."
        )
    if problems:
        raise ValidationFailed(N_("Check the details of the partnership."), fields=problems)
    # Lock both organisations' rows (ascending id) so two proposals between the same pair
    # cannot both pass the check below.
    session.execute(
        select(Organisation.id)
        .where(Organisation.id.in_(sorted({actor.organisation_id, partner.id})))
        .order_by(Organisation.id)
        .with_for_update()
    ).all()
    live = session.scalar(
        select(Partnership.id).where(
            _between(actor.organisation_id, partner.id), Partnership.status != "ended"
        )
    )
    if live is not None:
        raise worded(
            Conflict,
            N_("There is already a partnership with %(name)s (proposed or active)."),
            {"name": partner.name},
            code="partnership_exists",
            fields={"partner_organisation_id": N_("A partnership already exists.")},
        )
    partnership = Partnership(
        organisation_id=actor.organisation_id,
        partner_organisation_id=partner.id,
        limit_minutes=limit_minutes,
        status="proposed",
        proposed_by_id=actor.id,
        proposed_at=now,
    )
    session.add(partnership)
    session.flush()
    _audit(session, actor, "partnership.proposed", partnership, now)
    return partnership


def _open_clearing_account(session: Session, organisation_id: int, partner_id: int) -> None:
    if clearing_account(session, organisation_id, partner_id) is None:
        session.add(
            Account(
                organisation_id=organisation_id,
                kind="clearing",
                partner_organisation_id=partner_id,
            )
        )


def accept_partnership(
    session: Session, *, actor: User, partnership_id: int, now: datetime
) -> Partnership:
    partnership = get_partnership_for(session, actor, partnership_id, lock=True)
    if partnership.status != "proposed":
        raise Conflict(
            f"This partnership is {partnership.status}, so it cannot be accepted.",
            code="invalid_transition",
        )
    if not can_accept_partnership(actor, partnership):
        raise Forbidden(N_("A coordinator of the other organisation accepts a partnership."))
    partnership.status = "active"
    partnership.accepted_by_id = actor.id
    partnership.accepted_at = now
    _open_clearing_account(
        session, partnership.organisation_id, partnership.partner_organisation_id
    )
    _open_clearing_account(
        session, partnership.partner_organisation_id, partnership.organisation_id
    )
    session.flush()
    _audit(session, actor, "partnership.accepted", partnership, now)
    return partnership


def end_partnership(
    session: Session, *, actor: User, partnership_id: int, now: datetime
) -> Partnership:
    """Either side ends it: history stays; pending exchanges across can no longer be confirmed."""
    partnership = get_partnership_for(session, actor, partnership_id, lock=True)
    if partnership.status == "ended":
        raise Conflict(N_("This partnership has already ended."), code="invalid_transition")
    if not can_end_partnership(actor, partnership):
        raise Forbidden(N_("A coordinator of either organisation can end a partnership."))
    partnership.status = "ended"
    partnership.ended_by_id = actor.id
    partnership.ended_at = now
    _audit(session, actor, "partnership.ended", partnership, now)
    return partnership
