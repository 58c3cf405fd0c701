"""The peers pages' blueprint and what its pages share: sign-in, labels, filters, helpers."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from ...auth.models import User
from ...auth.permissions import coordinates_health_data
from ...errors import NotFound
from ...extensions import db
from ...forms import id_arg, page_arg
from ...pages import FORM_ERRORS, commit
from ...postcodes import district
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
    "draft": ("Draft: not signed off yet", "govuk-tag--grey"),
    "signed_off": ("Signed off", "govuk-tag--green"),
    "review_due": ("Review due", "govuk-tag--yellow"),
}
REFERRAL_STATUSES = {
    "waiting": ("Waiting for a peer", "govuk-tag--yellow"),
    "proposed": ("Peer proposed", ""),
    "matched": ("Introduced to a peer", "govuk-tag--green"),
    "closed": ("Closed", "govuk-tag--grey"),
}
AUDIT_ACTIONS = {
    "conditions.recorded": "Recorded health conditions",
    "conditions.viewed": "Looked at health conditions",
    "consent.withdrawn": "Withdrew consent: every condition removed",
    "peer.created": "Added a peer profile",
    "peer.viewed": "Looked at a peer profile",
    "peer.changed": "Changed a peer's details or checks",
    "peer.approved": "Approved a peer",
    "peer.paused": "Paused a peer",
    "peer.resumed": "Resumed a peer",
    "plan.created": "Wrote a draft support plan",
    "plan.viewed": "Looked at a support plan",
    "plan.changed": "Changed a support plan",
    "plan.signed_off": "Signed off a support plan",
    "plan.reviewed": "Recorded a plan review",
    "plan.versioned": "Made a new version of a signed-off plan",
    "voice.tagged": "Tagged what a member said with themes",
    "referral.created": "Made a referral for peer support",
    "referral.viewed": "Looked at a referral",
    "referral.listed": "Saw a referral in the queue",
    "plan.listed": "Saw a support plan in a list",
    "peer.listed": "Saw a peer profile in a list",
    "referral.closed": "Closed a referral",
    "exchange.recorded": "Recorded an exchange of time",
    "exchange.rejected": "Turned down an exchange of time",
    "exchange.withdrawn": "Withdrew an exchange they had recorded",
    "ledger.exchange": "Moved hours for a confirmed exchange",
    "ledger.reversal": "Put back hours to correct an exchange",
    "ledger.donation": "Gave hours to the community chest",
    "ledger.grant": "Granted hours from the community chest",
}
AUDIT_OBJECTS = {
    "member_condition": "Health conditions",
    "health_data_consent": "Consent",
    "peer_profile": "Peer profile",
    "support_plan": "Support plan",
    "referral": "Referral",
    "exchange": "Exchange",
    "ledger_transaction": "Hours moved",
    "acting_arrangement": "Arrangement to act for them",
}
# The services name the choices by their codes ("in_person"); on a page, plain words.
PLAIN_FIELD_MESSAGES = {
    "support_types": "Choose at least one kind of support.",
    "modes": "Choose at least one way to meet.",
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
        "consent_message": CONSENT_MESSAGE,
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


def on_form(form, rename: dict[str, str] | None = None) -> dict:
    """How a peers page shows a service's error: on the form's fields (some are named
    differently on the form, like ``budget_pence`` → ``budget``), in plain words."""
    return {
        "form": form,
        "expected": FORM_ERRORS,
        "rename": rename,
        "messages": PLAIN_FIELD_MESSAGES,
    }


def render_and_commit(template: str, **context):
    """Render, then save the audit events the page's reads recorded, then answer."""
    html = render_template(template, **context)
    commit()
    return html


def member_id_arg(name: str) -> int | None:
    return id_arg(name, "We could not find that member.")


def page_number() -> int:
    return page_arg()


def member_of_my_organisation(member_id: int) -> User:
    person = db.session.get(User, member_id)
    if person is None or not coordinates_health_data(current_user, person.organisation_id):
        raise NotFound("We could not find that member.")
    return person


def member_choices() -> list[tuple[str, str]]:
    people = db.session.scalars(
        select(User)
        .where(User.organisation_id == current_user.organisation_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return [("", "Choose a person")] + [
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
        (group, [(c.code, c.name) for c in items])
        for group, items in groupby(taxonomy, key=attrgetter("group"))
    ]
    for name in names:
        form[name].choices = [(c.code, c.name) for c in taxonomy]
        form[name].groups = groups


def condition_names(member_id: int, relationship_kind: str) -> list[str]:
    rows = conditions.condition_rows(db.session, [member_id], relationship_kind)
    return [c.name for c in rows.get(member_id, [])]
