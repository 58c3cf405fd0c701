"""The peers pages' blueprint and what its pages share: sign-in, labels, filters, helpers."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from operator import attrgetter

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ...auth.models import User
from ...auth.permissions import coordinates_health_data
from ...errors import NotFound
from ...extensions import db
from ...forms import id_arg, page_arg
from ...i18n import N_, translated
from ...pages import FORM_ERRORS, commit
from ...postcodes import district
from ...templating import condition_group, condition_name
from .. import conditions
from ..conditions import CONSENT_MESSAGE
from ..forms import (
    GENDER_HINT,
    GIVE_AND_GET_HINTS,
    GIVE_AND_GET_LABELS,
    LANGUAGES_HINT,
    MANAGEMENT_HINTS,
    MANAGEMENT_LABELS,
    MODE_LABELS,
    SUPPORT_KIND_HINTS,
    SUPPORT_TYPE_LABELS,
)
from ..models import GIVE_AND_GET_TYPES

bp = Blueprint("peers", __name__)

PER_PAGE = 50
# Refusals a person can put right on the form; NotFound and Forbidden go to the error page.
# Status code → (words, GOV.UK tag colour).
PLAN_STATUSES = {
    "draft": (_l("Draft: not signed off yet"), "govuk-tag--grey"),
    "signed_off": (_l("Signed off"), "govuk-tag--green"),
    "review_due": (_l("Review due"), "govuk-tag--yellow"),
}
REFERRAL_STATUSES = {
    "waiting": (_l("Waiting for a peer"), "govuk-tag--yellow"),
    "proposed": (_l("Peer proposed"), ""),
    "matched": (_l("Introduced to a peer"), "govuk-tag--green"),
    "closed": (_l("Closed"), "govuk-tag--grey"),
}
AUDIT_ACTIONS = {
    "conditions.recorded": _l("Recorded health conditions"),
    "conditions.viewed": _l("Looked at health conditions"),
    "consent.withdrawn": _l("Withdrew consent: every condition removed"),
    "peer.created": _l("Added a peer profile"),
    "peer.viewed": _l("Looked at a peer profile"),
    "peer.changed": _l("Changed a peer's details or checks"),
    "peer.approved": _l("Approved a peer"),
    "peer.paused": _l("Paused a peer"),
    "peer.resumed": _l("Resumed a peer"),
    "plan.created": _l("Wrote a draft support plan"),
    "plan.viewed": _l("Looked at a support plan"),
    "plan.changed": _l("Changed a support plan"),
    "plan.signed_off": _l("Signed off a support plan"),
    "plan.reviewed": _l("Recorded a plan review"),
    "plan.versioned": _l("Made a new version of a signed-off plan"),
    "voice.tagged": _l("Tagged what a member said with themes"),
    "referral.created": _l("Made a referral for peer support"),
    "referral.viewed": _l("Looked at a referral"),
    "referral.listed": _l("Saw a referral in the queue"),
    "plan.listed": _l("Saw a support plan in a list"),
    "peer.listed": _l("Saw a peer profile in a list"),
    "referral.closed": _l("Closed a referral"),
    "exchange.recorded": _l("Recorded an exchange of time"),
    "exchange.rejected": _l("Turned down an exchange of time"),
    "exchange.withdrawn": _l("Withdrew an exchange they had recorded"),
    "ledger.exchange": _l("Moved hours for a confirmed exchange"),
    "ledger.reversal": _l("Put back hours to correct an exchange"),
    "ledger.donation": _l("Gave hours to the community chest"),
    "ledger.grant": _l("Granted hours from the community chest"),
    "exchange.disputed": _l("Disputed an exchange of time"),
    "exchange.confirmed_by_scheduler": _l("Confirmed an exchange automatically, after the wait"),
    "match.proposed": _l("Proposed a peer for a referral"),
    "match.accepted": _l("Accepted a proposed peer"),
    "match.declined": _l("Declined a proposed peer"),
    "match.introduced": _l("Introduced a person to their peer"),
    "match.conditions_shared": _l("Shared the person's conditions with their peer"),
    "match.closed": _l("Closed a peer match"),
    "match.feedback": _l("Gave feedback on a peer match"),
    "match.checked_in": _l("Recorded a check-in on a peer match"),
    "match.support_logged": _l("Logged peer support time for a match"),
    "match.viewed": _l("Looked at a peer match"),
    "match.listed": _l("Saw a peer match in a list"),
    "member.created": _l("Added a member"),
    "member.invited": _l("Invited a member"),
    "member.exported": _l("Downloaded a copy of a member's data"),
    "member.erased": _l("Erased a member's personal data"),
    "inbox.viewed": _l("Looked at an inbox"),
    "organisation.settings_changed": _l("Changed the organisation's settings"),
    "organisation.hourly_rate_set": _l("Set the hourly rate used in reports"),
    "partnership.proposed": _l("Proposed a partnership with another organisation"),
    "partnership.accepted": _l("Accepted a partnership with another organisation"),
    "partnership.ended": _l("Ended a partnership with another organisation"),
    "api.replayed": _l("Sent an API request again and got the first answer back"),
}
AUDIT_OBJECTS = {
    "member_condition": _l("Health conditions"),
    "health_data_consent": _l("Consent"),
    "peer_profile": _l("Peer profile"),
    "support_plan": _l("Support plan"),
    "referral": _l("Referral"),
    "exchange": _l("Exchange"),
    "ledger_transaction": _l("Hours moved"),
    "acting_arrangement": _l("Arrangement to act for them"),
    "peer_match": _l("Peer match"),
    "member": _l("Member"),
    "user": _l("Member"),
    "member_voice": _l("What a member said"),
    "organisation": _l("Organisation"),
    "partnership": _l("Partnership"),
    "erasure": _l("Erasure"),
    "idempotency_record": _l("API request"),
}
# The services name the choices by their codes ("in_person"); on a page, plain words.
PLAIN_FIELD_MESSAGES = {
    "support_types": _l("Choose at least one kind of support."),
    "modes": _l("Choose at least one way to meet."),
}
PREFERENCE_FIELDS = {"preferences.languages": "languages", "preferences.peer_gender": "peer_gender"}


@bp.before_request
@login_required
def require_sign_in():
    """Every page here is for signed-in people."""


@bp.app_template_filter("pounds")
def format_pounds(pence: int | None) -> str:
    """1250000 → "£12,500.00"."""
    if pence is None:
        return ""
    sign = "minus " if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


@bp.context_processor
def peers_helpers():
    return {
        "audit_actions": AUDIT_ACTIONS,
        "audit_objects": AUDIT_OBJECTS,
        "consent_message": translated(CONSENT_MESSAGE),
        "gender_hint": GENDER_HINT,
        "give_and_get_hints": GIVE_AND_GET_HINTS,
        "give_and_get_labels": GIVE_AND_GET_LABELS,
        "give_and_get_types": GIVE_AND_GET_TYPES,
        "languages_hint": LANGUAGES_HINT,
        "management_hints": MANAGEMENT_HINTS,
        "management_labels": MANAGEMENT_LABELS,
        "mode_labels": MODE_LABELS,
        "plan_statuses": PLAN_STATUSES,
        "postcode_district": lambda postcode: district(postcode) if postcode else "",
        "referral_statuses": REFERRAL_STATUSES,
        "support_kind_hints": SUPPORT_KIND_HINTS,
        "support_type_labels": SUPPORT_TYPE_LABELS,
    }


# --- small helpers ------------------------------------------------------------------------------


class FieldMessages(Mapping):
    """The words a page shows for a field a service refused: the plainer ones we have, else the
    service's own (marked where they are written), both in the page's language."""

    def __init__(self, plainer: Mapping[str, str]) -> None:
        self.plainer = plainer

    def __getitem__(self, name: str) -> str:
        return str(self.plainer[name])

    def __iter__(self):
        return iter(self.plainer)

    def __len__(self) -> int:
        return len(self.plainer)

    def __bool__(self) -> bool:
        return True  # never mistaken for "no messages": the service's own words go through get

    def get(self, name: str, default=None):
        if name in self.plainer:
            return self[name]
        return translated(default) if isinstance(default, str) else default


def on_form(form, rename: dict[str, str] | None = None) -> dict:
    """How a peers page shows a service's error: on the form's fields (some are named
    differently on the form, like ``budget_pence`` → ``budget``), in plain words."""
    return {
        "form": form,
        "expected": FORM_ERRORS,
        "rename": rename,
        "messages": FieldMessages(PLAIN_FIELD_MESSAGES),
    }


def render_and_commit(template: str, **context):
    """Render, then save the audit events the page's reads recorded, then answer."""
    html = render_template(template, **context)
    commit()
    return html


def member_id_arg(name: str) -> int | None:
    return id_arg(name, N_("We could not find that member."))


def page_number() -> int:
    return page_arg()


def member_of_my_organisation(member_id: int) -> User:
    person = db.session.get(User, member_id)
    if person is None or not coordinates_health_data(current_user, person.organisation_id):
        raise NotFound(N_("We could not find that member."))
    return person


def member_choices() -> list[tuple[str, str]]:
    people = db.session.scalars(
        select(User)
        .where(User.organisation_id == current_user.organisation_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return [("", _("Choose a person"))] + [
        (str(person.id), f"{person.name} ({person.email})" if person.email else person.name)
        for person in people
    ]


def prepare_member_field(form, person: User | None) -> None:
    form.member_id.choices = member_choices()
    if person is not None and not form.is_submitted():
        form.member_id.data = str(person.id)


def with_conditions(form, *names: str) -> None:
    """The taxonomy as choices, and grouped for the checkboxes (one fieldset a group)."""
    taxonomy = conditions.all_conditions(db.session)
    groups = [
        (condition_group(group), [(c.code, condition_name(c)) for c in items])
        for group, items in groupby(taxonomy, key=attrgetter("group"))
    ]
    for name in names:
        form[name].choices = [(c.code, condition_name(c)) for c in taxonomy]
        form[name].groups = groups


def condition_names(member_id: int, relationship_kind: str) -> list[str]:
    rows = conditions.condition_rows(db.session, [member_id], relationship_kind)
    return [condition_name(c) for c in rows.get(member_id, [])]
