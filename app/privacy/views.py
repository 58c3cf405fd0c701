"""Pages for privacy rights: the printable export (and its JSON download) and erasure."""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..clock import utcnow
from ..extensions import db
from ..i18n import LANGUAGES, N_, translated
from ..notifications.services import KINDS as NOTIFICATION_KINDS
from ..pages import attempt, commit
from ..peers.forms import GIVE_AND_GET_LABELS, MANAGEMENT_LABELS, SUPPORT_KIND_LABELS
from ..peers.views.common import AUDIT_ACTIONS, AUDIT_OBJECTS, PLAN_STATUSES, REFERRAL_STATUSES
from ..templating import category_name, condition_name, format_date
from ..timebank.views import STATUSES as EXCHANGE_STATUSES
from . import services
from .forms import EraseForm
from .permissions import can_erase, can_export

bp = Blueprint("privacy", __name__)

# Each field of the export in words, marked for translation (the JSON download keeps the keys).
EXPORT_LABELS = {
    "id": N_("Number"),
    "name": N_("Name"),
    "email": N_("Email"),
    "postcode": N_("Postcode"),
    "role": N_("Role"),
    "organisation": N_("Organisation"),
    "can_sign_in": N_("Can sign in"),
    "joined": N_("Joined"),
    "erased_at": N_("Erased at"),
    "balance_minutes": N_("Balance (minutes)"),
    "min_balance_minutes": N_("Lowest balance allowed (minutes)"),
    "max_balance_minutes": N_("Highest balance allowed (minutes)"),
    "at": N_("When"),
    "what": N_("What"),
    "with": N_("With whom"),
    "minutes": N_("Minutes"),
    "balance_after_minutes": N_("Balance after (minutes)"),
    "exchange_id": N_("Exchange number"),
    "kind": N_("Kind"),
    "title": N_("Title"),
    "description": N_("Description"),
    "category": N_("Category"),
    "availability": N_("Availability"),
    "expires_on": N_("Expires on"),
    "withdrawn_at": N_("Withdrawn at"),
    "text": N_("Message"),
    "created_at": N_("Created at"),
    "read": N_("Read"),
    "last_used_at": N_("Last used at"),
    "revoked_at": N_("Revoked at"),
    "actor_id": N_("Done by (member number)"),
    "action": N_("Action"),
    "object_type": N_("Object type"),
    "object_id": N_("Object number"),
    "member_id": N_("Member number"),
    "provider": N_("Provider"),
    "receiver": N_("Receiver"),
    "occurred_on": N_("Occurred on"),
    "status": N_("Status"),
    "listed": N_("Listed"),
    "about": N_("About"),
    "show_email": N_("Show email"),
    "show_district": N_("Show district"),
    "code": N_("Code"),
    "relationship": N_("Relationship"),
    "purpose": N_("Purpose"),
    "recorded_by_id": N_("Recorded by (member number)"),
    "recorded_at": N_("Recorded at"),
    "withdrawn_by_id": N_("Withdrawn by (member number)"),
    "gender": N_("Gender"),
    "capacity": N_("Capacity"),
    "travel_km": N_("Travels up to (km)"),
    "support_types": N_("Support types"),
    "modes": N_("Modes"),
    "languages": N_("Languages"),
    "language": N_("Written in"),
    "references_checked_on": N_("References checked on"),
    "dbs_checked_on": N_("DBS checked on"),
    "training_completed_on": N_("Training completed on"),
    "approved_at": N_("Approved at"),
    "paused": N_("Paused"),
    "notes": N_("Notes"),
    "budget_pence": N_("Budget (pence)"),
    "management": N_("Management"),
    "outcomes": N_("Outcomes"),
    "signed_off_on": N_("Signed off on"),
    "next_review_on": N_("Next review on"),
    "last_reviewed_on": N_("Last reviewed on"),
    "plan_id": N_("Plan number"),
    "type": N_("Type"),
    "annual_pence": N_("Per year (pence)"),
    "hours_per_month": N_("Hours per month"),
    "source": N_("Source"),
    "peer_gender": N_("Peer gender"),
    "waiting_since": N_("Waiting since"),
    "closed_at": N_("Closed at"),
    "as": N_("Taking part as"),
    "proposed_at": N_("Proposed at"),
    "introduced_at": N_("Introduced at"),
    "outcome": N_("Outcome"),
    "their_feedback": N_("Their feedback"),
}


@bp.app_context_processor
def privacy_rights():
    """Pages outside this capability (the members list) offer export and erasure exactly when
    they would be allowed."""
    return {"can_export": can_export, "can_erase": can_erase}


@bp.app_template_filter("export_label")
def export_label(key: str) -> str:
    """A section's field name in words: ``balance_after_minutes`` → "Balance after (minutes)"."""
    label = EXPORT_LABELS.get(key)
    return translated(label) if label else key.replace("_", " ").capitalize()


# Fields whose values are words of the product's own (a role's name, a note the product wrote),
# not what people wrote: shown through translated(), which leaves anything else as it is.
TRANSLATED_VALUES = {"role", "notes"}


def _words(table: dict) -> object:
    """A code's words from one of the pages' tables ((words, tag) or words), as the page says it."""

    def say(code: str) -> str:
        words = table.get(code)
        if words is None:
            return code
        return str(translated(words[0] if isinstance(words, tuple) else str(words)))

    return say


# The codes a section holds (statuses, kinds, audit actions) in words; the JSON keeps the codes.
CODE_WORDS = {
    ("exchanges", "status"): _words(EXCHANGE_STATUSES),
    ("exchanges", "category"): category_name,
    ("listings", "category"): category_name,
    ("listings", "kind"): _words({"offer": N_("Offer"), "request": N_("Request")}),
    ("notifications", "kind"): _words(
        {code: kind.label for code, kind in NOTIFICATION_KINDS.items()}
    ),
    ("conditions", "code"): condition_name,
    ("conditions", "relationship"): _words(
        {"own": N_("Their own"), "carer": N_("As a family carer")}
    ),
    ("consents", "purpose"): _words({"peer_support": N_("Peer support")}),
    ("plans", "status"): _words(PLAN_STATUSES),
    ("plans", "management"): _words(MANAGEMENT_LABELS),
    ("plan_supports", "kind"): _words(SUPPORT_KIND_LABELS),
    ("plan_supports", "type"): _words(GIVE_AND_GET_LABELS),
    ("referrals", "status"): _words(REFERRAL_STATUSES),
    ("audit", "action"): _words(AUDIT_ACTIONS),
    ("audit", "object_type"): _words(AUDIT_OBJECTS),
    # A language by its own name, as the switcher shows it ("English", "اردو").
    ("notifications", "language"): lambda code: LANGUAGES[code].name if code in LANGUAGES else code,
}


@bp.app_template_filter("export_value")
def export_value(value, key: str | None = None, section: str | None = None) -> str:
    words = CODE_WORDS.get((section, key))
    if words is not None and isinstance(value, str) and value:
        return words(value)
    if key in TRANSLATED_VALUES and isinstance(value, str) and value:
        return translated(value)
    if value is None or value == "" or value == []:
        return _("None")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, date | datetime):
        return format_date(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return str(value)


@bp.get("/members/<id:member_id>/export")
@login_required
def export_page(member_id: int):
    export = services.export_person(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()  # the audit row of this view
    return render_template("privacy/export.html", export=export)


@bp.get("/members/<id:member_id>/export.json")
@login_required
def export_download(member_id: int):
    export = services.export_person(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()
    return Response(
        json.dumps(export.as_json(), indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="member-{member_id}-export.json"'},
    )


@bp.route("/members/<id:member_id>/erase", methods=["GET", "POST"])
@login_required
def erase_page(member_id: int):
    person = services.person_to_erase(db.session, current_user, member_id)
    erasure = services.erasure_of(db.session, person)
    form = EraseForm()
    if erasure is None and form.validate_on_submit():
        outcome = attempt(
            lambda: services.erase_person(
                db.session,
                actor=current_user,
                member_id=member_id,
                reason=form.reason.data,
                now=utcnow(),
            ),
            form=form,
        )
        if outcome.ok:
            flash(_("The member has been erased. They can no longer sign in."), "success")
            return redirect(url_for("privacy.erase_page", member_id=member_id))
    return render_template(
        "privacy/erase.html",
        form=form,
        person=person,
        erasure=erasure,
        erased_name=f"{services.ERASED_NAME} {person.id}",
    )
