"""A person's health conditions and their consent."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...auth.permissions import can_record_health_data
from ...auth.services import require_coordinator
from ...clock import utcnow
from ...errors import Forbidden
from ...extensions import db
from ...pages import attempt, commit
from .. import conditions
from ..forms import (
    HealthForm,
)
from .common import (
    bp,
    on_form,
    render_and_commit,
    with_conditions,
)

# --- a person's health data and consent ---------------------------------------------------------


@bp.route("/members/<id:member_id>/health", methods=["GET", "POST"])
def member_health(member_id: int):
    """The person or their coordinators see the conditions (audited); coordinators record them."""
    if request.method == "POST":
        require_coordinator(current_user)
    now = utcnow()
    person = conditions.get_person_for_health_data(db.session, current_user, member_id)
    form = None
    if can_record_health_data(current_user, person):
        form = HealthForm()
        with_conditions(form, "condition_codes", "carer_condition_codes")
    elif request.method == "POST":
        raise Forbidden(_("Only the person's coordinator can record health conditions."))
    if form is not None and form.validate_on_submit():

        def record() -> None:
            for kind, name in (("own", "condition_codes"), ("carer", "carer_condition_codes")):
                conditions.record_conditions(
                    db.session,
                    actor=current_user,
                    person=person,
                    codes=form[name].data or [],  # none ticked: the field sends nothing
                    relationship_kind=kind,
                    consent_given=bool(form.health_data_consent.data),
                    now=now,
                    replace=True,
                    field=name,
                )

        if attempt(record, **on_form(form)).ok:
            flash(_("The conditions are saved."), "success")
            return redirect(url_for("peers.member_health", member_id=member_id))
    own = conditions.conditions_of(
        db.session, actor=current_user, person=person, relationship_kind="own", now=now
    )
    carer = conditions.condition_rows(db.session, [person.id], "carer").get(person.id, [])
    if form is not None and not form.is_submitted():
        form.condition_codes.data = [c.code for c in own]
        form.carer_condition_codes.data = [c.code for c in carer]
    return render_and_commit(
        "peers/health.html",
        form=form,
        person=person,
        own=own,
        carer=carer,
        consent=conditions.live_consent(db.session, person),
        is_self=person.id == current_user.id,
    )


@bp.post("/members/<id:member_id>/health/withdraw")
def member_health_withdraw(member_id: int):
    removed = conditions.withdraw_consent(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()
    flash(
        ngettext(
            "Consent is withdrawn. %(num)s condition was removed from every list at once.",
            "Consent is withdrawn. %(num)s conditions were removed from every list at once.",
            removed,
        ),
        "success",
    )
    return redirect(url_for("peers.member_health", member_id=member_id))
